//! Static syscall analysis of one object, and the libc model that maps each exported libc
//! function to the syscalls it can reach.
//!
//! `analyse_object` finds every `syscall` site of an object and the number `%rax` holds there
//! (`disasm::Disasm::value_before`). A number that arrives as a function argument (glibc's
//! `syscall(2)`, Go's `Syscall6`) is looked up at that function's direct callers, a few levels
//! up; one still unresolved at an exported function becomes an "argument syscall" of that
//! export, which an importer resolves at its own call sites.
//!
//! `LibcModel` is built from libc.so.6's own code: regions start at every function symbol and
//! direct call target; edges are direct calls and jumps, calls through PLT/GOT slots bound to
//! libc itself (IRELATIVE resolvers included), and RIP-relative references to code (`lea` of a
//! function: IFUNC resolvers choosing an implementation, callbacks handed to another
//! function). An export's syscalls are those of every region reachable from it. Calls through
//! function pointers held in data (stdio's FILE vtables, atexit lists) are not followed: the
//! report lists what that misses against strace.

use crate::disasm::{Disasm, Val};
use crate::elfobj::{Import, Object, SlotTarget};
use iced_x86::Register;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

/// Largest number accepted as an x86-64 syscall number (x32 numbers, bit 30, are ignored).
pub const MAX_SYSCALL_NR: u64 = 1023;
/// How many caller levels a syscall number passed as an argument is followed up.
const PARAM_DEPTH: u32 = 4;

/// What the static analysis found in one object.
#[derive(Debug, Clone, Default)]
pub struct ObjectAnalysis {
    /// Syscall numbers per region (function entry) where the site, or the call passing the
    /// number, lies.
    pub region_syscalls: BTreeMap<u64, BTreeSet<u32>>,
    /// Function entries whose syscall number is still an argument at the entry: (entry, register).
    pub arg_syscalls: BTreeMap<u64, BTreeSet<Register>>,
    pub sites: usize,
    pub resolved_sites: usize,
    pub int80_sites: usize,
    /// Constants found in %rax at a site that are not x86-64 syscall numbers.
    pub odd_constants: BTreeSet<u64>,
    /// (call or jump source, imported function) for every branch to an import.
    pub import_branches: Vec<(u64, Import)>,
    pub instructions: usize,
}

impl ObjectAnalysis {
    /// Every syscall number found anywhere in the object.
    pub fn all_syscalls(&self) -> BTreeSet<u32> {
        self.region_syscalls.values().flatten().copied().collect()
    }
}

fn add_value(
    out: &mut ObjectAnalysis,
    d: &Disasm<'_>,
    at: u64,
    v: &Val,
    pending: &mut VecDeque<(u64, Register, u32)>,
    depth: u32,
) -> bool {
    match *v {
        Val::Const(c) if c <= MAX_SYSCALL_NR => {
            let region = d.region_of(at).unwrap_or(0);
            out.region_syscalls.entry(region).or_default().insert(c as u32);
            true
        }
        Val::Const(c) => {
            out.odd_constants.insert(c);
            false
        }
        Val::Param { func, reg } => {
            pending.push_back((func, reg, depth));
            true
        }
    }
}

/// Find the syscalls an object makes directly, and its branches to imported functions.
pub fn analyse_object(obj: &Object) -> (ObjectAnalysis, Disasm<'_>) {
    let d = Disasm::new(obj);
    let mut out = ObjectAnalysis { instructions: d.instructions, int80_sites: d.int80_sites.len(), ..Default::default() };
    let mut pending = VecDeque::new();
    for &site in &d.syscall_sites {
        out.sites += 1;
        let v = d.value_before(site, Register::RAX);
        let mut any = false;
        for val in &v.vals {
            any |= add_value(&mut out, &d, site, val, &mut pending, 0);
        }
        if any {
            out.resolved_sites += 1;
        }
    }
    let exported: HashSet<u64> = obj.exports.iter().map(|e| e.addr).collect();
    let mut seen = HashSet::new();
    while let Some((func, reg, depth)) = pending.pop_front() {
        if !seen.insert((func, reg)) {
            continue;
        }
        let callers: Vec<u64> = d.callers(func).chain(d.jumpers(func)).collect();
        if callers.is_empty() || exported.contains(&func) {
            out.arg_syscalls.entry(func).or_default().insert(reg);
        }
        if depth >= PARAM_DEPTH {
            continue;
        }
        for c in callers {
            let v = d.value_before(c, reg);
            for val in &v.vals {
                add_value(&mut out, &d, c, val, &mut pending, depth + 1);
            }
        }
    }
    // Branches to imports: through PLT stubs, or `call/jmp [rip+slot]` on a GOT slot.
    let mut stub_import: HashMap<u64, Option<Import>> = HashMap::new();
    for (src, tgt, _) in d.branches() {
        let imp = stub_import
            .entry(tgt)
            .or_insert_with(|| {
                let in_plt = obj.code.iter().any(|c| c.name.starts_with(".plt") && tgt >= c.addr && tgt < c.addr + c.data.len() as u64);
                if !in_plt {
                    return None;
                }
                match d.stub_slot(tgt).and_then(|s| obj.slots.get(&s)) {
                    Some(SlotTarget::Import(i)) => Some(i.clone()),
                    _ => None,
                }
            })
            .clone();
        if let Some(i) = imp {
            out.import_branches.push((src, i));
        }
    }
    for &(src, slot, _) in &d.mem_branches {
        if let Some(SlotTarget::Import(i)) = obj.slots.get(&slot) {
            out.import_branches.push((src, i.clone()));
        }
    }
    (out, d)
}

/// The syscalls one exported libc function can reach, and the argument registers that carry
/// a syscall number chosen by its caller (glibc's `syscall(long nr, ...)`: RDI).
#[derive(Debug, Clone, Default)]
pub struct ExportSyscalls {
    pub syscalls: BTreeSet<u32>,
    pub arg_regs: BTreeSet<Register>,
}

/// libc.so.6 as a call graph from its exports down to its syscall sites.
pub struct LibcModel {
    pub analysis: ObjectAnalysis,
    /// region entry -> regions it branches to or references.
    edges: HashMap<u64, BTreeSet<u64>>,
    /// (name, version) -> address; version None holds the default version.
    exports: HashMap<(String, Option<String>), u64>,
    memo: HashMap<u64, ExportSyscalls>,
    pub regions: usize,
    pub edge_count: usize,
}

/// Functions the dynamic loader calls in libc by name (not through an import), which run in
/// every dynamically linked program: glibc's elf/dl-call-libc-early-init.c.
pub const LIBC_LOADER_ROOTS: [&str; 1] = ["__libc_early_init"];

impl LibcModel {
    pub fn new(obj: &Object) -> LibcModel {
        let (analysis, d) = analyse_object(obj);
        let mut edges: HashMap<u64, BTreeSet<u64>> = HashMap::new();
        let mut add = |from: u64, to: u64| {
            if let (Some(a), Some(b)) = (d.region_of(from), d.region_of(to))
                && a != b
            {
                edges.entry(a).or_default().insert(b);
            }
        };
        for (src, tgt, _) in d.branches() {
            let resolved = d.stub_slot(tgt).and_then(|s| obj.slots.get(&s));
            match resolved {
                Some(SlotTarget::Local(a)) if obj.is_code(*a) => add(src, *a),
                Some(SlotTarget::Import(_)) => {}
                _ => add(src, tgt),
            }
        }
        for &(src, slot, _) in &d.mem_branches {
            if let Some(SlotTarget::Local(a)) = obj.slots.get(&slot)
                && obj.is_code(*a)
            {
                add(src, *a);
            }
        }
        for &(src, tgt) in &d.code_refs {
            add(src, tgt);
        }
        let mut exports = HashMap::new();
        for e in &obj.exports {
            exports.insert((e.name.clone(), e.version.clone()), e.addr);
            if e.default {
                exports.insert((e.name.clone(), None), e.addr);
            }
        }
        let edge_count = edges.values().map(BTreeSet::len).sum();
        LibcModel { analysis, regions: d.entries.len(), edges, exports, memo: HashMap::new(), edge_count }
    }

    /// The address of an exported function, by exact version, else its default version.
    pub fn export_addr(&self, name: &str, version: Option<&str>) -> Option<u64> {
        if let Some(v) = version
            && let Some(a) = self.exports.get(&(name.to_string(), Some(v.to_string())))
        {
            return Some(*a);
        }
        self.exports.get(&(name.to_string(), None)).copied()
    }

    /// Is `imp` a libc function? (A GLIBC_* version, or unversioned and exported here.)
    pub fn provides(&self, imp: &Import) -> bool {
        match &imp.version {
            Some(v) if !v.starts_with("GLIBC_") => false,
            _ => self.export_addr(&imp.name, imp.version.as_deref()).is_some(),
        }
    }

    /// Syscalls reachable from the function at `addr`.
    pub fn reach(&mut self, addr: u64) -> ExportSyscalls {
        if let Some(r) = self.memo.get(&addr) {
            return r.clone();
        }
        let mut out = ExportSyscalls::default();
        let mut seen = HashSet::new();
        let mut queue = VecDeque::new();
        let start = addr;
        queue.push_back(start);
        seen.insert(start);
        while let Some(r) = queue.pop_front() {
            if let Some(s) = self.analysis.region_syscalls.get(&r) {
                out.syscalls.extend(s);
            }
            if let Some(next) = self.edges.get(&r) {
                for &n in next {
                    if seen.insert(n) {
                        queue.push_back(n);
                    }
                }
            }
        }
        if let Some(regs) = self.analysis.arg_syscalls.get(&addr) {
            out.arg_regs.extend(regs);
        }
        self.memo.insert(addr, out.clone());
        out
    }

    /// A shortest chain of regions from `addr` to a region that makes syscall `nr` (diagnostics).
    pub fn path_to(&self, addr: u64, nr: u32) -> Option<Vec<u64>> {
        let mut prev: HashMap<u64, u64> = HashMap::new();
        let mut queue = VecDeque::from([addr]);
        prev.insert(addr, addr);
        while let Some(r) = queue.pop_front() {
            if self.analysis.region_syscalls.get(&r).is_some_and(|s| s.contains(&nr)) {
                let mut path = vec![r];
                let mut cur = r;
                while cur != addr {
                    cur = prev[&cur];
                    path.push(cur);
                }
                path.reverse();
                return Some(path);
            }
            for &n in self.edges.get(&r).into_iter().flatten() {
                if let std::collections::hash_map::Entry::Vacant(e) = prev.entry(n) {
                    e.insert(r);
                    queue.push_back(n);
                }
            }
        }
        None
    }

    /// Syscalls reachable from an imported libc function (None when libc does not export it).
    pub fn import_syscalls(&mut self, imp: &Import) -> Option<ExportSyscalls> {
        let addr = self.export_addr(&imp.name, imp.version.as_deref())?;
        Some(self.reach(addr))
    }

    /// Syscalls of libc's own start-up (init functions and the loader's by-name calls), run in
    /// every dynamically linked program.
    pub fn startup_syscalls(&mut self, obj: &Object) -> BTreeSet<u32> {
        let mut roots: Vec<u64> = obj.roots.clone();
        roots.extend(LIBC_LOADER_ROOTS.iter().filter_map(|n| self.export_addr(n, None)));
        let mut all = BTreeSet::new();
        for r in roots {
            all.extend(self.reach(r).syscalls);
        }
        all
    }
}

/// What an object needs, with libc imports expanded through the model.
#[derive(Debug, Clone, Default)]
pub struct ObjectSyscalls {
    /// Syscalls at the object's own `syscall` sites (and resolved argument syscalls).
    pub direct: BTreeSet<u32>,
    /// syscall -> libc functions the object imports that reach it.
    pub via_libc: BTreeMap<u32, BTreeSet<String>>,
    /// Numbers passed to libc's `syscall()`-style exports at the object's call sites.
    pub via_wrapper: BTreeSet<u32>,
    pub libc_imports: usize,
    pub other_imports: usize,
    pub sites: usize,
    pub resolved_sites: usize,
    pub int80_sites: usize,
    pub instructions: usize,
}

impl ObjectSyscalls {
    pub fn all(&self) -> BTreeSet<u32> {
        let mut s = self.direct.clone();
        s.extend(self.via_libc.keys());
        s.extend(&self.via_wrapper);
        s
    }
}

/// Analyse an application object or a non-libc library against the libc model.
pub fn object_syscalls(obj: &Object, libc: &mut LibcModel) -> ObjectSyscalls {
    let (a, d) = analyse_object(obj);
    let mut out = ObjectSyscalls {
        direct: a.all_syscalls(),
        sites: a.sites,
        resolved_sites: a.resolved_sites,
        int80_sites: a.int80_sites,
        instructions: a.instructions,
        ..Default::default()
    };
    let mut wrapper_regs: HashMap<Import, BTreeSet<Register>> = HashMap::new();
    for imp in &obj.imports {
        if libc.provides(imp) {
            out.libc_imports += 1;
            if let Some(s) = libc.import_syscalls(imp) {
                for nr in s.syscalls {
                    out.via_libc.entry(nr).or_default().insert(imp.name.clone());
                }
                if !s.arg_regs.is_empty() {
                    wrapper_regs.insert(imp.clone(), s.arg_regs);
                }
            }
        } else {
            out.other_imports += 1;
        }
    }
    for (src, imp) in &a.import_branches {
        if let Some(regs) = wrapper_regs.get(imp) {
            for &reg in regs {
                for v in d.value_before(*src, reg).vals {
                    if let Val::Const(c) = v
                        && c <= MAX_SYSCALL_NR
                    {
                        out.via_wrapper.insert(c as u32);
                    }
                }
            }
        }
    }
    out
}
