/* The empty PVH kernel (elfin-bench): the baseline for "QEMU starting and stopping a kernel".
 * Booted through `elfin run --kernel` with the CLI's whole device set, it does nothing but
 * report exit status 0 the way Elfin does (docs/boot-protocol.md, "Exit status"): one byte on
 * the debugcon port 0x402, then the same value on isa-debug-exit's port 0xf4, so QEMU exits.
 * Built with: gcc -nostdlib -static -no-pie -Wl,-Ttext=0x100000 -Wl,--build-id=none */
    .section .note.Xen, "a"
    .balign 4
    .long 4                 /* name size */
    .long 4                 /* desc size */
    .long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
    .asciz "Xen"
    .long _start            /* 32-bit physical entry point */

    .text
    .code32
    .globl _start
_start:
    xor %eax, %eax
    mov $0x402, %dx
    outb %al, %dx
    outb %al, $0xf4
1:  hlt
    jmp 1b
