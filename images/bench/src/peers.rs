//! The three peers, each running the same static binary:
//! - **Elfin**: `elfin run` (the real CLI, its whole QEMU device set), with the accelerator
//!   forced to the one chosen for both guests. Below the CLI's 8 MiB `--mem` floor, a small
//!   `$ELFIN_QEMU` wrapper rewrites QEMU's `-m` (nothing else changes).
//! - **Linux**: Debian's kernel (`vmlinux` through its PVH entry) on the same QEMU, machine
//!   type and accelerator, with an initramfs whose `/init` (`programs/init.c`) runs the program
//!   and reports its exit status, then powers off.
//! - **native**: the binary run directly on the host.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result};
use elfin_bench::accel::Accel;
use elfin_bench::cpio::Archive;

use crate::exec::{self, Captured, Input};
use crate::setup;

/// The `elfin` CLI's smallest `--mem`, in MiB (`images/src/cli.rs`).
pub const CLI_MIN_MEM_MIB: u64 = 8;

/// The Linux guest's command line before `tsc_early_khz` (DESIGN.md section 3).
pub const LINUX_CMDLINE: &str =
    "console=ttyS0 quiet panic=-1 reboot=t cryptomgr.notests random.trust_cpu=on no_timer_check";

/// How to start each peer.
#[derive(Debug, Clone)]
pub struct Peers {
    pub elfin: PathBuf,
    pub elfin_kernel: PathBuf,
    pub accel: Accel,
    pub vmlinux: PathBuf,
    pub tsc_khz: u64,
    pub work: PathBuf,
    wrapper: PathBuf,
}

/// Options of one Elfin run.
#[derive(Debug, Clone, Default)]
pub struct ElfinOpts<'a> {
    pub mem_mib: Option<u64>,
    pub verbose: bool,
    pub kernel: Option<&'a Path>,
}

impl Peers {
    pub fn new(
        elfin: PathBuf,
        elfin_kernel: PathBuf,
        accel: Accel,
        vmlinux: PathBuf,
        tsc_khz: u64,
        work: PathBuf,
    ) -> Result<Self> {
        let wrapper = work.join("qemu-mem.sh");
        fs::write(
            &wrapper,
            "#!/bin/sh\n\
             # elfin-bench: QEMU with -m $ELFIN_BENCH_MEM instead of the CLI's value (its floor is 8 MiB).\n\
             n=$#; prev=\n\
             for a in \"$@\"; do\n\
             \x20 if [ \"$prev\" = -m ]; then a=$ELFIN_BENCH_MEM; fi\n\
             \x20 set -- \"$@\" \"$a\"; prev=$a\n\
             done\n\
             shift \"$n\"\n\
             exec \"$ELFIN_BENCH_QEMU\" \"$@\"\n",
        )?;
        fs::set_permissions(&wrapper, fs::Permissions::from_mode(0o755))?;
        Ok(Self {
            elfin,
            elfin_kernel,
            accel,
            vmlinux,
            tsc_khz,
            work,
            wrapper,
        })
    }

    /// `elfin run` of `prog args`.
    pub fn elfin(
        &self,
        prog: &Path,
        args: &[&str],
        opts: &ElfinOpts,
        input: &Input,
        timeout: Duration,
    ) -> Result<Captured> {
        let mut cmd = Command::new(&self.elfin);
        cmd.arg("run").arg(self.accel.elfin_flag());
        cmd.arg("--kernel")
            .arg(opts.kernel.unwrap_or(&self.elfin_kernel));
        if opts.verbose {
            cmd.arg("--verbose");
        }
        match opts.mem_mib {
            Some(m) if m < CLI_MIN_MEM_MIB => {
                cmd.arg("--mem").arg(format!("{CLI_MIN_MEM_MIB}M"));
                cmd.env("ELFIN_QEMU", &self.wrapper)
                    .env("ELFIN_BENCH_MEM", format!("{m}M"))
                    .env("ELFIN_BENCH_QEMU", setup::qemu());
            }
            Some(m) => {
                cmd.arg("--mem").arg(format!("{m}M"));
            }
            None => {}
        }
        cmd.arg(prog).args(args);
        exec::run(cmd, input, timeout)
    }

    /// Writes the Linux guest's initramfs `name.cpio` into the work dir: `/init`, `/dev/console`,
    /// the program as `/prog`, and `/stdin` when given.
    pub fn initramfs(
        &self,
        name: &str,
        init: &Path,
        prog: &Path,
        stdin: Option<&Path>,
    ) -> Result<PathBuf> {
        let read = |p: &Path| fs::read(p).with_context(|| format!("reading {}", p.display()));
        let mut archive = Archive::new();
        archive
            .dir("dev", 0o755)
            .char_dev("dev/console", 0o600, 5, 1)
            .file("init", 0o755, &read(init)?)
            .file("prog", 0o755, &read(prog)?);
        if let Some(s) = stdin {
            archive.file("stdin", 0o644, &read(s)?);
        }
        let path = self.work.join(format!("{name}.cpio"));
        fs::write(&path, archive.finish())?;
        Ok(path)
    }

    /// Boots the Linux guest with `initramfs`; its init runs `/prog args`.
    pub fn linux(
        &self,
        initramfs: &Path,
        args: &[&str],
        mem_mib: u64,
        timeout: Duration,
    ) -> Result<Captured> {
        let mut append = format!(
            "{LINUX_CMDLINE} tsc_early_khz={} tsc=reliable -- /prog",
            self.tsc_khz
        );
        for a in args {
            append.push(' ');
            append.push_str(a);
        }
        let mut cmd = Command::new(setup::qemu());
        cmd.args(["-M", "microvm,x-option-roms=off,rtc=on,isa-serial=on"])
            .args(self.accel.qemu_args())
            .args([
                "-m",
                &format!("{mem_mib}M"),
                "-nodefaults",
                "-no-user-config",
                "-nographic",
                "-no-reboot",
            ])
            .arg("-kernel")
            .arg(&self.vmlinux)
            .arg("-initrd")
            .arg(initramfs)
            .args(["-serial", "stdio", "-append", &append]);
        exec::run(cmd, &Input::Null, timeout)
    }

    /// `prog args` on the host.
    pub fn native(
        &self,
        prog: &Path,
        args: &[&str],
        input: &Input,
        timeout: Duration,
    ) -> Result<Captured> {
        let mut cmd = Command::new(prog);
        cmd.args(args);
        exec::run(cmd, input, timeout)
    }
}
