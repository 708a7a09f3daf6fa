//! Traps: GDT with a TSS whose IST stacks every vector uses (the application runs in ring 0,
//! so the CPU must never push an interrupt frame onto the application's stack and its red
//! zone), the IDT, the register frame [`Regs`], and the dispatch of exceptions to the kernel's
//! hooks, including the fix-up that turns a fault inside a user copy into `EFAULT`.

use core::arch::global_asm;
use spin::Once;
use x86_64::VirtAddr;
use x86_64::instructions::segmentation::{CS, DS, ES, SS, Segment};
use x86_64::instructions::tables::load_tss;
use x86_64::registers::control::Cr2;
use x86_64::structures::gdt::{Descriptor, GlobalDescriptorTable, SegmentSelector};
use x86_64::instructions::tables::lidt;
use x86_64::structures::DescriptorTablePointer;
use x86_64::structures::tss::TaskStateSegment;

/// The registers of interrupted (or syscalling) code, as the entry stubs save them.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
#[allow(missing_docs)]
pub struct Regs {
    pub r15: u64, pub r14: u64, pub r13: u64, pub r12: u64, pub r11: u64, pub r10: u64,
    pub r9: u64, pub r8: u64, pub rbp: u64, pub rdi: u64, pub rsi: u64, pub rdx: u64,
    pub rcx: u64, pub rbx: u64, pub rax: u64,
    /// Vector number (traps) or the syscall number at entry (syscalls).
    pub vector: u64,
    /// Error code pushed by the CPU (0 where it pushes none).
    pub error: u64,
    pub rip: u64, pub cs: u64, pub rflags: u64, pub rsp: u64, pub ss: u64,
}

/// What the kernel does with traps; registered once with [`set_hooks`].
#[derive(Clone, Copy)]
pub struct Hooks {
    /// A syscall: `regs.rax` is the number, the result goes back into `regs.rax`.
    pub syscall: fn(&mut Regs),
    /// A page fault at `addr` with error code `err`: return true when it was resolved (the page
    /// is now mapped) and the faulting instruction can be retried.
    pub page_fault: fn(addr: u64, err: u64) -> bool,
    /// Any other trap, or an unresolved fault outside a user copy. `cr2` is the fault address.
    pub fatal: fn(regs: &mut Regs, cr2: u64),
    /// An interrupt (vector 32 and up), on the interrupted thread's kernel stack; the hook
    /// acknowledges it (see `apic::eoi`) and may switch threads when `regs` is app code.
    pub irq: fn(regs: &mut Regs),
    /// An exception in app code that demand paging did not resolve, on the thread's kernel
    /// stack: the kernel delivers a signal (changing `regs`) or ends the app. `cr2` is the
    /// fault address of a page fault.
    pub user_fault: fn(regs: &mut Regs, cr2: u64),
}

static HOOKS: Once<Hooks> = Once::new();

/// Register the kernel's trap hooks (once).
pub fn set_hooks(h: Hooks) {
    HOOKS.call_once(|| h);
}

pub(crate) fn hooks() -> &'static Hooks {
    HOOKS.get().unwrap_or_else(|| {
        crate::serial_emergency("elfin: trap before hooks were set\n");
        crate::cpu::exit_qemu(125)
    })
}

const IST_SIZE: usize = 32 * 1024;
#[repr(C, align(16))]
struct IstStack([u8; IST_SIZE]);
static mut IST_DF: IstStack = IstStack([0; IST_SIZE]);
static mut IST_NMI: IstStack = IstStack([0; IST_SIZE]);
static mut IST_ANY: IstStack = IstStack([0; IST_SIZE]);

static TSS: Once<TaskStateSegment> = Once::new();
static GDT: Once<(GlobalDescriptorTable, SegmentSelector, SegmentSelector, SegmentSelector)> = Once::new();
static IDT: Once<Idt> = Once::new();

unsafe extern "C" {
    static hal_isr_table: [u64; 256];
}

fn stack_top(s: *const IstStack) -> VirtAddr {
    VirtAddr::new(s as u64 + IST_SIZE as u64)
}

/// Load the GDT (kernel code/data and the TSS) and an IDT where every vector runs on an IST
/// stack: #DF on IST1, NMI and #MC on IST2, everything else on IST3.
pub(crate) fn init() {
    let tss = TSS.call_once(|| {
        let mut t = TaskStateSegment::new();
        t.interrupt_stack_table[0] = stack_top(&raw const IST_DF);
        t.interrupt_stack_table[1] = stack_top(&raw const IST_NMI);
        t.interrupt_stack_table[2] = stack_top(&raw const IST_ANY);
        t
    });
    let (gdt, code, data, tss_sel) = GDT.call_once(|| {
        let mut g = GlobalDescriptorTable::new();
        let code = g.append(Descriptor::kernel_code_segment());
        let data = g.append(Descriptor::kernel_data_segment());
        let tss_sel = g.append(Descriptor::tss_segment(tss));
        (g, code, data, tss_sel)
    });
    gdt.load();
    // SAFETY: the selectors were just created in the loaded GDT (code 0x08, data 0x10, the same
    // values the boot GDT and the SYSCALL STAR MSR use).
    unsafe {
        CS::set_reg(*code);
        SS::set_reg(*data);
        DS::set_reg(*data);
        ES::set_reg(*data);
        load_tss(*tss_sel);
    }
    let idt = IDT.call_once(|| {
        let mut idt = Idt([[0; 2]; 256]);
        for (v, gate) in idt.0.iter_mut().enumerate() {
            // SAFETY: hal_isr_table is a constant table of stub addresses built by the asm below.
            let addr = unsafe { hal_isr_table[v] };
            let ist: u64 = match v {
                8 => 1,
                2 | 18 => 2,
                _ => 3,
            };
            // 64-bit interrupt gate, present, DPL 0, selector 0x08 (kernel code).
            gate[0] = (addr & 0xffff) | (0x08 << 16) | (ist << 32) | (0x8e << 40) | ((addr >> 16) & 0xffff) << 48;
            gate[1] = addr >> 32;
        }
        idt
    });
    let ptr = DescriptorTablePointer { limit: (size_of::<Idt>() - 1) as u16, base: VirtAddr::new(idt as *const Idt as u64) };
    // SAFETY: the IDT is a static that lives forever; every gate points at a stub below that
    // saves all registers, calls hal_trap and returns with iretq, on an IST stack of the TSS.
    unsafe { lidt(&ptr) };
}

/// The interrupt descriptor table: 256 raw 16-byte gates.
#[repr(C, align(16))]
struct Idt([[u64; 2]; 256]);

global_asm!(
    r#"
    .text
isr_common:
    push rax
    push rbx
    push rcx
    push rdx
    push rsi
    push rdi
    push rbp
    push r8
    push r9
    push r10
    push r11
    push r12
    push r13
    push r14
    push r15
    cld
    mov rdi, rsp
    call {trap}
    /* rax: the frame to go on with: this one, or a copy on the interrupted thread's kernel
       stack (interrupts, and faults of the app), where the kernel's hook may switch threads,
       touch the app's memory (nested faults are fine there) or redirect the app to a signal
       handler. */
    cmp rax, rsp
    mov rsp, rax
    je 2f
    mov rdi, rsp
    call {on_thread}
2:
    .global hal_trap_return
hal_trap_return:
    pop r15
    pop r14
    pop r13
    pop r12
    pop r11
    pop r10
    pop r9
    pop r8
    pop rbp
    pop rdi
    pop rsi
    pop rdx
    pop rcx
    pop rbx
    pop rax
    add rsp, 16
    iretq

isr_0:
    push 0
    push 0
    jmp isr_common
isr_1:
    push 0
    push 1
    jmp isr_common
isr_2:
    push 0
    push 2
    jmp isr_common
isr_3:
    push 0
    push 3
    jmp isr_common
isr_4:
    push 0
    push 4
    jmp isr_common
isr_5:
    push 0
    push 5
    jmp isr_common
isr_6:
    push 0
    push 6
    jmp isr_common
isr_7:
    push 0
    push 7
    jmp isr_common
isr_8:
    push 8
    jmp isr_common
isr_9:
    push 0
    push 9
    jmp isr_common
isr_10:
    push 10
    jmp isr_common
isr_11:
    push 11
    jmp isr_common
isr_12:
    push 12
    jmp isr_common
isr_13:
    push 13
    jmp isr_common
isr_14:
    push 14
    jmp isr_common
isr_15:
    push 0
    push 15
    jmp isr_common
isr_16:
    push 0
    push 16
    jmp isr_common
isr_17:
    push 17
    jmp isr_common
isr_18:
    push 0
    push 18
    jmp isr_common
isr_19:
    push 0
    push 19
    jmp isr_common
isr_20:
    push 0
    push 20
    jmp isr_common
isr_21:
    push 21
    jmp isr_common
isr_22:
    push 0
    push 22
    jmp isr_common
isr_23:
    push 0
    push 23
    jmp isr_common
isr_24:
    push 0
    push 24
    jmp isr_common
isr_25:
    push 0
    push 25
    jmp isr_common
isr_26:
    push 0
    push 26
    jmp isr_common
isr_27:
    push 0
    push 27
    jmp isr_common
isr_28:
    push 0
    push 28
    jmp isr_common
isr_29:
    push 29
    jmp isr_common
isr_30:
    push 30
    jmp isr_common
isr_31:
    push 0
    push 31
    jmp isr_common
isr_32:
    push 0
    push 32
    jmp isr_common
isr_33:
    push 0
    push 33
    jmp isr_common
isr_34:
    push 0
    push 34
    jmp isr_common
isr_35:
    push 0
    push 35
    jmp isr_common
isr_36:
    push 0
    push 36
    jmp isr_common
isr_37:
    push 0
    push 37
    jmp isr_common
isr_38:
    push 0
    push 38
    jmp isr_common
isr_39:
    push 0
    push 39
    jmp isr_common
isr_40:
    push 0
    push 40
    jmp isr_common
isr_41:
    push 0
    push 41
    jmp isr_common
isr_42:
    push 0
    push 42
    jmp isr_common
isr_43:
    push 0
    push 43
    jmp isr_common
isr_44:
    push 0
    push 44
    jmp isr_common
isr_45:
    push 0
    push 45
    jmp isr_common
isr_46:
    push 0
    push 46
    jmp isr_common
isr_47:
    push 0
    push 47
    jmp isr_common
isr_48:
    push 0
    push 48
    jmp isr_common
isr_49:
    push 0
    push 49
    jmp isr_common
isr_50:
    push 0
    push 50
    jmp isr_common
isr_51:
    push 0
    push 51
    jmp isr_common
isr_52:
    push 0
    push 52
    jmp isr_common
isr_53:
    push 0
    push 53
    jmp isr_common
isr_54:
    push 0
    push 54
    jmp isr_common
isr_55:
    push 0
    push 55
    jmp isr_common
isr_56:
    push 0
    push 56
    jmp isr_common
isr_57:
    push 0
    push 57
    jmp isr_common
isr_58:
    push 0
    push 58
    jmp isr_common
isr_59:
    push 0
    push 59
    jmp isr_common
isr_60:
    push 0
    push 60
    jmp isr_common
isr_61:
    push 0
    push 61
    jmp isr_common
isr_62:
    push 0
    push 62
    jmp isr_common
isr_63:
    push 0
    push 63
    jmp isr_common
isr_64:
    push 0
    push 64
    jmp isr_common
isr_65:
    push 0
    push 65
    jmp isr_common
isr_66:
    push 0
    push 66
    jmp isr_common
isr_67:
    push 0
    push 67
    jmp isr_common
isr_68:
    push 0
    push 68
    jmp isr_common
isr_69:
    push 0
    push 69
    jmp isr_common
isr_70:
    push 0
    push 70
    jmp isr_common
isr_71:
    push 0
    push 71
    jmp isr_common
isr_72:
    push 0
    push 72
    jmp isr_common
isr_73:
    push 0
    push 73
    jmp isr_common
isr_74:
    push 0
    push 74
    jmp isr_common
isr_75:
    push 0
    push 75
    jmp isr_common
isr_76:
    push 0
    push 76
    jmp isr_common
isr_77:
    push 0
    push 77
    jmp isr_common
isr_78:
    push 0
    push 78
    jmp isr_common
isr_79:
    push 0
    push 79
    jmp isr_common
isr_80:
    push 0
    push 80
    jmp isr_common
isr_81:
    push 0
    push 81
    jmp isr_common
isr_82:
    push 0
    push 82
    jmp isr_common
isr_83:
    push 0
    push 83
    jmp isr_common
isr_84:
    push 0
    push 84
    jmp isr_common
isr_85:
    push 0
    push 85
    jmp isr_common
isr_86:
    push 0
    push 86
    jmp isr_common
isr_87:
    push 0
    push 87
    jmp isr_common
isr_88:
    push 0
    push 88
    jmp isr_common
isr_89:
    push 0
    push 89
    jmp isr_common
isr_90:
    push 0
    push 90
    jmp isr_common
isr_91:
    push 0
    push 91
    jmp isr_common
isr_92:
    push 0
    push 92
    jmp isr_common
isr_93:
    push 0
    push 93
    jmp isr_common
isr_94:
    push 0
    push 94
    jmp isr_common
isr_95:
    push 0
    push 95
    jmp isr_common
isr_96:
    push 0
    push 96
    jmp isr_common
isr_97:
    push 0
    push 97
    jmp isr_common
isr_98:
    push 0
    push 98
    jmp isr_common
isr_99:
    push 0
    push 99
    jmp isr_common
isr_100:
    push 0
    push 100
    jmp isr_common
isr_101:
    push 0
    push 101
    jmp isr_common
isr_102:
    push 0
    push 102
    jmp isr_common
isr_103:
    push 0
    push 103
    jmp isr_common
isr_104:
    push 0
    push 104
    jmp isr_common
isr_105:
    push 0
    push 105
    jmp isr_common
isr_106:
    push 0
    push 106
    jmp isr_common
isr_107:
    push 0
    push 107
    jmp isr_common
isr_108:
    push 0
    push 108
    jmp isr_common
isr_109:
    push 0
    push 109
    jmp isr_common
isr_110:
    push 0
    push 110
    jmp isr_common
isr_111:
    push 0
    push 111
    jmp isr_common
isr_112:
    push 0
    push 112
    jmp isr_common
isr_113:
    push 0
    push 113
    jmp isr_common
isr_114:
    push 0
    push 114
    jmp isr_common
isr_115:
    push 0
    push 115
    jmp isr_common
isr_116:
    push 0
    push 116
    jmp isr_common
isr_117:
    push 0
    push 117
    jmp isr_common
isr_118:
    push 0
    push 118
    jmp isr_common
isr_119:
    push 0
    push 119
    jmp isr_common
isr_120:
    push 0
    push 120
    jmp isr_common
isr_121:
    push 0
    push 121
    jmp isr_common
isr_122:
    push 0
    push 122
    jmp isr_common
isr_123:
    push 0
    push 123
    jmp isr_common
isr_124:
    push 0
    push 124
    jmp isr_common
isr_125:
    push 0
    push 125
    jmp isr_common
isr_126:
    push 0
    push 126
    jmp isr_common
isr_127:
    push 0
    push 127
    jmp isr_common
isr_128:
    push 0
    push 128
    jmp isr_common
isr_129:
    push 0
    push 129
    jmp isr_common
isr_130:
    push 0
    push 130
    jmp isr_common
isr_131:
    push 0
    push 131
    jmp isr_common
isr_132:
    push 0
    push 132
    jmp isr_common
isr_133:
    push 0
    push 133
    jmp isr_common
isr_134:
    push 0
    push 134
    jmp isr_common
isr_135:
    push 0
    push 135
    jmp isr_common
isr_136:
    push 0
    push 136
    jmp isr_common
isr_137:
    push 0
    push 137
    jmp isr_common
isr_138:
    push 0
    push 138
    jmp isr_common
isr_139:
    push 0
    push 139
    jmp isr_common
isr_140:
    push 0
    push 140
    jmp isr_common
isr_141:
    push 0
    push 141
    jmp isr_common
isr_142:
    push 0
    push 142
    jmp isr_common
isr_143:
    push 0
    push 143
    jmp isr_common
isr_144:
    push 0
    push 144
    jmp isr_common
isr_145:
    push 0
    push 145
    jmp isr_common
isr_146:
    push 0
    push 146
    jmp isr_common
isr_147:
    push 0
    push 147
    jmp isr_common
isr_148:
    push 0
    push 148
    jmp isr_common
isr_149:
    push 0
    push 149
    jmp isr_common
isr_150:
    push 0
    push 150
    jmp isr_common
isr_151:
    push 0
    push 151
    jmp isr_common
isr_152:
    push 0
    push 152
    jmp isr_common
isr_153:
    push 0
    push 153
    jmp isr_common
isr_154:
    push 0
    push 154
    jmp isr_common
isr_155:
    push 0
    push 155
    jmp isr_common
isr_156:
    push 0
    push 156
    jmp isr_common
isr_157:
    push 0
    push 157
    jmp isr_common
isr_158:
    push 0
    push 158
    jmp isr_common
isr_159:
    push 0
    push 159
    jmp isr_common
isr_160:
    push 0
    push 160
    jmp isr_common
isr_161:
    push 0
    push 161
    jmp isr_common
isr_162:
    push 0
    push 162
    jmp isr_common
isr_163:
    push 0
    push 163
    jmp isr_common
isr_164:
    push 0
    push 164
    jmp isr_common
isr_165:
    push 0
    push 165
    jmp isr_common
isr_166:
    push 0
    push 166
    jmp isr_common
isr_167:
    push 0
    push 167
    jmp isr_common
isr_168:
    push 0
    push 168
    jmp isr_common
isr_169:
    push 0
    push 169
    jmp isr_common
isr_170:
    push 0
    push 170
    jmp isr_common
isr_171:
    push 0
    push 171
    jmp isr_common
isr_172:
    push 0
    push 172
    jmp isr_common
isr_173:
    push 0
    push 173
    jmp isr_common
isr_174:
    push 0
    push 174
    jmp isr_common
isr_175:
    push 0
    push 175
    jmp isr_common
isr_176:
    push 0
    push 176
    jmp isr_common
isr_177:
    push 0
    push 177
    jmp isr_common
isr_178:
    push 0
    push 178
    jmp isr_common
isr_179:
    push 0
    push 179
    jmp isr_common
isr_180:
    push 0
    push 180
    jmp isr_common
isr_181:
    push 0
    push 181
    jmp isr_common
isr_182:
    push 0
    push 182
    jmp isr_common
isr_183:
    push 0
    push 183
    jmp isr_common
isr_184:
    push 0
    push 184
    jmp isr_common
isr_185:
    push 0
    push 185
    jmp isr_common
isr_186:
    push 0
    push 186
    jmp isr_common
isr_187:
    push 0
    push 187
    jmp isr_common
isr_188:
    push 0
    push 188
    jmp isr_common
isr_189:
    push 0
    push 189
    jmp isr_common
isr_190:
    push 0
    push 190
    jmp isr_common
isr_191:
    push 0
    push 191
    jmp isr_common
isr_192:
    push 0
    push 192
    jmp isr_common
isr_193:
    push 0
    push 193
    jmp isr_common
isr_194:
    push 0
    push 194
    jmp isr_common
isr_195:
    push 0
    push 195
    jmp isr_common
isr_196:
    push 0
    push 196
    jmp isr_common
isr_197:
    push 0
    push 197
    jmp isr_common
isr_198:
    push 0
    push 198
    jmp isr_common
isr_199:
    push 0
    push 199
    jmp isr_common
isr_200:
    push 0
    push 200
    jmp isr_common
isr_201:
    push 0
    push 201
    jmp isr_common
isr_202:
    push 0
    push 202
    jmp isr_common
isr_203:
    push 0
    push 203
    jmp isr_common
isr_204:
    push 0
    push 204
    jmp isr_common
isr_205:
    push 0
    push 205
    jmp isr_common
isr_206:
    push 0
    push 206
    jmp isr_common
isr_207:
    push 0
    push 207
    jmp isr_common
isr_208:
    push 0
    push 208
    jmp isr_common
isr_209:
    push 0
    push 209
    jmp isr_common
isr_210:
    push 0
    push 210
    jmp isr_common
isr_211:
    push 0
    push 211
    jmp isr_common
isr_212:
    push 0
    push 212
    jmp isr_common
isr_213:
    push 0
    push 213
    jmp isr_common
isr_214:
    push 0
    push 214
    jmp isr_common
isr_215:
    push 0
    push 215
    jmp isr_common
isr_216:
    push 0
    push 216
    jmp isr_common
isr_217:
    push 0
    push 217
    jmp isr_common
isr_218:
    push 0
    push 218
    jmp isr_common
isr_219:
    push 0
    push 219
    jmp isr_common
isr_220:
    push 0
    push 220
    jmp isr_common
isr_221:
    push 0
    push 221
    jmp isr_common
isr_222:
    push 0
    push 222
    jmp isr_common
isr_223:
    push 0
    push 223
    jmp isr_common
isr_224:
    push 0
    push 224
    jmp isr_common
isr_225:
    push 0
    push 225
    jmp isr_common
isr_226:
    push 0
    push 226
    jmp isr_common
isr_227:
    push 0
    push 227
    jmp isr_common
isr_228:
    push 0
    push 228
    jmp isr_common
isr_229:
    push 0
    push 229
    jmp isr_common
isr_230:
    push 0
    push 230
    jmp isr_common
isr_231:
    push 0
    push 231
    jmp isr_common
isr_232:
    push 0
    push 232
    jmp isr_common
isr_233:
    push 0
    push 233
    jmp isr_common
isr_234:
    push 0
    push 234
    jmp isr_common
isr_235:
    push 0
    push 235
    jmp isr_common
isr_236:
    push 0
    push 236
    jmp isr_common
isr_237:
    push 0
    push 237
    jmp isr_common
isr_238:
    push 0
    push 238
    jmp isr_common
isr_239:
    push 0
    push 239
    jmp isr_common
isr_240:
    push 0
    push 240
    jmp isr_common
isr_241:
    push 0
    push 241
    jmp isr_common
isr_242:
    push 0
    push 242
    jmp isr_common
isr_243:
    push 0
    push 243
    jmp isr_common
isr_244:
    push 0
    push 244
    jmp isr_common
isr_245:
    push 0
    push 245
    jmp isr_common
isr_246:
    push 0
    push 246
    jmp isr_common
isr_247:
    push 0
    push 247
    jmp isr_common
isr_248:
    push 0
    push 248
    jmp isr_common
isr_249:
    push 0
    push 249
    jmp isr_common
isr_250:
    push 0
    push 250
    jmp isr_common
isr_251:
    push 0
    push 251
    jmp isr_common
isr_252:
    push 0
    push 252
    jmp isr_common
isr_253:
    push 0
    push 253
    jmp isr_common
isr_254:
    push 0
    push 254
    jmp isr_common
isr_255:
    push 0
    push 255
    jmp isr_common

    .section .rodata.isr_table, "a"
    .balign 8
    .global hal_isr_table
hal_isr_table:
    .quad isr_0
    .quad isr_1
    .quad isr_2
    .quad isr_3
    .quad isr_4
    .quad isr_5
    .quad isr_6
    .quad isr_7
    .quad isr_8
    .quad isr_9
    .quad isr_10
    .quad isr_11
    .quad isr_12
    .quad isr_13
    .quad isr_14
    .quad isr_15
    .quad isr_16
    .quad isr_17
    .quad isr_18
    .quad isr_19
    .quad isr_20
    .quad isr_21
    .quad isr_22
    .quad isr_23
    .quad isr_24
    .quad isr_25
    .quad isr_26
    .quad isr_27
    .quad isr_28
    .quad isr_29
    .quad isr_30
    .quad isr_31
    .quad isr_32
    .quad isr_33
    .quad isr_34
    .quad isr_35
    .quad isr_36
    .quad isr_37
    .quad isr_38
    .quad isr_39
    .quad isr_40
    .quad isr_41
    .quad isr_42
    .quad isr_43
    .quad isr_44
    .quad isr_45
    .quad isr_46
    .quad isr_47
    .quad isr_48
    .quad isr_49
    .quad isr_50
    .quad isr_51
    .quad isr_52
    .quad isr_53
    .quad isr_54
    .quad isr_55
    .quad isr_56
    .quad isr_57
    .quad isr_58
    .quad isr_59
    .quad isr_60
    .quad isr_61
    .quad isr_62
    .quad isr_63
    .quad isr_64
    .quad isr_65
    .quad isr_66
    .quad isr_67
    .quad isr_68
    .quad isr_69
    .quad isr_70
    .quad isr_71
    .quad isr_72
    .quad isr_73
    .quad isr_74
    .quad isr_75
    .quad isr_76
    .quad isr_77
    .quad isr_78
    .quad isr_79
    .quad isr_80
    .quad isr_81
    .quad isr_82
    .quad isr_83
    .quad isr_84
    .quad isr_85
    .quad isr_86
    .quad isr_87
    .quad isr_88
    .quad isr_89
    .quad isr_90
    .quad isr_91
    .quad isr_92
    .quad isr_93
    .quad isr_94
    .quad isr_95
    .quad isr_96
    .quad isr_97
    .quad isr_98
    .quad isr_99
    .quad isr_100
    .quad isr_101
    .quad isr_102
    .quad isr_103
    .quad isr_104
    .quad isr_105
    .quad isr_106
    .quad isr_107
    .quad isr_108
    .quad isr_109
    .quad isr_110
    .quad isr_111
    .quad isr_112
    .quad isr_113
    .quad isr_114
    .quad isr_115
    .quad isr_116
    .quad isr_117
    .quad isr_118
    .quad isr_119
    .quad isr_120
    .quad isr_121
    .quad isr_122
    .quad isr_123
    .quad isr_124
    .quad isr_125
    .quad isr_126
    .quad isr_127
    .quad isr_128
    .quad isr_129
    .quad isr_130
    .quad isr_131
    .quad isr_132
    .quad isr_133
    .quad isr_134
    .quad isr_135
    .quad isr_136
    .quad isr_137
    .quad isr_138
    .quad isr_139
    .quad isr_140
    .quad isr_141
    .quad isr_142
    .quad isr_143
    .quad isr_144
    .quad isr_145
    .quad isr_146
    .quad isr_147
    .quad isr_148
    .quad isr_149
    .quad isr_150
    .quad isr_151
    .quad isr_152
    .quad isr_153
    .quad isr_154
    .quad isr_155
    .quad isr_156
    .quad isr_157
    .quad isr_158
    .quad isr_159
    .quad isr_160
    .quad isr_161
    .quad isr_162
    .quad isr_163
    .quad isr_164
    .quad isr_165
    .quad isr_166
    .quad isr_167
    .quad isr_168
    .quad isr_169
    .quad isr_170
    .quad isr_171
    .quad isr_172
    .quad isr_173
    .quad isr_174
    .quad isr_175
    .quad isr_176
    .quad isr_177
    .quad isr_178
    .quad isr_179
    .quad isr_180
    .quad isr_181
    .quad isr_182
    .quad isr_183
    .quad isr_184
    .quad isr_185
    .quad isr_186
    .quad isr_187
    .quad isr_188
    .quad isr_189
    .quad isr_190
    .quad isr_191
    .quad isr_192
    .quad isr_193
    .quad isr_194
    .quad isr_195
    .quad isr_196
    .quad isr_197
    .quad isr_198
    .quad isr_199
    .quad isr_200
    .quad isr_201
    .quad isr_202
    .quad isr_203
    .quad isr_204
    .quad isr_205
    .quad isr_206
    .quad isr_207
    .quad isr_208
    .quad isr_209
    .quad isr_210
    .quad isr_211
    .quad isr_212
    .quad isr_213
    .quad isr_214
    .quad isr_215
    .quad isr_216
    .quad isr_217
    .quad isr_218
    .quad isr_219
    .quad isr_220
    .quad isr_221
    .quad isr_222
    .quad isr_223
    .quad isr_224
    .quad isr_225
    .quad isr_226
    .quad isr_227
    .quad isr_228
    .quad isr_229
    .quad isr_230
    .quad isr_231
    .quad isr_232
    .quad isr_233
    .quad isr_234
    .quad isr_235
    .quad isr_236
    .quad isr_237
    .quad isr_238
    .quad isr_239
    .quad isr_240
    .quad isr_241
    .quad isr_242
    .quad isr_243
    .quad isr_244
    .quad isr_245
    .quad isr_246
    .quad isr_247
    .quad isr_248
    .quad isr_249
    .quad isr_250
    .quad isr_251
    .quad isr_252
    .quad isr_253
    .quad isr_254
    .quad isr_255
    .text
    "#,
    trap = sym hal_trap,
    on_thread = sym hal_on_thread,
);

/// Exceptions are handled here, on the IST stack; an interrupt (vector 32 and up) is only
/// moved: its frame is copied onto the interrupted thread's kernel stack (the top of it when
/// the app was running, just below the interrupted kernel code's stack otherwise), because an
/// IST stack belongs to the CPU and the next interrupt would overwrite it if this thread were
/// switched out. Returns the frame to continue with.
extern "C" fn hal_trap(regs: &mut Regs) -> *mut Regs {
    let h = hooks();
    let user = regs.rip < crate::usercopy::USER_END;
    if regs.vector < 32 {
        let addr = if regs.vector == 14 { Cr2::read_raw() } else { 0 };
        if regs.vector == 14 && ((h.page_fault)(addr, regs.error) || crate::usercopy::fixup(regs)) {
            return regs;
        }
        if !user {
            (h.fatal)(regs, addr);
            return regs;
        }
        // SAFETY: single CPU, interrupts off: read back by hal_on_thread right after.
        unsafe { FAULT_CR2 = addr };
    }
    let top = if user { crate::thread::current_kstack_top() } else { regs.rsp };
    let frame = ((top - core::mem::size_of::<Regs>() as u64) & !15) as *mut Regs;
    // SAFETY: `frame` lies in free space of the interrupted thread's kernel stack (above
    // nothing in use: the app does not use its kernel stack, and interrupted kernel code uses
    // only what is above its rsp; the kernel is built without a red zone).
    unsafe { frame.write(*regs) };
    frame
}

/// CR2 of the app fault being moved to the thread stack.
static mut FAULT_CR2: u64 = 0;

/// An interrupt, or a fault of the app, on the thread's kernel stack: the kernel's hooks may
/// switch threads (preemption) and come back here when this thread runs again.
extern "C" fn hal_on_thread(regs: &mut Regs) {
    let h = hooks();
    if regs.vector >= 32 {
        (h.irq)(regs);
    } else {
        // SAFETY: written by hal_trap just before, interrupts still off.
        let cr2 = unsafe { FAULT_CR2 };
        (h.user_fault)(regs, cr2);
    }
}
