//! Linear-sweep disassembly of an object's executable sections (iced-x86) and the backward
//! constant analysis that finds the syscall number in `%rax` at a `syscall` instruction.
//!
//! One sweep records, per section, where every instruction starts, and collects: `syscall` and
//! `int 0x80` sites, direct calls and jumps (indexed by target, so predecessors can be found),
//! calls and jumps through a RIP-relative memory slot (GOT/PLT), and RIP-relative references to
//! code addresses (`lea reg, [rip+f]`: a function whose address is taken, an IFUNC candidate).
//! Instructions are decoded again on demand; nothing per instruction but its offset is kept, so
//! a 30 MB server binary fits comfortably.
//!
//! The value analysis (`Disasm::value_before`) walks backwards from an instruction through
//! straight-line code, and at a merge point (a jump target) through every direct predecessor,
//! tracking one register: `mov r, imm` and `xor r, r` give a constant, `mov r, r2` follows
//! `r2`, reaching a function entry with an argument register gives a `Param` (resolved later at
//! the function's call sites), and anything else that writes the register gives "unknown".

use crate::elfobj::Object;
use iced_x86::{
    Decoder, DecoderOptions, FlowControl, Instruction, InstructionInfoFactory, Mnemonic, OpAccess, OpKind, Register,
};
use std::collections::BTreeSet;

/// A value a register may hold at some point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Val {
    Const(u64),
    /// The value register `reg` had on entry to the function at `func`.
    Param { func: u64, reg: Register },
}

/// The values found on the paths examined, and whether some path gave no answer.
#[derive(Debug, Clone, Default)]
pub struct Values {
    pub vals: BTreeSet<Val>,
    pub unknown: bool,
}

/// Registers a value can arrive in at a function entry: the SysV argument registers and RAX
/// (Go's register ABI passes its first argument there).
pub const ARG_REGS: [Register; 7] =
    [Register::RDI, Register::RSI, Register::RDX, Register::RCX, Register::R8, Register::R9, Register::RAX];

/// Registers a call may change (SysV caller-saved).
const CALL_CLOBBERED: [Register; 9] = [
    Register::RAX,
    Register::RCX,
    Register::RDX,
    Register::RSI,
    Register::RDI,
    Register::R8,
    Register::R9,
    Register::R10,
    Register::R11,
];

/// How far one query may walk (instructions) and how many merge points deep it may go.
const STEP_BUDGET: u32 = 600;
const MAX_DEPTH: u32 = 6;

pub struct Disasm<'o> {
    pub obj: &'o Object,
    offsets: Vec<Vec<u32>>,
    pub syscall_sites: Vec<u64>,
    pub int80_sites: Vec<u64>,
    /// (target, source) of direct jumps, sorted by target.
    jumps_by_target: Vec<(u64, u64)>,
    /// (target, source) of direct calls, sorted by target.
    calls_by_target: Vec<(u64, u64)>,
    /// (source, slot address, is_call) of `call/jmp [rip+slot]`.
    pub mem_branches: Vec<(u64, u64, bool)>,
    /// (source, code address) of RIP-relative references to code that are not branches.
    pub code_refs: Vec<(u64, u64)>,
    /// Sorted function entries: symbols, call targets, start-up roots.
    pub entries: Vec<u64>,
    /// Number of instructions decoded in the sweep.
    pub instructions: usize,
}

/// Does execution continue with the next instruction after `i`?
fn falls_through(i: &Instruction) -> bool {
    match i.flow_control() {
        FlowControl::UnconditionalBranch | FlowControl::IndirectBranch | FlowControl::Return | FlowControl::Exception => {
            false
        }
        FlowControl::Interrupt => i.mnemonic() != Mnemonic::Int3,
        _ => i.mnemonic() != Mnemonic::Hlt,
    }
}

fn is_near_branch(i: &Instruction) -> bool {
    matches!(i.op0_kind(), OpKind::NearBranch64 | OpKind::NearBranch32 | OpKind::NearBranch16)
}

/// What an instruction does to one (full-width) register.
enum Effect {
    None,
    Const(u64),
    Copy(Register),
    Unknown,
}

impl<'o> Disasm<'o> {
    /// Sweep every executable section of `obj`.
    pub fn new(obj: &'o Object) -> Disasm<'o> {
        let mut d = Disasm {
            obj,
            offsets: Vec::with_capacity(obj.code.len()),
            syscall_sites: Vec::new(),
            int80_sites: Vec::new(),
            jumps_by_target: Vec::new(),
            calls_by_target: Vec::new(),
            mem_branches: Vec::new(),
            code_refs: Vec::new(),
            entries: obj.func_starts.clone(),
            instructions: 0,
        };
        for sec in &obj.code {
            let mut offs = Vec::new();
            let mut dec = Decoder::with_ip(64, &sec.data, sec.addr, DecoderOptions::NONE);
            let mut ins = Instruction::default();
            while dec.can_decode() {
                let off = dec.position() as u32;
                dec.decode_out(&mut ins);
                offs.push(off);
                if ins.is_invalid() {
                    continue;
                }
                let ip = ins.ip();
                match ins.mnemonic() {
                    Mnemonic::Syscall => d.syscall_sites.push(ip),
                    Mnemonic::Int if ins.immediate8() == 0x80 => d.int80_sites.push(ip),
                    _ => {}
                }
                match ins.flow_control() {
                    FlowControl::Call if is_near_branch(&ins) => d.calls_by_target.push((ins.near_branch_target(), ip)),
                    FlowControl::UnconditionalBranch | FlowControl::ConditionalBranch if is_near_branch(&ins) => {
                        d.jumps_by_target.push((ins.near_branch_target(), ip))
                    }
                    FlowControl::IndirectCall | FlowControl::IndirectBranch if ins.is_ip_rel_memory_operand() => {
                        d.mem_branches.push((ip, ins.ip_rel_memory_address(), ins.flow_control() == FlowControl::IndirectCall))
                    }
                    FlowControl::Next if ins.is_ip_rel_memory_operand() && ins.mnemonic() == Mnemonic::Lea => {
                        let t = ins.ip_rel_memory_address();
                        if obj.is_code(t) {
                            d.code_refs.push((ip, t));
                        }
                    }
                    _ => {}
                }
            }
            d.instructions += offs.len();
            d.offsets.push(offs);
        }
        d.jumps_by_target.sort_unstable();
        d.calls_by_target.sort_unstable();
        d.entries.extend(d.calls_by_target.iter().map(|&(t, _)| t));
        d.entries.extend(obj.roots.iter().copied());
        // Code addresses taken by `lea` or stored in relocated data (vtables, IFUNC resolvers,
        // callbacks) start functions too: without them such a function would be merged into
        // the region before it.
        d.entries.extend(d.code_refs.iter().map(|&(_, t)| t));
        d.entries.extend(obj.slots.values().filter_map(|s| match s {
            crate::elfobj::SlotTarget::Local(a) if obj.is_code(*a) => Some(*a),
            _ => None,
        }));
        d.entries.sort_unstable();
        d.entries.dedup();
        d
    }

    fn section_of(&self, addr: u64) -> Option<usize> {
        self.obj.code.iter().position(|c| addr >= c.addr && addr < c.addr + c.data.len() as u64)
    }

    /// Decode the instruction starting at `addr`.
    pub fn decode_at(&self, addr: u64) -> Option<Instruction> {
        let s = self.section_of(addr)?;
        let sec = &self.obj.code[s];
        let off = (addr - sec.addr) as usize;
        let mut dec = Decoder::with_ip(64, &sec.data[off..], addr, DecoderOptions::NONE);
        let i = dec.decode();
        (!i.is_invalid()).then_some(i)
    }

    /// The instruction before the one at `addr` in the sweep, if `addr` starts an instruction.
    fn prev_insn(&self, addr: u64) -> Option<Instruction> {
        let s = self.section_of(addr)?;
        let sec = &self.obj.code[s];
        let off = (addr - sec.addr) as u32;
        let idx = self.offsets[s].binary_search(&off).ok()?;
        if idx == 0 {
            return None;
        }
        self.decode_at(sec.addr + u64::from(self.offsets[s][idx - 1]))
    }

    fn sources(list: &[(u64, u64)], target: u64) -> impl Iterator<Item = u64> + '_ {
        let start = list.partition_point(|&(t, _)| t < target);
        list[start..].iter().take_while(move |&&(t, _)| t == target).map(|&(_, s)| s)
    }

    /// Sources of direct calls to `target`.
    pub fn callers(&self, target: u64) -> impl Iterator<Item = u64> + '_ {
        Self::sources(&self.calls_by_target, target)
    }

    /// Sources of direct jumps to `target` (tail calls included).
    pub fn jumpers(&self, target: u64) -> impl Iterator<Item = u64> + '_ {
        Self::sources(&self.jumps_by_target, target)
    }

    /// All direct calls and jumps as (source, target).
    pub fn branches(&self) -> impl Iterator<Item = (u64, u64, bool)> + '_ {
        self.calls_by_target
            .iter()
            .map(|&(t, s)| (s, t, true))
            .chain(self.jumps_by_target.iter().map(|&(t, s)| (s, t, false)))
    }

    /// The function entry at or before `addr` (its region), if any.
    pub fn region_of(&self, addr: u64) -> Option<u64> {
        let i = self.entries.partition_point(|&e| e <= addr);
        (i > 0).then(|| self.entries[i - 1])
    }

    fn effect(ins: &Instruction, reg: Register) -> Effect {
        match ins.flow_control() {
            FlowControl::Call | FlowControl::IndirectCall => {
                return if CALL_CLOBBERED.contains(&reg) { Effect::Unknown } else { Effect::None };
            }
            _ => {}
        }
        if ins.mnemonic() == Mnemonic::Syscall {
            return if matches!(reg, Register::RAX | Register::RCX | Register::R11) { Effect::Unknown } else { Effect::None };
        }
        let mut factory = InstructionInfoFactory::new();
        let info = factory.info(ins);
        let writes = info.used_registers().iter().any(|u| {
            u.register().full_register() == reg
                && matches!(u.access(), OpAccess::Write | OpAccess::CondWrite | OpAccess::ReadWrite | OpAccess::ReadCondWrite)
        });
        if !writes {
            return Effect::None;
        }
        let op0_full = ins.op0_kind() == OpKind::Register
            && ins.op0_register().full_register() == reg
            && ins.op0_register().size() >= 4;
        if !op0_full {
            return Effect::Unknown;
        }
        match ins.mnemonic() {
            Mnemonic::Mov => match ins.op1_kind() {
                OpKind::Immediate32 | OpKind::Immediate64 | OpKind::Immediate32to64 => {
                    Effect::Const(ins.immediate(1) & if ins.op0_register().size() == 4 { 0xffff_ffff } else { u64::MAX })
                }
                OpKind::Register if ins.op1_register().size() >= 4 => Effect::Copy(ins.op1_register().full_register()),
                _ => Effect::Unknown,
            },
            Mnemonic::Xor | Mnemonic::Sub
                if ins.op1_kind() == OpKind::Register && ins.op1_register() == ins.op0_register() =>
            {
                Effect::Const(0)
            }
            _ => Effect::Unknown,
        }
    }

    /// The values `reg` (a full 64-bit register) may hold just before the instruction at `ip`.
    pub fn value_before(&self, ip: u64, reg: Register) -> Values {
        let mut out = Values::default();
        let mut budget = STEP_BUDGET;
        self.walk(ip, reg, &mut budget, 0, &mut out);
        out
    }

    fn walk(&self, mut ip: u64, mut reg: Register, budget: &mut u32, depth: u32, out: &mut Values) {
        loop {
            if *budget == 0 {
                out.unknown = true;
                return;
            }
            *budget -= 1;
            if self.entries.binary_search(&ip).is_ok() {
                if ARG_REGS.contains(&reg) {
                    out.vals.insert(Val::Param { func: ip, reg });
                } else {
                    out.unknown = true;
                }
                return;
            }
            let prev = self.prev_insn(ip);
            let falls = prev.as_ref().is_some_and(falls_through);
            let mut jumps = self.jumpers(ip).peekable();
            if jumps.peek().is_none() && falls {
                let p = prev.expect("falls implies prev");
                match Self::effect(&p, reg) {
                    Effect::None => {
                        ip = p.ip();
                        continue;
                    }
                    Effect::Const(c) => {
                        out.vals.insert(Val::Const(c));
                        return;
                    }
                    Effect::Copy(r2) => {
                        reg = r2;
                        ip = p.ip();
                        continue;
                    }
                    Effect::Unknown => {
                        out.unknown = true;
                        return;
                    }
                }
            }
            // A merge point: every predecessor is examined.
            if depth >= MAX_DEPTH || (jumps.peek().is_none() && !falls) {
                out.unknown = true;
                return;
            }
            let jump_srcs: Vec<u64> = jumps.collect();
            if let Some(p) = prev.filter(|_| falls) {
                self.through(&p, reg, budget, depth + 1, out);
            }
            for src in jump_srcs {
                match self.decode_at(src) {
                    // A jump writes no general register: continue before it.
                    Some(j) => self.walk(j.ip(), reg, budget, depth + 1, out),
                    None => out.unknown = true,
                }
            }
            return;
        }
    }

    fn through(&self, ins: &Instruction, reg: Register, budget: &mut u32, depth: u32, out: &mut Values) {
        match Self::effect(ins, reg) {
            Effect::None => self.walk(ins.ip(), reg, budget, depth, out),
            Effect::Const(c) => {
                out.vals.insert(Val::Const(c));
            }
            Effect::Copy(r2) => self.walk(ins.ip(), r2, budget, depth, out),
            Effect::Unknown => out.unknown = true,
        }
    }

    /// If `addr` is a PLT-style stub (`[endbr64;] [bnd] jmp [rip+slot]`), the slot it jumps through.
    pub fn stub_slot(&self, addr: u64) -> Option<u64> {
        let mut at = addr;
        for _ in 0..2 {
            let i = self.decode_at(at)?;
            if i.mnemonic() == Mnemonic::Endbr64 || i.mnemonic() == Mnemonic::Nop {
                at = i.next_ip();
                continue;
            }
            if i.flow_control() == FlowControl::IndirectBranch && i.is_ip_rel_memory_operand() {
                return Some(i.ip_rel_memory_address());
            }
            return None;
        }
        None
    }
}
