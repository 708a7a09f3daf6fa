//! The `elfin` command line (clap) and the `run` subcommand's flow.
//!
//! `elfin run [--mem SIZE] [--env K=V]... [--root DIR] [--add HOST[:GUEST]]... [--kvm|--no-kvm]
//! [--verbose] [--strace] [--kernel PATH] BINARY [ARGS]...`: checks the arguments, plans the
//! guest's files and places BINARY among them (`initrd.rs`), finds the kernel (`kernel.rs`),
//! picks the accelerator (`accel.rs`), streams the initrd into a temp dir (`tempdir.rs`,
//! `initrd.rs`), runs QEMU (`qemu.rs`) and exits with the app's exit status.
//! Every host-side failure, usage errors included, exits with [`HOST_FAILURE`] (125).

use std::ffi::OsString;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use crate::accel::{self, AccelChoice, HostFacts};
use crate::initrd::{Initrd, Tree, parse_add, parse_env};
use crate::kernel;
use crate::qemu::{self, QemuConfig};
use crate::tempdir::TempDir;

/// `eprintln!` that ignores a failed write: a closed stderr (`elfin run ... 2>&1 | head -1`)
/// must not turn into a panic (exit 101) or keep the exit status from being the app's.
macro_rules! note {
    ($($arg:tt)*) => {{
        let _ = writeln!(io::stderr(), $($arg)*);
    }};
}

/// Exit status for every failure on the host side (as `env`, `timeout` and `docker run` do).
pub const HOST_FAILURE: u8 = 125;
/// Exit status after SIGINT/SIGTERM stopped the run.
pub const INTERRUPTED: u8 = 130;
/// Smallest accepted `--mem`, in MiB.
pub const MIN_MEM_MIB: u64 = 8;
/// Largest accepted `--mem`, in MiB (1 TiB).
pub const MAX_MEM_MIB: u64 = 1 << 20;

/// Elfin: run an unmodified static Linux x86-64 ELF binary on the Elfin unikernel in QEMU.
#[derive(Debug, Parser)]
#[command(name = "elfin", version, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Boot BINARY in a QEMU microvm and exit with its exit status.
    ///
    /// The app's stdout and stderr go through two virtio-serial devices, forwarded to this
    /// command's stdout and stderr; terminal input comes through QEMU's COM1. When stdin is
    /// not a terminal it is read to EOF first and handed to the app as its stdin. Exit status: the app's, or 125 for a failure on the host side.
    #[command(override_usage = "elfin run [OPTIONS] BINARY [ARGS]...")]
    #[command(
        after_help = "Examples:\n  elfin run ./hello\n  elfin run --mem 1G --env HOME=/ ./app -v file\n  \
                            echo input | elfin run --strace ./cat\n  \
                            elfin run --root ./rootfs --add ./site:/srv/www /usr/sbin/server\n\n\
                            With --root, an absolute BINARY that the guest's tree holds runs from \
                            there (like chroot DIR BINARY);\notherwise BINARY is a host file, added \
                            at its canonical absolute host path."
    )]
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Guest memory: a number with an optional K, M, G or T suffix (MiB when none).
    #[arg(short, long, value_name = "SIZE", default_value = "128M", value_parser = parse_mem)]
    pub mem: u64,

    /// Set an environment variable of the app (repeatable; the app gets no other variable).
    #[arg(short, long = "env", value_name = "K=V")]
    pub env: Vec<OsString>,

    /// Pack the host directory DIR as the guest's `/` (files, directories, symlinks and hard
    /// links, with their modes and modification times; owned by root in the guest).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Add a host file or directory at GUEST (default: HOST's absolute path); repeatable.
    /// A directory merges into what is there; later sources win over earlier ones.
    #[arg(long = "add", value_name = "HOST[:GUEST]")]
    pub add: Vec<OsString>,

    /// Use KVM even where it does not look like real hardware virtualization.
    #[arg(long, overrides_with = "no_kvm")]
    pub kvm: bool,

    /// Use TCG (software emulation) even where KVM is available.
    #[arg(long, overrides_with = "kvm")]
    pub no_kvm: bool,

    /// Print the kernel log, the QEMU command line, QEMU's messages and the wall time on stderr.
    #[arg(short, long)]
    pub verbose: bool,

    /// Print every syscall of the app, with arguments and result, on stderr.
    #[arg(long)]
    pub strace: bool,

    /// Kernel to boot [default: $ELFIN_KERNEL, else next to this executable in the cargo
    /// target dir].
    #[arg(long, value_name = "PATH")]
    pub kernel: Option<PathBuf>,

    /// Static Linux x86-64 ELF executable to run, then its arguments (everything after
    /// BINARY, options included, belongs to the app).
    #[arg(value_name = "BINARY [ARGS]", required = true, num_args = 1.., trailing_var_arg = true)]
    pub command: Vec<OsString>,
}

impl RunArgs {
    /// BINARY as the user typed it.
    pub fn binary(&self) -> PathBuf {
        PathBuf::from(self.command.first().cloned().unwrap_or_default())
    }

    fn accel_choice(&self) -> AccelChoice {
        match (self.kvm, self.no_kvm) {
            (true, _) => AccelChoice::ForceKvm,
            (_, true) => AccelChoice::ForceTcg,
            _ => AccelChoice::Auto,
        }
    }
}

/// Parses a `--mem` size into MiB: `64` (MiB), `128M`, `1G`, `524288K`, `1T`; suffixes are
/// case-insensitive and may end in `B` or `iB` (all binary units).
pub fn parse_mem(text: &str) -> std::result::Result<u64, String> {
    let invalid = || {
        format!(
            "invalid size {text:?}: expected a number of MiB with an optional K, M, G or T suffix"
        )
    };
    let digits_end = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(digits_end);
    let number: u64 = digits.parse().map_err(|_| invalid())?;
    let suffix = suffix.to_ascii_lowercase();
    let unit = suffix
        .strip_suffix("ib")
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(&suffix);
    let mib = match unit {
        "k" if number.is_multiple_of(1024) => Some(number / 1024),
        "k" => return Err(format!("invalid size {text:?}: not a whole number of MiB")),
        "" | "m" if suffix != "b" && suffix != "ib" => Some(number),
        "g" => number.checked_mul(1024),
        "t" => number.checked_mul(1024 * 1024),
        _ => return Err(invalid()),
    };
    match mib {
        Some(m) if (MIN_MEM_MIB..=MAX_MEM_MIB).contains(&m) => Ok(m),
        _ => Err(format!(
            "invalid size {text:?}: must be between {MIN_MEM_MIB}M and 1T"
        )),
    }
}

/// Entry point: parses the command line, runs, and maps every error to exit status 125.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() { HOST_FAILURE } else { 0 });
        }
    };
    let Command::Run(args) = cli.command;
    match run(&args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            note!("elfin: {e:#}");
            ExitCode::from(HOST_FAILURE)
        }
    }
}

/// `elfin run`: the app's exit status, [`INTERRUPTED`], or an error (exit 125).
pub fn run(args: &RunArgs) -> Result<u8> {
    let envp = args
        .env
        .iter()
        .map(|e| parse_env(e))
        .collect::<Result<Vec<_>>>()?;
    let adds = args
        .add
        .iter()
        .map(|a| parse_add(a))
        .collect::<Result<Vec<_>>>()?;
    let mut tree = Tree::new();
    if let Some(root) = &args.root {
        tree.add_root(root)?;
    }
    for add in &adds {
        tree.add(add)?;
    }
    let exe = tree.place_program(&args.binary())?;
    if let Some(first) = tree.skipped().first() {
        note!(
            "elfin: warning: left out {} device, FIFO or socket file(s) such as {} (the guest has its own /dev)",
            tree.skipped().len(),
            first.display()
        );
    }
    let kernel = kernel::locate(args.kernel.as_deref())?;
    let qemu_program = qemu::qemu_program()?;
    let accel = accel::choose(args.accel_choice(), HostFacts::probe());

    let stdin_is_terminal = io::stdin().is_terminal();
    let stdin = if stdin_is_terminal {
        None
    } else {
        Some(read_stdin()?)
    };
    // argv[0] is BINARY as typed, then ARGS.
    let argv = args.command.clone();
    let spec = Initrd {
        tree,
        exe,
        argv,
        envp,
        stdin,
    };

    // From here on a temp dir exists: signals must not kill us before it is removed.
    qemu::install_signal_handler()?;
    let tmp = TempDir::new("elfin").context("cannot create a temporary directory")?;
    let initrd_path = tmp.path().join("initrd.cpio");
    let initrd_file =
        std::fs::File::create(&initrd_path).with_context(|| initrd_path.display().to_string())?;
    let initrd_file = spec
        .write(BufWriter::new(initrd_file))
        .context("writing the initrd")?;
    let initrd_len = initrd_file
        .into_inner()
        .map_err(|e| anyhow::Error::from(e.into_error()))
        .and_then(|f| Ok(f.metadata()?.len()))
        .with_context(|| format!("writing the initrd {}", initrd_path.display()))?;
    qemu::check_mem(args.mem, initrd_len)?;

    let config = QemuConfig {
        qemu: qemu_program,
        accel,
        mem_mib: args.mem,
        kernel,
        initrd: initrd_path,
        cmdline: qemu::kernel_cmdline(args.verbose, args.strace, terminal_mask()),
        stdout: tmp.path().join("stdout"),
        stderr: tmp.path().join("stderr"),
        status: tmp.path().join("status"),
    };
    let argv = qemu::command_line(&config)?;
    if args.verbose {
        note!(
            "elfin: accel {} ({:?}); initrd {initrd_len} bytes, {} guest paths",
            accel.name(),
            args.accel_choice(),
            spec.tree.len()
        );
        note!("elfin: {}", qemu::shell_quote(&argv));
    }
    if qemu::interrupted() {
        return Ok(INTERRUPTED);
    }
    let finished = qemu::run(&argv, stdin_is_terminal, &config)?;
    if args.verbose {
        note!(
            "elfin: QEMU exited ({}) after {:.3} s",
            finished.status,
            finished.wall.as_secs_f64()
        );
        io::stderr().write_all(&finished.stderr).ok();
    }
    if qemu::interrupted() {
        note!("elfin: interrupted");
        return Ok(INTERRUPTED);
    }
    use std::os::unix::process::ExitStatusExt;
    match qemu::exit_status(
        finished.status.code(),
        finished.status.signal(),
        finished.status_byte,
    ) {
        Ok(code) => Ok(code),
        Err(reason) => {
            let mut message = format!("QEMU failed ({reason})");
            if !args.verbose && !finished.stderr.is_empty() {
                message.push_str(":\n");
                message.push_str(String::from_utf8_lossy(&finished.stderr).trim_end());
            }
            Err(anyhow::anyhow!(message))
        }
    }
}

/// All of stdin (not a terminal); a closed stdin reads as empty.
/// Which of fds 0, 1, 2 are terminals (bit 0 = stdin): the guest then reports those streams
/// as a terminal and the others as pipes, as Linux would (docs/boot-protocol.md).
fn terminal_mask() -> u8 {
    (io::stdin().is_terminal() as u8) | (io::stdout().is_terminal() as u8) << 1 | (io::stderr().is_terminal() as u8) << 2
}

fn read_stdin() -> Result<Vec<u8>> {
    let mut data = Vec::new();
    match io::stdin().lock().read_to_end(&mut data) {
        Ok(_) => Ok(data),
        Err(e) if e.raw_os_error() == Some(9) => Ok(Vec::new()), // EBADF: fd 0 is closed.
        Err(e) => Err(e).context("reading stdin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn mem_sizes() {
        assert_eq!(parse_mem("64"), Ok(64));
        assert_eq!(parse_mem("128M"), Ok(128));
        assert_eq!(parse_mem("128m"), Ok(128));
        assert_eq!(parse_mem("128MiB"), Ok(128));
        assert_eq!(parse_mem("128MB"), Ok(128));
        assert_eq!(parse_mem("1G"), Ok(1024));
        assert_eq!(parse_mem("2gib"), Ok(2048));
        assert_eq!(parse_mem("1T"), Ok(1 << 20));
        assert_eq!(parse_mem("524288K"), Ok(512));
        for bad in [
            "", "M", "12X", "1.5G", "-1", " 64", "64 ", "0", "7", "2T", "1000K", "64B", "64iB",
            "1GG",
        ] {
            assert!(parse_mem(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(parse_mem("99999999999999999999G").is_err());
        assert!(parse_mem("9999999999999999G").is_err());
    }

    fn parse(args: &[&str]) -> std::result::Result<RunArgs, clap::Error> {
        let full: Vec<&str> = ["elfin", "run"].iter().chain(args).copied().collect();
        Cli::try_parse_from(full).map(|cli| match cli.command {
            Command::Run(r) => r,
        })
    }

    #[test]
    fn options_after_binary_belong_to_the_app() {
        let r = parse(&[
            "--mem",
            "1G",
            "-e",
            "A=1",
            "./x",
            "--verbose",
            "-m",
            "3",
            "--",
            "y",
        ])
        .unwrap();
        assert_eq!(r.mem, 1024);
        assert_eq!(r.env, vec![OsString::from("A=1")]);
        assert!(!r.verbose);
        assert_eq!(r.binary(), PathBuf::from("./x"));
        assert_eq!(
            &r.command[1..],
            ["--verbose", "-m", "3", "--", "y"].map(OsString::from)
        );
    }

    #[test]
    fn double_dash_before_binary() {
        let r = parse(&["--", "-weird", "a"]).unwrap();
        assert_eq!(r.binary(), PathBuf::from("-weird"));
        assert_eq!(&r.command[1..], vec![OsString::from("a")]);
    }

    #[test]
    fn defaults_and_accel_flags() {
        let r = parse(&["./x"]).unwrap();
        assert_eq!(r.mem, 128);
        assert_eq!(r.accel_choice(), AccelChoice::Auto);
        assert_eq!(
            parse(&["--kvm", "./x"]).unwrap().accel_choice(),
            AccelChoice::ForceKvm
        );
        assert_eq!(
            parse(&["--no-kvm", "./x"]).unwrap().accel_choice(),
            AccelChoice::ForceTcg
        );
        assert_eq!(
            parse(&["--kvm", "--no-kvm", "./x"]).unwrap().accel_choice(),
            AccelChoice::ForceTcg
        );
        assert_eq!(
            parse(&["--no-kvm", "--kvm", "./x"]).unwrap().accel_choice(),
            AccelChoice::ForceKvm
        );
    }

    #[test]
    fn usage_errors() {
        assert!(parse(&[]).is_err());
        assert!(parse(&["--mem", "lots", "./x"]).is_err());
        assert!(parse(&["--bogus", "./x"]).is_err());
    }
}
