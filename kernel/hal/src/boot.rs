//! PVH entry: the 32-bit stub QEMU jumps to, long-mode set-up, and the boot information
//! (`hvm_start_info`: command line, modules, memory map) read from it.
//!
//! The stub builds one set of page tables mapping the first 4 GiB of physical memory three
//! times with 2 MiB pages: identity (removed once we run in the higher half, so the whole
//! lower half belongs to the application), the direct map at [`DIRECT_MAP`], and the kernel
//! image at `0xffffffff80000000`.

use core::arch::global_asm;

/// Virtual address of physical address 0 in the direct map.
pub const DIRECT_MAP: u64 = 0xffff_8000_0000_0000;
/// Bytes of physical memory the boot page tables map (the direct map's extent).
pub const DIRECT_MAP_SIZE: u64 = 4 << 30;

global_asm!(
    r#"
    .section .note.Xen, "a"
    .balign 4
    .long 4
    .long 4
    .long 18            /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long pvh_start32

    .section .boot.text, "ax"
    .code32
    .global pvh_start32
pvh_start32:
    cli
    cld
    mov esi, ebx
    rdtsc
    mov [boot_tsc], eax
    mov [boot_tsc + 4], edx

    mov edi, offset boot_pml4
    mov ecx, 7 * 1024
    xor eax, eax
    rep stosd

    mov edi, offset boot_pd
    mov eax, 0x83
    xor edx, edx
    mov ecx, 2048
2:
    mov [edi], eax
    mov [edi + 4], edx
    add eax, 0x200000
    adc edx, 0
    add edi, 8
    dec ecx
    jnz 2b

    mov eax, offset boot_pd
    or eax, 3
    mov [boot_pdpt_low], eax
    mov [boot_pdpt_high + 510 * 8], eax
    add eax, 0x1000
    mov [boot_pdpt_low + 8], eax
    mov [boot_pdpt_high + 511 * 8], eax
    add eax, 0x1000
    mov [boot_pdpt_low + 16], eax
    add eax, 0x1000
    mov [boot_pdpt_low + 24], eax

    mov eax, offset boot_pdpt_low
    or eax, 3
    mov [boot_pml4], eax
    mov [boot_pml4 + 256 * 8], eax
    mov eax, offset boot_pdpt_high
    or eax, 3
    mov [boot_pml4 + 511 * 8], eax

    mov eax, cr4
    or eax, 0x20
    mov cr4, eax
    mov eax, offset boot_pml4
    mov cr3, eax
    mov ecx, 0xC0000080
    rdmsr
    or eax, 0x901
    wrmsr
    mov eax, cr0
    or eax, 0x80010001
    mov cr0, eax

    lgdt [boot_gdt_ptr]
    /* far jump to 64-bit code: jmp 0x08:boot_long (ptr16:32 form) */
    .byte 0xea
    .long boot_long
    .word 0x08

    .code64
boot_long:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    xor eax, eax
    mov fs, ax
    mov gs, ax
    movabs rsp, offset {stack} + {stack_size}
    mov edi, esi
    movabs rax, offset {entry}
    call rax
3:
    hlt
    jmp 3b

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff
    .quad 0x00cf92000000ffff
boot_gdt_ptr:
    .word 23
    .long boot_gdt
    .global boot_tsc
    .balign 8
boot_tsc:
    .quad 0

    .section .boot.bss, "aw", @nobits
    .balign 4096
boot_pml4:
    .skip 4096
boot_pdpt_low:
    .skip 4096
boot_pdpt_high:
    .skip 4096
boot_pd:
    .skip 4 * 4096

    .text
    "#,
    stack = sym BOOT_STACK,
    stack_size = const BOOT_STACK_SIZE,
    entry = sym hal_entry64,
);

const BOOT_STACK_SIZE: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; BOOT_STACK_SIZE]);

static mut BOOT_STACK: Stack = Stack([0; BOOT_STACK_SIZE]);

unsafe extern "C" {
    static boot_tsc: u64;
}

/// What the PVH start info tells us, copied out of guest memory.
#[derive(Debug)]
pub struct BootInfo {
    /// TSC value at the first instruction of the PVH entry.
    pub entry_tsc: u64,
    /// Kernel command line.
    pub cmdline: &'static str,
    /// The initrd (module 0), in the direct map.
    pub initrd: &'static [u8],
    /// Physical address range of the initrd (to keep it out of the frame allocator).
    pub initrd_phys: (u64, u64),
    /// Usable RAM regions `(start, end)` (type 1 of the E820-style map), at most 16.
    pub ram: [(u64, u64); 16],
    /// Number of valid entries in `ram`.
    pub ram_count: usize,
    /// Physical end of the kernel image.
    pub kernel_end_phys: u64,
}

const HVM_START_MAGIC: u32 = 0x336e_c578;

/// Convert a physical address into its direct-map virtual address.
pub const fn phys_to_virt(p: u64) -> u64 {
    p + DIRECT_MAP
}

fn read_phys<T: Copy>(p: u64) -> T {
    // SAFETY: the boot page tables map [0, 4 GiB) at DIRECT_MAP; callers pass addresses the
    // firmware (QEMU) gave us in hvm_start_info, which lie in guest RAM below 4 GiB.
    unsafe { core::ptr::read_unaligned(phys_to_virt(p) as *const T) }
}

fn cstr_at(p: u64) -> &'static str {
    if p == 0 || p >= DIRECT_MAP_SIZE {
        return "";
    }
    let base = phys_to_virt(p) as *const u8;
    let mut len = 0usize;
    // SAFETY: see read_phys; the command line is NUL terminated by QEMU, and we stop at 4 KiB.
    while len < 4096 && unsafe { *base.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` bytes from `base` were just read above; they stay untouched for the life
    // of the kernel (the frame allocator never hands out the page holding them: it is below
    // the kernel image end or reserved by QEMU).
    let bytes = unsafe { core::slice::from_raw_parts(base, len) };
    core::str::from_utf8(bytes).unwrap_or("")
}

unsafe extern "C" {
    static __kernel_end: u8;
}

/// Called by the boot stub in 64-bit mode on the boot stack, with the physical address of
/// `hvm_start_info`.
extern "C" fn hal_entry64(start_info: u32) -> ! {
    // SAFETY: written once by the boot stub before we got here.
    let entry_tsc = unsafe { core::ptr::read_volatile(&raw const boot_tsc) };
    crate::cpu::early_init();
    let si = start_info as u64;
    let magic: u32 = read_phys(si);
    if magic != HVM_START_MAGIC {
        crate::serial_emergency("elfin: not booted through PVH (bad hvm_start_info magic)\n");
        crate::cpu::exit_qemu(125);
    }
    let version: u32 = read_phys(si + 4);
    let nr_modules: u32 = read_phys(si + 12);
    let modlist: u64 = read_phys(si + 16);
    let cmdline_p: u64 = read_phys(si + 24);
    let (mut initrd, mut initrd_phys): (&'static [u8], (u64, u64)) = (&[], (0, 0));
    if nr_modules > 0 && modlist != 0 {
        let paddr: u64 = read_phys(modlist);
        let size: u64 = read_phys(modlist + 8);
        if paddr.saturating_add(size) <= DIRECT_MAP_SIZE {
            // SAFETY: QEMU placed the initrd in guest RAM at [paddr, paddr+size), inside the
            // direct map; the frame allocator keeps this range reserved forever.
            initrd = unsafe { core::slice::from_raw_parts(phys_to_virt(paddr) as *const u8, size as usize) };
            initrd_phys = (paddr, paddr + size);
        }
    }
    let mut ram = [(0u64, 0u64); 16];
    let mut ram_count = 0;
    if version >= 1 {
        let memmap: u64 = read_phys(si + 40);
        let entries: u32 = read_phys(si + 48);
        for i in 0..entries.min(64) as u64 {
            let e = memmap + i * 24;
            let (addr, size, ty): (u64, u64, u32) = (read_phys(e), read_phys(e + 8), read_phys(e + 16));
            if ty == 1 && ram_count < ram.len() {
                ram[ram_count] = (addr, addr.saturating_add(size).min(DIRECT_MAP_SIZE));
                ram_count += 1;
            }
        }
    }
    let kernel_end_phys = (&raw const __kernel_end) as u64 - 0xffff_ffff_8000_0000;
    let info = BootInfo {
        entry_tsc,
        cmdline: cstr_at(cmdline_p),
        initrd,
        initrd_phys,
        ram,
        ram_count,
        kernel_end_phys,
    };
    // The identity map is no longer needed: the lower half is the application's.
    crate::paging::drop_identity_map();
    unsafe extern "Rust" {
        fn __elfin_kernel_main(info: BootInfo) -> !;
    }
    // SAFETY: defined by the kernel binary through `elfin_hal::entry!`, with this signature.
    unsafe { __elfin_kernel_main(info) }
}

/// Name the kernel's main function: `elfin_hal::entry!(main)` where `fn main(BootInfo) -> !`.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[unsafe(no_mangle)]
        fn __elfin_kernel_main(info: $crate::BootInfo) -> ! {
            let f: fn($crate::BootInfo) -> ! = $main;
            f(info)
        }
    };
}
