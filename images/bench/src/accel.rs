//! The accelerator both guests run under: KVM only where hardware virtualization is real,
//! TCG otherwise. The same rule as the `elfin` CLI (`images/src/accel.rs`, DESIGN.md section
//! 3): `/dev/kvm` usable, a `vmx`/`svm` CPU flag, and no nested `kvm_pvm` module.

/// The accelerator, with the QEMU options and the `elfin run` flag that select it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

impl Accel {
    /// KVM exactly when all three facts hold.
    pub fn choose(dev_kvm_usable: bool, cpu_has_virt: bool, kvm_pvm_loaded: bool) -> Self {
        if dev_kvm_usable && cpu_has_virt && !kvm_pvm_loaded {
            Accel::Kvm
        } else {
            Accel::Tcg
        }
    }

    /// QEMU's options for the Linux guest (the CLI adds the same for Elfin).
    pub fn qemu_args(self) -> [&'static str; 4] {
        match self {
            Accel::Kvm => ["-accel", "kvm", "-cpu", "host,-arch-capabilities"],
            Accel::Tcg => ["-accel", "tcg", "-cpu", "max"],
        }
    }

    /// The `elfin run` flag that forces it, so both guests surely use the same one.
    pub fn elfin_flag(self) -> &'static str {
        match self {
            Accel::Kvm => "--kvm",
            Accel::Tcg => "--no-kvm",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }
}

/// True when a `flags` line of `/proc/cpuinfo` has the word `vmx` or `svm`.
pub fn cpuinfo_has_virt(cpuinfo: &str) -> bool {
    cpuinfo.lines().any(|line| {
        line.split_once(':').is_some_and(|(key, value)| {
            key.trim() == "flags" && value.split_whitespace().any(|f| f == "vmx" || f == "svm")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kvm_only_when_real() {
        assert_eq!(Accel::choose(true, true, false), Accel::Kvm);
        assert_eq!(Accel::choose(true, false, true), Accel::Tcg); // these machines
        assert_eq!(Accel::choose(false, true, false), Accel::Tcg);
        assert_eq!(Accel::choose(true, true, true), Accel::Tcg);
        assert_eq!(Accel::Tcg.qemu_args(), ["-accel", "tcg", "-cpu", "max"]);
        assert_eq!(Accel::Kvm.elfin_flag(), "--kvm");
    }

    #[test]
    fn cpuinfo_words() {
        assert!(cpuinfo_has_virt("flags\t\t: fpu vmx sse\n"));
        assert!(cpuinfo_has_virt("flags\t: svm\n"));
        assert!(!cpuinfo_has_virt(
            "flags\t: fpu vmxx hypervisor\nmodel name\t: svm\n"
        ));
    }
}
