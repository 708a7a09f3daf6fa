//! Building the QEMU command line and running QEMU (docs/boot-protocol.md).
//!
//! - [`command_line`]: pure; [`QemuConfig`] -> the full argv (program first).
//! - [`exit_status`]: pure; QEMU's wait status + the status byte -> the app's exit status or a
//!   host-side failure.
//! - [`run`]: spawns QEMU with stdin inherited only when it is a terminal (else `/dev/null`:
//!   the data went into the initrd), its stdout to `/dev/null` (COM1's output, unused), the
//!   app's stdout and stderr forwarded from two FIFOs to our stdout and stderr by threads
//!   ([`Forwarder`]), QEMU's own stderr captured.
//! - [`install_signal_handler`]: SIGINT/SIGTERM/SIGHUP stop QEMU so `cli.rs` can clean up.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::sys::signal::{Signal, kill};
use nix::sys::stat::Mode;
use nix::unistd::{Pid, mkfifo};

use crate::accel::Accel;
use crate::initrd::os_error_text;

/// Default QEMU program; `$ELFIN_QEMU` overrides it.
pub const DEFAULT_QEMU: &str = "qemu-system-x86_64";
/// I/O port of the `isa-debug-exit` device (exit status, see the protocol).
pub const DEBUG_EXIT_PORT: u16 = 0xf4;
/// I/O port of the `isa-debugcon` device that receives the exit status byte.
pub const STATUS_PORT: u16 = 0x402;

/// Everything the QEMU command line depends on.
#[derive(Debug, Clone)]
pub struct QemuConfig {
    /// QEMU program (name looked up in PATH, or a path).
    pub qemu: String,
    pub accel: Accel,
    /// Guest memory in MiB.
    pub mem_mib: u64,
    pub kernel: PathBuf,
    pub initrd: PathBuf,
    /// Kernel command line (`-append`).
    pub cmdline: String,
    /// FIFO QEMU writes the app's stdout (first virtio-serial device) into.
    pub stdout: PathBuf,
    /// FIFO QEMU writes the app's stderr, the kernel log and crash reports (second
    /// virtio-serial device, and COM2) into.
    pub stderr: PathBuf,
    /// Regular file QEMU writes the exit status byte (debugcon) into.
    pub status: PathBuf,
}

/// The full QEMU argv, program first. Fails only on a path that is not UTF-8.
pub fn command_line(cfg: &QemuConfig) -> Result<Vec<String>> {
    let utf8 = |p: &Path| -> Result<String> {
        p.to_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("{}: path is not valid UTF-8", p.display()))
    };
    let mut argv = vec![
        cfg.qemu.clone(),
        "-M".into(),
        "microvm,x-option-roms=off,rtc=on,isa-serial=on".into(),
    ];
    argv.extend(cfg.accel.qemu_args().map(String::from));
    argv.extend([
        "-m".to_string(),
        format!("{}M", cfg.mem_mib),
        "-nodefaults".into(),
        "-no-user-config".into(),
        "-nographic".into(),
        "-no-reboot".into(),
        // -kernel/-initrd/-append values are taken verbatim (no comma escaping).
        "-kernel".into(),
        utf8(&cfg.kernel)?,
        "-initrd".into(),
        utf8(&cfg.initrd)?,
        "-append".into(),
        cfg.cmdline.clone(),
        // COM1 (0x3f8): terminal input (when stdin is a terminal); output only from an older
        // kernel without the virtio-serial devices.
        "-chardev".into(),
        "stdio,id=term,signal=off".into(),
        "-serial".into(),
        "chardev:term".into(),
        // The app's stdout: virtio-serial port 1 on the highest virtio-mmio slot (23); the
        // kernel tells the two devices apart by this order, so it must come first.
        "-chardev".into(),
        format!("file,id=out,path={}", escape_opt(&utf8(&cfg.stdout)?)),
        "-device".into(),
        "virtio-serial-device,id=vout,max_ports=2".into(),
        "-device".into(),
        "virtserialport,bus=vout.0,chardev=out".into(),
        // The app's stderr, kernel log, crash reports: virtio-serial port 1 on the next slot
        // (22), and COM2 (0x2f8) for panics, both through one mux into the same FIFO.
        "-chardev".into(),
        format!("file,id=err,path={}", escape_opt(&utf8(&cfg.stderr)?)),
        "-chardev".into(),
        "mux,id=errs,chardev=err".into(),
        "-device".into(),
        "isa-serial,chardev=errs,iobase=0x2f8,irq=3".into(),
        "-device".into(),
        "virtio-serial-device,id=verr,max_ports=2".into(),
        "-device".into(),
        "virtserialport,bus=verr.0,chardev=errs".into(),
        // Exit status byte.
        "-chardev".into(),
        format!("file,id=status,path={}", escape_opt(&utf8(&cfg.status)?)),
        "-device".into(),
        format!("isa-debugcon,iobase={STATUS_PORT:#x},chardev=status"),
        "-device".into(),
        format!("isa-debug-exit,iobase={DEBUG_EXIT_PORT:#x},iosize=0x04"),
    ]);
    Ok(argv)
}

/// Escapes a value inside a QEMU `key=value,...` option list (a comma is written `,,`).
pub fn escape_opt(value: &str) -> String {
    value.replace(',', ",,")
}

/// The kernel command line for the given flags. `tty` is the bitmask of the CLI's fds 0, 1, 2
/// that are terminals (bit 0 = stdin), passed only when non-zero.
pub fn kernel_cmdline(verbose: bool, strace: bool, tty: u8) -> String {
    let mut words = Vec::new();
    if verbose {
        words.push("verbose".to_string());
    }
    if strace {
        words.push("strace".to_string());
    }
    if tty != 0 {
        words.push(format!("tty={tty}"));
    }
    words.join(" ")
}

/// Maps QEMU's end to the app's exit status (`Ok`) or a host-side failure (`Err`, a reason).
///
/// `code` is QEMU's exit code (None if it died by a signal, then `signal` is set); `status_byte`
/// is the last byte the kernel wrote to the debugcon port, if any. A guest exit through
/// `isa-debug-exit` makes `code` odd; since an exit code keeps only 8 bits, `(s << 1) | 1` loses
/// the top bit of `s`, so the status byte is authoritative. Without one, an odd `code` of 3 or
/// more still gives `(code - 1) / 2` (QEMU itself only exits with 0 or 1), but code 1 is QEMU's
/// own error exit.
pub fn exit_status(
    code: Option<i32>,
    signal: Option<i32>,
    status_byte: Option<u8>,
) -> std::result::Result<u8, String> {
    match (code, status_byte) {
        (Some(q), Some(s)) if q % 2 == 1 => Ok(s),
        (Some(q), None) if q % 2 == 1 && q >= 3 => Ok(((q - 1) / 2) as u8),
        (Some(q), _) => Err(format!("status {q}")),
        (None, _) => Err(match signal {
            Some(sig) => format!("killed by signal {sig}"),
            None => "unknown status".into(),
        }),
    }
}

/// Set when SIGINT/SIGTERM/SIGHUP reached `elfin`.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// PID of the running QEMU (0: none).
static QEMU_PID: AtomicI32 = AtomicI32::new(0);

/// Installs the handler that stops QEMU on SIGINT/SIGTERM/SIGHUP (the temp dir is then
/// removed normally). Call once, before [`run`].
pub fn install_signal_handler() -> Result<()> {
    ctrlc::set_handler(|| {
        INTERRUPTED.store(true, Ordering::SeqCst);
        stop_qemu();
    })
    .context("cannot install the signal handler")
}

/// Whether a signal asked `elfin` to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn stop_qemu() {
    let pid = QEMU_PID.load(Ordering::SeqCst);
    if pid > 0 {
        // QEMU may already be gone; nothing to do then.
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

/// What happened to QEMU.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    /// QEMU's own stderr (its error messages), captured.
    pub stderr: Vec<u8>,
    /// From spawn to exit.
    pub wall: Duration,
    /// Last byte of the status file, if the kernel wrote one.
    pub status_byte: Option<u8>,
}

/// Runs QEMU: `argv` from [`command_line`] of `cfg` (its FIFO and status paths are used
/// here). `stdin_is_terminal` decides whether QEMU gets our stdin.
pub fn run(argv: &[String], stdin_is_terminal: bool, cfg: &QemuConfig) -> Result<Finished> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| anyhow!("empty QEMU command line"))?;
    let status = cfg.status.as_path();
    let out_forwarder = Forwarder::start(&cfg.stdout, Target::Stdout)?;
    let err_forwarder = Forwarder::start(&cfg.stderr, Target::Stderr)?;
    File::create(status).with_context(|| format!("{}", status.display()))?;

    let mut command = Command::new(program);
    command
        .args(args)
        .stdin(if stdin_is_terminal {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        // The app's stdout comes through the stdout FIFO. QEMU's own stdout is COM1's output,
        // unused with the virtio-serial devices; not giving it ours also keeps QEMU from
        // making our stdout non-blocking.
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn().map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => anyhow!(
            "cannot run QEMU `{program}`: not found (install the qemu-system-x86 package, or set ELFIN_QEMU)"
        ),
        _ => anyhow!("cannot run QEMU `{program}`: {}", os_error_text(&e)),
    })?;
    QEMU_PID.store(i32::try_from(child.id()).unwrap_or(0), Ordering::SeqCst);
    if interrupted() {
        stop_qemu();
    }
    let stderr_thread = child.stderr.take().map(|mut pipe| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    });
    let waited = child.wait();
    let wall = start.elapsed();
    QEMU_PID.store(0, Ordering::SeqCst);
    let stderr = stderr_thread
        .and_then(|t| t.join().ok())
        .unwrap_or_default();
    out_forwarder.finish();
    err_forwarder.finish();
    let status_exit = waited.context("waiting for QEMU")?;
    let status_byte = std::fs::read(status)
        .ok()
        .and_then(|bytes| bytes.last().copied());
    Ok(Finished {
        status: status_exit,
        stderr,
        wall,
        status_byte,
    })
}

/// Where a [`Forwarder`] copies to.
#[derive(Debug, Clone, Copy)]
enum Target {
    Stdout,
    Stderr,
}

/// Copies what QEMU writes into a FIFO (the app's stdout, or its stderr) to our stdout or
/// stderr, in a thread.
///
/// Our stdout/stderr may be a file the user redirected to (`2>log`): letting QEMU reopen it
/// would truncate it or write at a stale offset, and passing an fd to QEMU needs code outside safe Rust,
/// hence the FIFO. Both ends are opened here before QEMU starts: the read end for the thread,
/// and a read-write handle that keeps the FIFO open so that neither our open nor QEMU's blocks,
/// and so that the reader sees EOF only after [`Forwarder::finish`] drops it (QEMU has exited
/// by then, so everything it wrote has been read). When our side is slow (a full pipe), the
/// FIFO fills and QEMU holds the guest's buffer until there is room: nothing is lost.
struct Forwarder {
    keepalive: File,
    thread: JoinHandle<()>,
}

impl Forwarder {
    fn start(path: &Path, target: Target) -> Result<Self> {
        mkfifo(path, Mode::S_IRUSR | Mode::S_IWUSR)
            .map_err(|e| anyhow!("cannot create FIFO {}: {}", path.display(), e.desc()))?;
        // On Linux, opening a FIFO read-write never blocks.
        let keepalive = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .with_context(|| path.display().to_string())?;
        let mut reader = File::open(path).with_context(|| path.display().to_string())?;
        // Our own handle on fd 1 or 2 (a dup: same open file), unbuffered.
        let mut out = File::from(
            match target {
                Target::Stdout => io::stdout().as_fd().try_clone_to_owned(),
                Target::Stderr => io::stderr().as_fd().try_clone_to_owned(),
            }
            .context("duplicating the output descriptor")?,
        );
        let thread = std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            let mut ok = true;
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        // Keep draining after a write error (say, a closed pipe), or QEMU would
                        // wait for room in a full FIFO for ever.
                        if ok {
                            ok = write_all_waiting(&mut out, &buf[..n]).is_ok();
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
        });
        Ok(Self { keepalive, thread })
    }

    /// Call once QEMU has exited: lets the reader see EOF and waits for it.
    fn finish(self) {
        drop(self.keepalive);
        let _ = self.thread.join();
    }
}

/// `write_all` that waits out `EAGAIN`. Our output may be non-blocking without our doing:
/// QEMU's stdio chardev sets O_NONBLOCK on its stdin, and a terminal's fds 0, 1 and 2 usually
/// share one open file (so its flag). A full terminal or pipe then fails writes with EAGAIN
/// instead of blocking; dropping the data there would lose output.
fn write_all_waiting(out: &mut impl Write, mut data: &[u8]) -> io::Result<()> {
    while !data.is_empty() {
        match out.write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(1))
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `argv` as a shell would need it typed (for `--verbose`).
pub fn shell_quote(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./,=:+@%".contains(&b));
            if plain {
                arg.clone()
            } else {
                format!("'{}'", arg.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// QEMU program: `$ELFIN_QEMU` when set and non-empty, else [`DEFAULT_QEMU`].
pub fn qemu_program() -> Result<String> {
    match std::env::var_os("ELFIN_QEMU") {
        Some(v) if !v.is_empty() => v
            .into_string()
            .map_err(|v| anyhow!("ELFIN_QEMU={}: not valid UTF-8", OsStr::new(&v).display())),
        _ => Ok(DEFAULT_QEMU.to_string()),
    }
}

/// Rejects a run that cannot work before anything is built (used by `cli.rs`).
pub fn check_mem(mem_mib: u64, initrd_len: u64) -> Result<()> {
    let mem = mem_mib.saturating_mul(1 << 20);
    if initrd_len >= mem {
        bail!(
            "the initrd ({} MiB) does not fit in {mem_mib} MiB of guest memory; use a larger --mem",
            initrd_len.div_ceil(1 << 20)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(accel: Accel) -> QemuConfig {
        QemuConfig {
            qemu: DEFAULT_QEMU.into(),
            accel,
            mem_mib: 128,
            kernel: "/t/elfin-kernel".into(),
            initrd: "/tmp/e/initrd.cpio".into(),
            cmdline: "verbose strace".into(),
            stdout: "/tmp/e/stdout".into(),
            stderr: "/tmp/e/stderr".into(),
            status: "/tmp/e/status".into(),
        }
    }

    #[test]
    fn tcg_command_line_is_the_documented_one() {
        let argv = command_line(&config(Accel::Tcg)).unwrap();
        let expected = "qemu-system-x86_64 -M microvm,x-option-roms=off,rtc=on,isa-serial=on \
            -accel tcg -cpu max -m 128M -nodefaults -no-user-config -nographic -no-reboot \
            -kernel /t/elfin-kernel -initrd /tmp/e/initrd.cpio -append 'verbose strace' \
            -chardev stdio,id=term,signal=off -serial chardev:term \
            -chardev file,id=out,path=/tmp/e/stdout \
            -device virtio-serial-device,id=vout,max_ports=2 -device virtserialport,bus=vout.0,chardev=out \
            -chardev file,id=err,path=/tmp/e/stderr -chardev mux,id=errs,chardev=err \
            -device isa-serial,chardev=errs,iobase=0x2f8,irq=3 \
            -device virtio-serial-device,id=verr,max_ports=2 -device virtserialport,bus=verr.0,chardev=errs \
            -chardev file,id=status,path=/tmp/e/status -device isa-debugcon,iobase=0x402,chardev=status \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04";
        assert_eq!(shell_quote(&argv), expected);
        assert_eq!(
            argv[argv.iter().position(|a| a == "-append").unwrap() + 1],
            "verbose strace"
        );
    }

    #[test]
    fn kvm_command_line_changes_only_accel_and_cpu() {
        let tcg = command_line(&config(Accel::Tcg)).unwrap();
        let kvm = command_line(&config(Accel::Kvm)).unwrap();
        let diff: Vec<(&String, &String)> = tcg.iter().zip(&kvm).filter(|(a, b)| a != b).collect();
        assert_eq!(diff.len(), 2);
        assert_eq!(diff[0].1, "kvm");
        assert_eq!(diff[1].1, "host,-arch-capabilities");
    }

    #[test]
    fn commas_in_chardev_paths_are_doubled() {
        let mut cfg = config(Accel::Tcg);
        cfg.stderr = "/tmp/a,b/stderr".into();
        cfg.stdout = "/tmp/a,b/stdout".into();
        cfg.kernel = "/k,1".into();
        let argv = command_line(&cfg).unwrap();
        assert!(argv.contains(&"file,id=err,path=/tmp/a,,b/stderr".to_string()));
        assert!(argv.contains(&"file,id=out,path=/tmp/a,,b/stdout".to_string()));
        assert!(
            argv.contains(&"/k,1".to_string()),
            "-kernel takes its value verbatim"
        );
    }

    #[test]
    fn empty_cmdline_is_still_passed() {
        let mut cfg = config(Accel::Tcg);
        cfg.cmdline = kernel_cmdline(false, false, 0);
        let argv = command_line(&cfg).unwrap();
        assert_eq!(
            argv[argv.iter().position(|a| a == "-append").unwrap() + 1],
            ""
        );
    }

    #[test]
    fn non_utf8_paths_are_an_error() {
        use std::os::unix::ffi::OsStrExt;
        let mut cfg = config(Accel::Tcg);
        cfg.initrd = PathBuf::from(OsStr::from_bytes(b"/tmp/\xff"));
        assert!(command_line(&cfg).is_err());
    }

    #[test]
    fn kernel_cmdline_words() {
        assert_eq!(kernel_cmdline(false, false, 0), "");
        assert_eq!(kernel_cmdline(true, false, 0), "verbose");
        assert_eq!(kernel_cmdline(false, true, 0), "strace");
        assert_eq!(kernel_cmdline(true, true, 0), "verbose strace");
        assert_eq!(kernel_cmdline(false, false, 6), "tty=6");
    }

    #[test]
    fn exit_status_mapping() {
        // Status byte present: authoritative, all 8 bits (139 << 1 | 1 = 279 -> exit code 23).
        assert_eq!(exit_status(Some(23), None, Some(139)), Ok(139));
        assert_eq!(exit_status(Some(1), None, Some(0)), Ok(0));
        assert_eq!(exit_status(Some(255), None, Some(255)), Ok(255));
        // No status byte: (q - 1) / 2 for q >= 3.
        assert_eq!(exit_status(Some(3), None, None), Ok(1));
        assert_eq!(exit_status(Some(85), None, None), Ok(42));
        assert_eq!(exit_status(Some(255), None, None), Ok(127));
        // q = 1 without a byte is QEMU's error exit.
        assert_eq!(exit_status(Some(1), None, None), Err("status 1".into()));
        // Even status, signal: QEMU failed, whatever the byte says.
        assert_eq!(exit_status(Some(0), None, Some(3)), Err("status 0".into()));
        assert_eq!(exit_status(Some(2), None, None), Err("status 2".into()));
        assert_eq!(
            exit_status(None, Some(9), None),
            Err("killed by signal 9".into())
        );
    }

    /// Accepts 3 bytes per call, and fails every other call with EAGAIN.
    struct Stingy {
        got: Vec<u8>,
        calls: usize,
    }
    impl Write for Stingy {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.calls % 2 == 1 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(3);
            self.got.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn forwarding_waits_out_eagain() {
        let mut out = Stingy { got: Vec::new(), calls: 0 };
        write_all_waiting(&mut out, b"hello world").unwrap();
        assert_eq!(out.got, b"hello world");
    }

    #[test]
    fn quoting() {
        let argv: Vec<String> = ["a", "b c", "", "it's", "x,y=z"].map(String::from).to_vec();
        assert_eq!(shell_quote(&argv), r#"a 'b c' '' 'it'\''s' x,y=z"#);
    }

    #[test]
    fn memory_must_hold_the_initrd() {
        assert!(check_mem(128, 10 << 20).is_ok());
        assert!(check_mem(8, 8 << 20).is_err());
    }
}
