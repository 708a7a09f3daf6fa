//! One ELF object (executable or shared library) as the analyser sees it: its executable
//! sections, dynamic imports and exports with their symbol versions, the GOT slots that
//! relocations bind to a symbol or an address, DT_NEEDED/RUNPATH, and its start-up roots.
//!
//! Parsing is goblin's; this file only gathers what `disasm` and `analysis` need, owned, so the
//! file bytes can be dropped. Only x86-64 objects are accepted.

use anyhow::{Result, anyhow, bail};
use goblin::elf::{Elf, header, program_header, reloc, section_header, sym};
use std::collections::HashMap;
use std::path::Path;

/// An executable section's bytes and where they are mapped.
#[derive(Debug, Clone)]
pub struct CodeSection {
    pub name: String,
    pub addr: u64,
    pub data: Vec<u8>,
}

/// An undefined dynamic symbol the object imports (a function or an untyped symbol).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Import {
    pub name: String,
    /// The required version (`GLIBC_2.34`...), if the object names one.
    pub version: Option<String>,
}

/// A function the object defines and exports.
#[derive(Debug, Clone)]
pub struct Export {
    pub name: String,
    pub version: Option<String>,
    /// True for the default version (`name@@V`) or an unversioned symbol.
    pub default: bool,
    pub addr: u64,
    pub ifunc: bool,
}

/// What a GOT slot (or any relocated pointer) holds once the dynamic linker has run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SlotTarget {
    /// The address of a symbol another object defines.
    Import(Import),
    /// An address inside this object (a local symbol, RELATIVE or IRELATIVE resolver).
    Local(u64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjKind {
    /// An executable with a PT_INTERP (dynamically linked).
    DynamicExecutable,
    /// A statically linked executable (ET_EXEC or static-PIE, no PT_INTERP).
    StaticExecutable,
    /// A shared library (ET_DYN without PT_INTERP, or one that is also runnable like libc).
    SharedLibrary,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub kind: ObjKind,
    pub interp: Option<String>,
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub runpaths: Vec<String>,
    pub code: Vec<CodeSection>,
    pub imports: Vec<Import>,
    pub exports: Vec<Export>,
    /// Start addresses of every defined function symbol (dynamic and, when present, static).
    pub func_starts: Vec<u64>,
    /// Relocated pointer slots: GOT entries (JUMP_SLOT, GLOB_DAT) and RELATIVE/IRELATIVE words.
    pub slots: HashMap<u64, SlotTarget>,
    /// Functions run at load or start: e_entry, DT_INIT, DT_INIT_ARRAY entries.
    pub roots: Vec<u64>,
}

/// True when `bytes` starts with the ELF magic.
pub fn is_elf(bytes: &[u8]) -> bool {
    bytes.len() >= 4 && &bytes[..4] == b"\x7fELF"
}

fn symbol_versions(elf: &Elf<'_>) -> (HashMap<u16, String>, HashMap<u16, String>) {
    // version index -> name, for required (verneed) and defined (verdef) versions.
    let mut needed = HashMap::new();
    if let Some(vn) = &elf.verneed {
        for need in vn.iter() {
            for aux in need.iter() {
                if let Some(name) = elf.dynstrtab.get_at(aux.vna_name) {
                    needed.insert(aux.vna_other, name.to_string());
                }
            }
        }
    }
    let mut defined = HashMap::new();
    if let Some(vd) = &elf.verdef {
        for def in vd.iter() {
            if let Some(aux) = def.iter().next()
                && let Some(name) = elf.dynstrtab.get_at(aux.vda_name)
                && def.vd_flags & 1 == 0
            {
                // VER_FLG_BASE (1) names the file itself, not a version.
                defined.insert(def.vd_ndx, name.to_string());
            }
        }
    }
    (needed, defined)
}

impl Object {
    /// Read and parse an ELF file.
    pub fn open(path: &Path) -> Result<Object> {
        let bytes = std::fs::read(path).map_err(|e| anyhow!("reading {}: {e}", path.display()))?;
        Object::parse(&bytes).map_err(|e| anyhow!("{}: {e}", path.display()))
    }

    /// Parse the bytes of an x86-64 ELF object.
    pub fn parse(bytes: &[u8]) -> Result<Object> {
        let elf = Elf::parse(bytes).map_err(|e| anyhow!("not a valid ELF file: {e}"))?;
        if elf.header.e_machine != header::EM_X86_64 || !elf.is_64 {
            bail!("not an x86-64 ELF object (machine {})", elf.header.e_machine);
        }
        let is_exec_type = elf.header.e_type == header::ET_EXEC;
        let kind = if elf.interpreter.is_some() {
            // libc.so.6 has a PT_INTERP too, but it also has a SONAME: it is a library.
            if elf.soname.is_some() && elf.header.e_type == header::ET_DYN {
                ObjKind::SharedLibrary
            } else {
                ObjKind::DynamicExecutable
            }
        } else if is_exec_type {
            ObjKind::StaticExecutable
        } else if elf.header.e_type == header::ET_DYN {
            // Static-PIE has no PT_INTERP and no DT_NEEDED, but a DF_1_PIE flag; a library has
            // neither a PT_INTERP nor (usually) DF_1_PIE.
            let pie = elf.dynamic.as_ref().is_some_and(|d| {
                d.dyns.iter().any(|e| e.d_tag == goblin::elf::dynamic::DT_FLAGS_1 && e.d_val & 0x0800_0000 != 0)
            });
            if pie && elf.libraries.is_empty() { ObjKind::StaticExecutable } else { ObjKind::SharedLibrary }
        } else {
            bail!("neither an executable nor a shared library (e_type {})", elf.header.e_type);
        };

        let mut code = Vec::new();
        for sh in &elf.section_headers {
            let exec = sh.sh_flags & u64::from(section_header::SHF_EXECINSTR) != 0;
            if !exec || sh.sh_type != section_header::SHT_PROGBITS || sh.sh_size == 0 {
                continue;
            }
            let name = elf.shdr_strtab.get_at(sh.sh_name).unwrap_or("").to_string();
            let start = sh.sh_offset as usize;
            let end = start.checked_add(sh.sh_size as usize).ok_or_else(|| anyhow!("section size overflows"))?;
            let data = bytes.get(start..end).ok_or_else(|| anyhow!("section {name} lies outside the file"))?;
            code.push(CodeSection { name, addr: sh.sh_addr, data: data.to_vec() });
        }
        if code.is_empty() {
            // No section headers (rare, hand-stripped): fall back to executable PT_LOAD segments.
            for ph in &elf.program_headers {
                if ph.p_type == program_header::PT_LOAD && ph.p_flags & program_header::PF_X != 0 {
                    let start = ph.p_offset as usize;
                    let end = start.saturating_add(ph.p_filesz as usize).min(bytes.len());
                    if start < end {
                        code.push(CodeSection { name: "PT_LOAD".into(), addr: ph.p_vaddr, data: bytes[start..end].to_vec() });
                    }
                }
            }
        }

        let (need_vers, def_vers) = symbol_versions(&elf);
        let mut imports = Vec::new();
        let mut exports = Vec::new();
        let mut func_starts = Vec::new();
        let mut dyn_import_of = HashMap::new();
        for (i, s) in elf.dynsyms.iter().enumerate() {
            let name = elf.dynstrtab.get_at(s.st_name).unwrap_or("");
            if name.is_empty() {
                continue;
            }
            let versym = elf.versym.as_ref().and_then(|v| v.get_at(i));
            let vidx = versym.as_ref().map(|v| v.version()).unwrap_or(0);
            let hidden = versym.as_ref().is_some_and(|v| v.is_hidden());
            let ty = s.st_type();
            if s.st_shndx == section_header::SHN_UNDEF as usize {
                let imp = Import { name: name.to_string(), version: need_vers.get(&vidx).cloned() };
                if matches!(ty, sym::STT_FUNC | sym::STT_NOTYPE | sym::STT_GNU_IFUNC) {
                    imports.push(imp.clone());
                }
                dyn_import_of.insert(i, imp);
            } else if matches!(ty, sym::STT_FUNC | sym::STT_GNU_IFUNC) && s.st_value != 0 {
                func_starts.push(s.st_value);
                if s.st_bind() != sym::STB_LOCAL {
                    exports.push(Export {
                        name: name.to_string(),
                        version: def_vers.get(&vidx).cloned(),
                        default: !hidden,
                        addr: s.st_value,
                        ifunc: ty == sym::STT_GNU_IFUNC,
                    });
                }
            }
        }
        for s in elf.syms.iter() {
            if matches!(s.st_type(), sym::STT_FUNC | sym::STT_GNU_IFUNC) && s.st_value != 0 && s.st_shndx != 0 {
                func_starts.push(s.st_value);
            }
        }
        func_starts.sort_unstable();
        func_starts.dedup();
        imports.sort();
        imports.dedup();

        let mut slots = HashMap::new();
        let mut relocated_words: HashMap<u64, u64> = HashMap::new();
        for r in elf.dynrelas.iter().chain(elf.pltrelocs.iter()) {
            let addend = r.r_addend.unwrap_or(0) as u64;
            match r.r_type {
                reloc::R_X86_64_JUMP_SLOT | reloc::R_X86_64_GLOB_DAT | reloc::R_X86_64_64 => {
                    if let Some(imp) = dyn_import_of.get(&r.r_sym) {
                        slots.insert(r.r_offset, SlotTarget::Import(imp.clone()));
                    } else if let Some(s) = elf.dynsyms.get(r.r_sym)
                        && s.st_value != 0
                    {
                        slots.insert(r.r_offset, SlotTarget::Local(s.st_value.wrapping_add(addend)));
                    }
                }
                reloc::R_X86_64_RELATIVE | reloc::R_X86_64_IRELATIVE => {
                    slots.insert(r.r_offset, SlotTarget::Local(addend));
                    relocated_words.insert(r.r_offset, addend);
                }
                _ => {}
            }
        }

        let mut roots = Vec::new();
        if elf.header.e_entry != 0 {
            roots.push(elf.header.e_entry);
        }
        if let Some(d) = &elf.dynamic {
            let mut init_array = None;
            let mut init_array_sz = 0;
            for e in &d.dyns {
                match e.d_tag {
                    goblin::elf::dynamic::DT_INIT => roots.push(e.d_val),
                    goblin::elf::dynamic::DT_INIT_ARRAY => init_array = Some(e.d_val),
                    goblin::elf::dynamic::DT_INIT_ARRAYSZ => init_array_sz = e.d_val,
                    _ => {}
                }
            }
            if let Some(base) = init_array {
                for k in 0..init_array_sz / 8 {
                    let at = base + k * 8;
                    if let Some(v) = relocated_words.get(&at) {
                        roots.push(*v);
                    } else if let Some(v) = read_u64_at(&elf, bytes, at)
                        && v != 0
                        && v != u64::MAX
                    {
                        roots.push(v);
                    }
                }
            }
        }

        Ok(Object {
            kind,
            interp: elf.interpreter.map(str::to_string),
            soname: elf.soname.map(str::to_string),
            needed: elf.libraries.iter().map(|s| s.to_string()).collect(),
            runpaths: elf.runpaths.iter().chain(elf.rpaths.iter()).flat_map(|s| s.split(':')).map(str::to_string).collect(),
            code,
            imports,
            exports,
            func_starts,
            slots,
            roots,
        })
    }

    /// True when `addr` lies in one of the executable sections.
    pub fn is_code(&self, addr: u64) -> bool {
        self.code.iter().any(|c| addr >= c.addr && addr < c.addr + c.data.len() as u64)
    }
}

/// Read a little-endian u64 at virtual address `addr` from the file image (through PT_LOAD).
fn read_u64_at(elf: &Elf<'_>, bytes: &[u8], addr: u64) -> Option<u64> {
    for ph in &elf.program_headers {
        if ph.p_type == program_header::PT_LOAD && addr >= ph.p_vaddr && addr + 8 <= ph.p_vaddr + ph.p_filesz {
            let off = (ph.p_offset + (addr - ph.p_vaddr)) as usize;
            let b = bytes.get(off..off + 8)?;
            return Some(u64::from_le_bytes(b.try_into().ok()?));
        }
    }
    None
}
