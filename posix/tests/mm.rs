//! Randomized tests of `elfin_posix::mm::AddressMap` against a page-granular reference model.
//!
//! The model keeps one entry per mapped page (protection, shared, kind) plus the "content" of
//! pages that were touched, and applies Linux's rules page by page. A simulated kernel applies
//! only what the `AddressMap` methods report (freed ranges, zaps, moves) to its own copy of the
//! page contents; after every operation the region list must equal the model page for page,
//! the simulated contents must equal the model's (so no reported range was too wide or too
//! narrow), and the structural invariants must hold.

use std::collections::BTreeMap;

use elfin_posix::mm::{
    AddressMap, MMAP_MIN_ADDR, MmError, PAGE, Partial, Range, Region, RegionKind, STACK_GUARD_GAP,
    TASK_SIZE,
};
use linux_raw_sys::general::{
    MADV_DONTNEED, MADV_FREE, MADV_NORMAL, MADV_REMOVE, MAP_ANONYMOUS, MAP_FIXED,
    MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_PRIVATE, MAP_SHARED, MREMAP_DONTUNMAP, MREMAP_FIXED,
    MREMAP_MAYMOVE, PROT_EXEC, PROT_READ, PROT_WRITE,
};

const P: u64 = PAGE;
/// Fixed-address operations land in `[WIN, WIN + WIN_PAGES * P)` (plus a little around it).
const WIN: u64 = 0x10_0000;
const WIN_PAGES: u64 = 192;

/// xorshift64*: deterministic, no dependencies.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn page(&mut self) -> u64 {
        WIN - 4 * P + self.below(WIN_PAGES + 8) * P
    }

    fn len(&mut self) -> u64 {
        let pages = self.below(14);
        let extra = if self.chance(15) {
            1 + self.below(P - 1)
        } else {
            0
        };
        pages * P + extra
    }

    fn prot(&mut self) -> u32 {
        [0, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC][self.below(4) as usize]
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Attr {
    prot: u32,
    shared: bool,
    kind: RegionKind,
}

fn attr(r: &Region) -> Attr {
    Attr {
        prot: r.prot,
        shared: r.shared,
        kind: r.kind,
    }
}

fn page_up(x: u64) -> Option<u64> {
    x.checked_add(P - 1).map(|v| v & !(P - 1))
}

fn pages_of(ranges: &[Range]) -> Vec<u64> {
    let mut out = Vec::new();
    for r in ranges {
        assert!(
            r.start < r.end && r.start % P == 0 && r.end % P == 0,
            "bad range {r:?}"
        );
        out.extend((r.start..r.end).step_by(P as usize));
    }
    for w in out.windows(2) {
        assert!(w[0] < w[1], "ranges not sorted/disjoint: {ranges:?}");
    }
    out
}

#[derive(Default)]
struct Model {
    pages: BTreeMap<u64, Attr>,
    content: BTreeMap<u64, u64>,
    brk: Option<(u64, u64)>,
}

impl Model {
    fn mapped_in(&self, start: u64, end: u64) -> Vec<u64> {
        self.pages.range(start..end).map(|(&p, _)| p).collect()
    }

    fn remove(&mut self, start: u64, end: u64) -> Vec<u64> {
        let gone = self.mapped_in(start, end);
        for p in &gone {
            self.pages.remove(p);
            self.content.remove(p);
        }
        gone
    }

    fn set(&mut self, start: u64, end: u64, a: Attr) {
        for p in (start..end).step_by(P as usize) {
            self.pages.insert(p, a);
        }
    }

    fn is_free(&self, start: u64, end: u64) -> bool {
        self.pages.range(start..end).next().is_none()
    }

    /// Lowest address the region holding mapped page `q` keeps free below itself, for the
    /// purposes of a range that ends at or below `q` (start of the run, minus the stack gap).
    fn start_gap(&self, q: u64) -> u64 {
        let a = self.pages[&q];
        if a.kind == RegionKind::Stack {
            let mut s = q;
            while s >= P && self.pages.get(&(s - P)) == Some(&a) {
                s -= P;
            }
            s.saturating_sub(STACK_GUARD_GAP)
        } else {
            q
        }
    }

    fn brk(&mut self, new: u64) -> (u64, Vec<u64>) {
        let Some((start, cur)) = self.brk else {
            return (0, vec![]);
        };
        if new < start {
            return (cur, vec![]);
        }
        let (Some(np), Some(op)) = (page_up(new), page_up(cur)) else {
            return (cur, vec![]);
        };
        if np == op {
            self.brk = Some((start, new));
            return (new, vec![]);
        }
        if new <= cur {
            if self.is_free(np, op) {
                return (cur, vec![]);
            }
            let gone = self.remove(np, op);
            self.brk = Some((start, new));
            return (new, gone);
        }
        if op < MMAP_MIN_ADDR || np > TASK_SIZE {
            return (cur, vec![]);
        }
        if let Some((&q, _)) = self.pages.range(op..).next()
            && np + P > self.start_gap(q)
        {
            return (cur, vec![]);
        }
        let heap = Attr {
            prot: PROT_READ | PROT_WRITE,
            shared: false,
            kind: RegionKind::Heap,
        };
        self.set(op, np, heap);
        self.brk = Some((start, new));
        (new, vec![])
    }

    /// Linux's stack growth for a fault at `page` (unmapped), with the default 8 MiB limit.
    fn grow_stack(&mut self, page: u64) -> bool {
        let Some((&q, &a)) = self.pages.range(page..).next() else {
            return false;
        };
        if a.kind != RegionKind::Stack || page < MMAP_MIN_ADDR {
            return false;
        }
        let mut end = q;
        while self.pages.get(&end) == Some(&a) {
            end += P;
        }
        if end - page > 8 << 20 {
            return false;
        }
        if let Some((&below, &b)) = self.pages.range(..page).next_back()
            && b.kind != RegionKind::Stack
            && b.prot != 0
            && page - (below + P) < STACK_GUARD_GAP
        {
            return false;
        }
        self.set(page, q, a);
        true
    }
}

struct Harness {
    map: AddressMap,
    model: Model,
    /// Page contents as the simulated kernel sees them (only driven by reported ranges).
    sim: BTreeMap<u64, u64>,
    tag: u64,
}

impl Harness {
    fn new() -> Self {
        Harness {
            map: AddressMap::new(WIN + WIN_PAGES * P),
            model: Model::default(),
            sim: BTreeMap::new(),
            tag: 0,
        }
    }

    fn sim_free(&mut self, ranges: &[Range]) {
        for p in pages_of(ranges) {
            self.sim.remove(&p);
        }
    }

    fn check(&self, what: &str) {
        let mut model_pages = self.model.pages.iter();
        let mut prev: Option<&Region> = None;
        for r in self.map.regions() {
            assert!(
                r.start < r.end && r.start % P == 0 && r.end % P == 0,
                "{what}: {r:?}"
            );
            assert!(
                r.start >= MMAP_MIN_ADDR && r.end <= TASK_SIZE,
                "{what}: {r:?}"
            );
            if let Some(p) = prev {
                assert!(p.end <= r.start, "{what}: overlap {p:?} {r:?}");
                let mergeable = p.end == r.start
                    && !p.shared
                    && !r.shared
                    && p.prot == r.prot
                    && p.kind == r.kind;
                assert!(!mergeable, "{what}: not merged {p:?} {r:?}");
            }
            prev = Some(r);
            for p in (r.start..r.end).step_by(P as usize) {
                let expected = model_pages.next().map(|(&q, &a)| (q, a));
                assert_eq!(
                    Some((p, attr(r))),
                    expected,
                    "{what}: regions differ from the model"
                );
            }
        }
        assert_eq!(model_pages.next(), None, "{what}: the model has more pages");
        assert_eq!(self.sim, self.model.content, "{what}: page contents differ");
        assert_eq!(
            self.map.brk_current(),
            self.model.brk.map_or(0, |b| b.1),
            "{what}"
        );
    }

    fn step(&mut self, rng: &mut Rng) -> String {
        match rng.below(100) {
            0..=14 => self.op_mmap(rng, false),
            15..=29 => self.op_mmap(rng, true),
            30..=41 => self.op_munmap(rng),
            42..=53 => self.op_mprotect(rng),
            54..=61 => self.op_madvise(rng),
            62..=75 => self.op_mremap(rng),
            76..=83 => self.op_brk(rng),
            _ => self.op_touch(rng),
        }
    }

    fn op_mmap(&mut self, rng: &mut Rng, fixed: bool) -> String {
        let addr = if fixed || rng.chance(30) {
            rng.page()
        } else {
            0
        };
        let len = rng.len();
        let prot = rng.prot();
        let mut flags = MAP_ANONYMOUS;
        flags |= if rng.chance(15) {
            MAP_SHARED
        } else {
            MAP_PRIVATE
        };
        if rng.chance(8) {
            flags |= MAP_GROWSDOWN;
        }
        if fixed {
            flags |= if rng.chance(25) {
                MAP_FIXED_NOREPLACE
            } else {
                MAP_FIXED
            };
        }
        let what = format!("mmap({addr:#x}, {len:#x}, {prot}, {flags:#x})");
        let res = self.map.mmap(addr, len, prot, flags);
        let kind = if flags & MAP_GROWSDOWN != 0 {
            RegionKind::Stack
        } else {
            RegionKind::Anon
        };
        let a = Attr {
            prot,
            shared: flags & MAP_SHARED != 0,
            kind,
        };
        let Some(plen) = page_up(len).filter(|&l| l > 0) else {
            assert!(res.is_err(), "{what}");
            return what;
        };
        // Linux checks the map type after the address (EPERM, EEXIST come first).
        let bad_type = flags & MAP_SHARED != 0 && flags & MAP_GROWSDOWN != 0;
        if !fixed && bad_type {
            assert_eq!(res, Err(MmError::Inval), "{what}");
            return what;
        }
        if !fixed {
            let (got, freed) = res.expect(&what);
            assert!(freed.is_empty(), "{what}");
            assert!(
                got >= MMAP_MIN_ADDR && got % P == 0 && got + plen <= TASK_SIZE,
                "{what}"
            );
            assert!(
                self.model.is_free(got, got + plen),
                "{what}: got {got:#x} not free"
            );
            self.model.set(got, got + plen, a);
            return what;
        }
        if addr < MMAP_MIN_ADDR {
            assert_eq!(res, Err(MmError::Perm), "{what}");
            return what;
        }
        if flags & MAP_FIXED_NOREPLACE != 0 && !self.model.is_free(addr, addr + plen) {
            assert_eq!(res, Err(MmError::Exist), "{what}");
            return what;
        }
        if bad_type {
            assert_eq!(res, Err(MmError::Inval), "{what}");
            return what;
        }
        let (got, freed) = res.expect(&what);
        assert_eq!(got, addr, "{what}");
        let expected = self.model.remove(addr, addr + plen);
        assert_eq!(pages_of(&freed), expected, "{what}: freed");
        self.sim_free(&freed);
        self.model.set(addr, addr + plen, a);
        what
    }

    /// A random mapped page (anywhere) or a random page of the window.
    fn target(&self, rng: &mut Rng) -> u64 {
        let n = self.model.pages.len() as u64;
        if n > 0 && rng.chance(50) {
            *self.model.pages.keys().nth(rng.below(n) as usize).unwrap()
        } else {
            rng.page()
        }
    }

    fn op_munmap(&mut self, rng: &mut Rng) -> String {
        let addr = self.target(rng) + if rng.chance(5) { 8 } else { 0 };
        let len = rng.len();
        let what = format!("munmap({addr:#x}, {len:#x})");
        let res = self.map.munmap(addr, len);
        if !addr.is_multiple_of(P) || len == 0 {
            assert_eq!(res, Err(MmError::Inval), "{what}");
            return what;
        }
        let freed = res.expect(&what);
        let end = addr + page_up(len).unwrap();
        assert_eq!(pages_of(&freed), self.model.remove(addr, end), "{what}");
        self.sim_free(&freed);
        what
    }

    fn op_mprotect(&mut self, rng: &mut Rng) -> String {
        let addr = self.target(rng);
        let len = rng.len();
        let prot = rng.prot();
        let what = format!("mprotect({addr:#x}, {len:#x}, {prot})");
        let res = self.map.mprotect(addr, len, prot);
        if len == 0 {
            assert_eq!(res, Ok(vec![]), "{what}");
            return what;
        }
        let end = addr + page_up(len).unwrap();
        let mut changed = Vec::new();
        let mut p = addr;
        while p < end {
            let Some(a) = self.model.pages.get_mut(&p) else {
                break;
            };
            if a.prot != prot {
                a.prot = prot;
                changed.push(p);
            }
            p += P;
        }
        match res {
            Ok(done) => {
                assert_eq!(p, end, "{what}");
                assert_eq!(pages_of(&done), changed, "{what}");
            }
            Err(Partial { error, done }) => {
                assert!(p < end, "{what}");
                assert_eq!(error, MmError::NoMem, "{what}");
                assert_eq!(pages_of(&done), changed, "{what}");
            }
        }
        what
    }

    fn op_madvise(&mut self, rng: &mut Rng) -> String {
        let addr = self.target(rng);
        let len = rng.len();
        let advice = [MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_NORMAL][rng.below(4) as usize];
        let what = format!("madvise({addr:#x}, {len:#x}, {advice})");
        let res = self.map.madvise(addr, len, advice);
        if len == 0 {
            assert_eq!(res, Ok(vec![]), "{what}");
            return what;
        }
        let end = addr + page_up(len).unwrap();
        let mut zap = Vec::new();
        let mut error = None;
        let mut hole = false;
        for p in (addr..end).step_by(P as usize) {
            let Some(a) = self.model.pages.get(&p) else {
                hole = true;
                continue;
            };
            let private = !a.shared && a.kind != RegionKind::Image;
            let outcome = match advice {
                MADV_DONTNEED => Ok(private),
                MADV_FREE if private => Ok(true),
                MADV_FREE => Err(MmError::Inval),
                MADV_REMOVE if a.shared => Ok(true),
                MADV_REMOVE => Err(MmError::Inval),
                _ => Ok(false),
            };
            match outcome {
                Ok(true) => zap.push(p),
                Ok(false) => {}
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if error.is_none() && hole {
            error = Some(MmError::NoMem);
        }
        for p in &zap {
            self.model.content.remove(p);
        }
        let (got_error, done) = match res {
            Ok(done) => (None, done),
            Err(Partial { error, done }) => (Some(error), done),
        };
        assert_eq!(got_error, error, "{what}");
        assert_eq!(pages_of(&done), zap, "{what}");
        self.sim_free(&done);
        what
    }

    fn op_mremap(&mut self, rng: &mut Rng) -> String {
        // Usually start at a mapped page so that something happens.
        let old = if rng.chance(85) {
            self.target(rng)
        } else {
            rng.page()
        };
        let old_len = rng.below(10) * P;
        let mut new_len = (1 + rng.below(10)) * P;
        let flags = [
            0,
            MREMAP_MAYMOVE,
            MREMAP_MAYMOVE | MREMAP_FIXED,
            MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
            MREMAP_MAYMOVE | MREMAP_DONTUNMAP | MREMAP_FIXED,
        ][rng.below(5) as usize];
        if flags & MREMAP_DONTUNMAP != 0 || rng.chance(20) {
            new_len = old_len.max(P);
        }
        let new_addr = if flags & MREMAP_FIXED != 0 || rng.chance(20) {
            rng.page()
        } else {
            0
        };
        let what = format!("mremap({old:#x}, {old_len:#x}, {new_len:#x}, {flags}, {new_addr:#x})");
        let before: Vec<Region> = self.map.regions().cloned().collect();
        let res = self.map.mremap(old, old_len, new_len, flags, new_addr);
        let Ok(remap) = res else {
            let after: Vec<Region> = self.map.regions().cloned().collect();
            assert_eq!(
                before, after,
                "{what}: failed but changed the map ({res:?})"
            );
            return what;
        };
        let freed = pages_of(&remap.freed);
        let mut expected_freed = Vec::new();
        match remap.moved {
            None => {
                assert_eq!(remap.addr, old, "{what}");
                if new_len < old_len {
                    expected_freed = self.model.remove(old + new_len, old + old_len);
                } else if new_len > old_len {
                    let last = self.model.pages[&(old + old_len - P)];
                    let (gs, ge) = (old + old_len, old + new_len);
                    assert!(self.model.is_free(gs, ge), "{what}: grew over a mapping");
                    self.model.set(gs, ge, last);
                }
            }
            Some((from, to, keep)) => {
                assert_eq!(from, old, "{what}");
                assert_eq!(remap.addr, to, "{what}");
                assert_eq!(keep, old_len.min(new_len), "{what}");
                let dontunmap = flags & MREMAP_DONTUNMAP != 0;
                if flags & MREMAP_FIXED != 0 {
                    assert_eq!(to, new_addr, "{what}");
                    expected_freed = self.model.remove(to, to + new_len);
                } else {
                    assert!(
                        self.model.is_free(to, to + new_len),
                        "{what}: target not free"
                    );
                }
                if old_len > new_len {
                    expected_freed.extend(self.model.remove(old + new_len, old + old_len));
                    expected_freed.sort_unstable();
                }
                let last = (new_len > keep).then(|| self.model.pages[&(from + keep - P)]);
                let moved: Vec<(u64, Attr, Option<u64>)> = self
                    .model
                    .pages
                    .range(from..from + keep)
                    .map(|(&p, &a)| (p, a, self.model.content.get(&p).copied()))
                    .collect();
                for (p, a, content) in moved {
                    self.model.content.remove(&p);
                    if !dontunmap {
                        self.model.pages.remove(&p);
                    }
                    let mut a = a;
                    if a.kind == RegionKind::Heap {
                        a.kind = RegionKind::Anon;
                    }
                    let q = p - from + to;
                    self.model.pages.insert(q, a);
                    if let Some(c) = content {
                        self.model.content.insert(q, c);
                    }
                }
                if let Some(mut last) = last {
                    if last.kind == RegionKind::Heap {
                        last.kind = RegionKind::Anon;
                    }
                    self.model.set(to + keep, to + new_len, last);
                }
            }
        }
        assert_eq!(freed, expected_freed, "{what}: freed");
        // The simulated kernel: free, then move present pages.
        self.sim_free(&remap.freed);
        if let Some((from, to, len)) = remap.moved {
            let present: Vec<(u64, u64)> = self
                .sim
                .range(from..from + len)
                .map(|(&p, &c)| (p, c))
                .collect();
            for (p, c) in present {
                self.sim.remove(&p);
                self.sim.insert(p - from + to, c);
            }
        }
        what
    }

    fn op_brk(&mut self, rng: &mut Rng) -> String {
        if self.model.brk.is_none() || rng.chance(2) {
            let start = WIN + rng.below(WIN_PAGES) * P;
            self.map.brk_init(start);
            self.model.brk = Some((start, start));
            return format!("brk_init({start:#x})");
        }
        let (start, cur) = self.model.brk.unwrap();
        let new = match rng.below(10) {
            0 => 0,
            1 => start - 1,
            2 => u64::MAX,
            3..=5 => cur + rng.below(8 * P),
            _ => (start + rng.below(16 * P)).min(cur.saturating_sub(rng.below(8 * P)).max(start)),
        };
        let what = format!("brk({new:#x})");
        let (got, freed) = self.map.brk(new);
        let (want, gone) = self.model.brk(new);
        assert_eq!(got, want, "{what}");
        assert_eq!(pages_of(&freed), gone, "{what}");
        self.sim_free(&freed);
        what
    }

    fn op_touch(&mut self, rng: &mut Rng) -> String {
        let addr = rng.page() + rng.below(P);
        let page = addr & !(P - 1);
        let what = format!("touch({addr:#x})");
        let mapped = self.model.pages.contains_key(&page) || self.model.grow_stack(page);
        let found = self.map.fault_lookup(addr).cloned();
        assert_eq!(found.is_some(), mapped, "{what}");
        if let Some(r) = found {
            assert!(r.contains(addr), "{what}");
            assert_eq!(attr(&r), self.model.pages[&page], "{what}");
            self.tag += 1;
            self.sim.insert(page, self.tag);
            self.model.content.insert(page, self.tag);
        }
        what
    }
}

#[test]
fn random_operations_match_the_model() {
    for seed in 1..=24u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mut h = Harness::new();
        let mut history = Vec::new();
        for step in 0..1500 {
            let what = h.step(&mut rng);
            history.push(what);
            if history.len() > 8 {
                history.remove(0);
            }
            let ctx = format!("seed {seed} step {step}, last ops {history:?}");
            h.check(&ctx);
        }
    }
}

#[test]
fn random_operations_respect_max_map_count() {
    for seed in 1..=8u64 {
        let mut rng = Rng(seed.wrapping_mul(0xd1b5_4a32_d192_ed03) | 1);
        let mut map = AddressMap::new(WIN + WIN_PAGES * P);
        let max = 3 + seed as usize;
        map.set_max_map_count(max);
        map.brk_init(WIN + 100 * P);
        for _ in 0..3000 {
            let before: Vec<Region> = map.regions().cloned().collect();
            let (addr, len) = (rng.page(), rng.len());
            let prot = rng.prot();
            let unchanged_expected = match rng.below(6) {
                0 => map.mmap(addr, len, prot, MAP_PRIVATE | MAP_FIXED).is_err(),
                1 => map.mmap(0, len, prot, MAP_PRIVATE).is_err(),
                2 => map.munmap(addr, len).is_err(),
                3 => {
                    matches!(map.mprotect(addr, len, prot), Err(Partial { done, .. }) if done.is_empty())
                }
                4 => {
                    let flags =
                        [MREMAP_MAYMOVE, MREMAP_MAYMOVE | MREMAP_FIXED][rng.below(2) as usize];
                    map.mremap(addr, len, rng.len(), flags, rng.page()).is_err()
                }
                _ => {
                    let cur = map.brk_current();
                    map.brk(cur.wrapping_add(rng.below(6 * P)).wrapping_sub(3 * P))
                        .0
                        == cur
                }
            };
            let after: Vec<Region> = map.regions().cloned().collect();
            assert!(
                after.len() <= max,
                "seed {seed}: {} regions > {max}",
                after.len()
            );
            if unchanged_expected {
                assert_eq!(
                    before, after,
                    "seed {seed}: a failed operation changed the map"
                );
            }
            for w in after.windows(2) {
                assert!(w[0].end <= w[1].start);
            }
        }
    }
}

#[test]
fn image_and_stack_layout_like_a_loaded_program() {
    // What the kernel does at boot for a static non-PIE binary.
    let stack_top = 0x7fff_ffff_e000;
    let mut map = AddressMap::new(stack_top - (128 << 20));
    let seg = |start: u64, end: u64, prot: u32| Region {
        start,
        end,
        prot,
        shared: false,
        kind: RegionKind::Image,
        file: None,
    };
    map.insert(seg(0x40_0000, 0x40_1000, PROT_READ)).unwrap();
    map.insert(seg(0x40_1000, 0x49_8000, PROT_READ | PROT_EXEC))
        .unwrap();
    map.insert(seg(0x49_8000, 0x4c_1000, PROT_READ)).unwrap();
    map.insert(seg(0x4c_1000, 0x4c_b000, PROT_READ | PROT_WRITE))
        .unwrap();
    let stack = Region {
        start: stack_top - 33 * P,
        end: stack_top,
        prot: PROT_READ | PROT_WRITE,
        shared: false,
        kind: RegionKind::Stack,
        file: None,
    };
    map.insert(stack).unwrap();
    map.brk_init(0x4c_a123);
    assert_eq!(map.brk(0), (0x4c_b000, vec![]));
    assert_eq!(map.brk(0x4e_d000), (0x4e_d000, vec![]));
    let (a, _) = map
        .mmap(
            0,
            0x21000,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
        )
        .unwrap();
    assert_eq!(a, stack_top - (128 << 20) - 0x21000);
    let kinds: Vec<RegionKind> = map.regions().map(|r| r.kind).collect();
    use RegionKind::*;
    assert_eq!(kinds, vec![Image, Image, Image, Image, Heap, Anon, Stack]);
    // The data segment and the heap are both RW but stay apart, like [heap] in /proc/self/maps.
    assert!(map.check_access(0x4c_1000, 0x4e_d000 - 0x4c_1000, true));
    assert!(!map.check_access(0x49_8000, 8, true));
    // Deep recursion grows the stack.
    assert!(map.fault_lookup(stack_top - 1000 * P).is_some());
    assert_eq!(map.find(stack_top - P).unwrap().start, stack_top - 1000 * P);
}
