//! Choice of QEMU accelerator: KVM where hardware virtualization is real, TCG otherwise.
//!
//! Many cloud VMs expose a `/dev/kvm` backed by the nested `kvm_pvm` module, with no `vmx`/`svm`
//! CPU flag; under it every guest ring-0 instruction is emulated (~3000x slower than TCG), so it
//! must not be picked (DESIGN.md section 3). [`choose`] is a pure function of [`HostFacts`]
//! (gathered by [`HostFacts::probe`]) and the user's [`AccelChoice`]; [`Accel::qemu_args`]
//! gives the matching QEMU options. Used by `cli.rs` and `qemu.rs`.

use std::fs;
use std::path::Path;

/// The accelerator QEMU runs the guest with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    /// Hardware virtualization through `/dev/kvm`.
    Kvm,
    /// QEMU's binary translator.
    Tcg,
}

/// What the user asked for on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccelChoice {
    /// Detect (the default).
    #[default]
    Auto,
    /// `--kvm`.
    ForceKvm,
    /// `--no-kvm`.
    ForceTcg,
}

/// The facts about the host that decide between KVM and TCG.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostFacts {
    /// `/dev/kvm` exists and this user can open it read-write.
    pub dev_kvm_usable: bool,
    /// `/proc/cpuinfo` lists the `vmx` (Intel) or `svm` (AMD) flag.
    pub cpu_has_virt: bool,
    /// `/sys/module/kvm_pvm` exists: `/dev/kvm` is the slow nested PVM flavour.
    pub kvm_pvm_loaded: bool,
}

impl HostFacts {
    /// Reads the facts from this machine.
    pub fn probe() -> Self {
        Self {
            dev_kvm_usable: fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open("/dev/kvm")
                .is_ok(),
            cpu_has_virt: fs::read_to_string("/proc/cpuinfo")
                .is_ok_and(|text| cpuinfo_has_virt(&text)),
            kvm_pvm_loaded: Path::new("/sys/module/kvm_pvm").exists(),
        }
    }
}

/// Picks the accelerator: a forced choice wins; otherwise KVM only when it is real.
pub fn choose(choice: AccelChoice, facts: HostFacts) -> Accel {
    match choice {
        AccelChoice::ForceKvm => Accel::Kvm,
        AccelChoice::ForceTcg => Accel::Tcg,
        AccelChoice::Auto
            if facts.dev_kvm_usable && facts.cpu_has_virt && !facts.kvm_pvm_loaded =>
        {
            Accel::Kvm
        }
        AccelChoice::Auto => Accel::Tcg,
    }
}

/// True when a `flags` line of `/proc/cpuinfo` contains the word `vmx` or `svm`.
pub fn cpuinfo_has_virt(cpuinfo: &str) -> bool {
    cpuinfo.lines().any(|line| {
        let Some((key, value)) = line.split_once(':') else {
            return false;
        };
        key.trim() == "flags"
            && value
                .split_whitespace()
                .any(|flag| flag == "vmx" || flag == "svm")
    })
}

impl Accel {
    /// The QEMU options selecting this accelerator and its CPU model.
    ///
    /// `-arch-capabilities`: with `-cpu host`, QEMU may otherwise abort setting MSR 0x10a.
    pub fn qemu_args(self) -> [&'static str; 4] {
        match self {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host,-arch-capabilities"],
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
        }
    }

    /// Short name for messages.
    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REAL: HostFacts = HostFacts {
        dev_kvm_usable: true,
        cpu_has_virt: true,
        kvm_pvm_loaded: false,
    };

    #[test]
    fn real_kvm_is_chosen() {
        assert_eq!(choose(AccelChoice::Auto, REAL), Accel::Kvm);
    }

    #[test]
    fn any_missing_fact_means_tcg() {
        for facts in [
            HostFacts {
                dev_kvm_usable: false,
                ..REAL
            },
            HostFacts {
                cpu_has_virt: false,
                ..REAL
            },
            HostFacts {
                kvm_pvm_loaded: true,
                ..REAL
            },
            // The machines this was written on: /dev/kvm from kvm_pvm, no vmx/svm.
            HostFacts {
                dev_kvm_usable: true,
                cpu_has_virt: false,
                kvm_pvm_loaded: true,
            },
        ] {
            assert_eq!(choose(AccelChoice::Auto, facts), Accel::Tcg, "{facts:?}");
        }
    }

    #[test]
    fn forcing_wins_over_facts() {
        let none = HostFacts {
            dev_kvm_usable: false,
            cpu_has_virt: false,
            kvm_pvm_loaded: true,
        };
        assert_eq!(choose(AccelChoice::ForceKvm, none), Accel::Kvm);
        assert_eq!(choose(AccelChoice::ForceTcg, REAL), Accel::Tcg);
    }

    #[test]
    fn cpuinfo_flags_are_matched_as_words() {
        let intel = "processor\t: 0\nflags\t\t: fpu vme de pse vmx ssse3\nbugs\t\t: spectre\n";
        let amd = "flags\t\t: fpu svm lm\n";
        let none = "flags\t\t: fpu vmxnot xsvm hypervisor\nmodel name\t: vmx svm\n";
        assert!(cpuinfo_has_virt(intel));
        assert!(cpuinfo_has_virt(amd));
        assert!(!cpuinfo_has_virt(none));
        assert!(!cpuinfo_has_virt(""));
    }

    #[test]
    fn qemu_args_match_the_boot_protocol() {
        assert_eq!(Accel::Tcg.qemu_args(), ["-accel", "tcg", "-cpu", "max"]);
        assert_eq!(
            Accel::Kvm.qemu_args(),
            ["-accel", "kvm", "-cpu", "host,-arch-capabilities"]
        );
    }
}
