//! Runs the built `elfin` binary for its host-side behaviour: argument and BINARY errors,
//! missing kernel or QEMU (all exit 125), and the plumbing around QEMU with a fake QEMU (a
//! shell script) standing in for the real one, so no kernel is needed.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const ELFIN: &str = env!("CARGO_BIN_EXE_elfin");

/// A scratch directory for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("elfin-cli-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `elfin` with a clean environment for the variables it reads; stdin is /dev/null.
fn elfin(args: &[&str]) -> Command {
    let mut cmd = Command::new(ELFIN);
    cmd.args(args)
        .env_remove("ELFIN_KERNEL")
        .env_remove("ELFIN_QEMU")
        .stdin(Stdio::null());
    cmd
}

fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().unwrap();
    (
        status.code().expect("elfin died by a signal"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn missing_binary() {
    let s = Scratch::new("missing");
    let missing = s.path("nope");
    let (code, _, err) = run(&mut elfin(&["run", missing.to_str().unwrap()]));
    assert_eq!(code, 125);
    assert_eq!(
        err,
        format!("elfin: {}: No such file or directory\n", missing.display())
    );
}

#[test]
fn not_an_elf() {
    let s = Scratch::new("notelf");
    let script = s.path("x");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (code, _, err) = run(&mut elfin(&["run", script.to_str().unwrap()]));
    assert_eq!(code, 125);
    assert_eq!(
        err,
        format!("elfin: {}: not an ELF executable\n", script.display())
    );

    let (code, _, err) = run(&mut elfin(&["run", s.0.to_str().unwrap()]));
    assert_eq!(code, 125);
    assert!(err.ends_with(": Is a directory\n"), "{err}");
}

#[test]
fn bad_mem() {
    for mem in ["lots", "0", "12X", "1.5G"] {
        let (code, _, err) = run(&mut elfin(&["run", "--mem", mem, ELFIN]));
        assert_eq!(code, 125, "--mem {mem}");
        assert!(err.contains("invalid size"), "{err}");
    }
}

#[test]
fn bad_env() {
    for env in ["NOEQUALS", "=value"] {
        let (code, _, err) = run(&mut elfin(&["run", "--env", env, ELFIN]));
        assert_eq!(code, 125, "--env {env}");
        assert!(err.starts_with(&format!("elfin: --env {env}: ")), "{err}");
        assert!(err.contains("K=V"), "{err}");
    }
}

#[test]
fn missing_kernel() {
    let (code, _, err) = run(elfin(&["run", ELFIN]).env("ELFIN_KERNEL", "/nonexistent"));
    assert_eq!(code, 125);
    assert_eq!(
        err,
        "elfin: kernel not found (looked in /nonexistent); run `make build`\n"
    );

    let (code, _, err) = run(&mut elfin(&["run", "--kernel", "/nonexistent/k", ELFIN]));
    assert_eq!(code, 125);
    assert!(
        err.starts_with("elfin: kernel not found (looked in /nonexistent/k)"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_125_and_help_exits_0() {
    for args in [
        &["run"][..],
        &["run", "--bogus", ELFIN],
        &[],
        &["frobnicate"],
    ] {
        let (code, _, err) = run(&mut elfin(args));
        assert_eq!(code, 125, "{args:?}: {err}");
    }
    for args in [&["--help"][..], &["run", "--help"], &["--version"]] {
        let (code, out, _) = run(&mut elfin(args));
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("elfin"), "{out}");
    }
}

#[test]
fn qemu_not_found() {
    let (code, _, err) = run(elfin(&["run", "--kernel", ELFIN, ELFIN])
        .env("ELFIN_QEMU", "/nonexistent/qemu-system-x86_64"));
    assert_eq!(code, 125);
    assert!(
        err.contains("cannot run QEMU `/nonexistent/qemu-system-x86_64`: not found"),
        "{err}"
    );
}

/// A stand-in for QEMU: writes to the stdout FIFO and the stderr FIFO (the virtio-serial
/// devices' chardevs) and to its own stdout (COM1: discarded) and stderr, copies the initrd,
/// writes the status byte and exits as `isa-debug-exit` would.
fn fake_qemu(dir: &Path, status_byte: Option<u8>, exit: i32) -> PathBuf {
    let path = dir.join("fake-qemu");
    let write_status = match status_byte {
        Some(b) => format!("printf '\\{b:03o}' > \"$status\""),
        None => String::new(),
    };
    let script = format!(
        r#"#!/bin/sh
prev=
for a in "$@"; do
  case "$a" in
    file,id=out,path=*) out="${{a#file,id=out,path=}}" ;;
    file,id=err,path=*) err="${{a#file,id=err,path=}}" ;;
    file,id=status,path=*) status="${{a#file,id=status,path=}}" ;;
  esac
  [ "$prev" = -initrd ] && initrd="$a"
  prev="$a"
done
printf '%s\n' "$@" > "{dir}/argv"
cp "$initrd" "{dir}/initrd.copy"
cat > "{dir}/stdin.copy"
echo "to stdout" > "$out"
echo "to com1, discarded"
echo "to com2" > "$err"
echo "qemu message" >&2
{write_status}
exit {exit}
"#,
        dir = dir.display()
    );
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn plumbing_with_a_fake_qemu() {
    let s = Scratch::new("fake");
    let tmp = s.path("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let qemu = fake_qemu(&s.0, Some(139), 23);
    // Only the magic is checked on the host; a small file keeps the initrd small.
    let app = s.path("app");
    std::fs::write(&app, b"\x7fELF\x02\x01\x01 fake app").unwrap();
    let app = app.to_str().unwrap();
    let mut cmd = elfin(&[
        "run", "--no-kvm", "--strace", "--mem", "1G", "-e", "A=1", "--kernel", ELFIN, app, "-x",
        "y z",
    ]);
    cmd.env("ELFIN_QEMU", &qemu)
        .env("TMPDIR", &tmp)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped input")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(
        out.status.code(),
        Some(139),
        "status byte wins over the 7-bit exit code; stderr: {stderr}"
    );
    assert_eq!(stdout, "to stdout\n");
    assert_eq!(
        stderr, "to com2\n",
        "COM2 forwarded, QEMU's own stderr hidden"
    );
    assert_eq!(
        std::fs::read_dir(&tmp).unwrap().count(),
        0,
        "temp dir removed"
    );

    // QEMU got /dev/null as stdin; the data went into the initrd.
    assert_eq!(std::fs::read(s.path("stdin.copy")).unwrap(), b"");
    let initrd = std::fs::read(s.path("initrd.copy")).unwrap();
    let has = |needle: &[u8]| initrd.windows(needle.len()).any(|w| w == needle);
    assert!(initrd.starts_with(b"070701"));
    assert!(has(b".elfin/stdin\0"));
    assert!(has(b"piped input"));
    assert!(has(b"A=1\0"));
    assert!(has(format!("{app}\0-x\0y z\0").as_bytes()));
    assert!(has(b"\x7fELF\x02\x01\x01 fake app"));
    assert!(has(b"TRAILER!!!\0"));

    let argv = std::fs::read_to_string(s.path("argv")).unwrap();
    let argv: Vec<&str> = argv.lines().collect();
    for expected in [
        "-accel",
        "tcg",
        "1024M",
        "strace",
        "-no-reboot",
        "isa-debug-exit,iobase=0xf4,iosize=0x04",
    ] {
        assert!(argv.contains(&expected), "{expected} missing from {argv:?}");
    }
}

#[test]
fn qemu_failure_is_125_with_its_messages() {
    let s = Scratch::new("fail");
    // Exit 1 without a status byte: QEMU's own error exit.
    let qemu = fake_qemu(&s.0, None, 1);
    let (code, out, err) = run(elfin(&["run", "--kernel", ELFIN, ELFIN]).env("ELFIN_QEMU", &qemu));
    assert_eq!(code, 125);
    assert_eq!(out, "to stdout\n");
    assert!(err.contains("to com2\n"), "{err}");
    assert!(
        err.contains("elfin: QEMU failed (status 1):\nqemu message"),
        "{err}"
    );
}

#[test]
fn legacy_exit_code_without_status_byte() {
    let s = Scratch::new("legacy");
    let qemu = fake_qemu(&s.0, None, 85);
    let (code, _, _) = run(elfin(&["run", "--kernel", ELFIN, ELFIN]).env("ELFIN_QEMU", &qemu));
    assert_eq!(code, 42);
}

#[test]
fn verbose_shows_command_line_time_and_qemu_messages() {
    let s = Scratch::new("verbose");
    let qemu = fake_qemu(&s.0, Some(0), 1);
    let (code, _, err) =
        run(elfin(&["run", "-v", "--kernel", ELFIN, ELFIN]).env("ELFIN_QEMU", &qemu));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("-append verbose"), "{err}");
    assert!(
        err.contains("elfin: QEMU exited (exit status: 1) after "),
        "{err}"
    );
    assert!(err.contains("qemu message"), "{err}");
}

/// One archive member: (name, mode, ino, nlink, data).
type Member = (String, u32, u32, u32, Vec<u8>);

/// The members of a newc archive, trailer excluded.
fn cpio_members(archive: &[u8]) -> Vec<Member> {
    let field = |h: &[u8], i: usize| {
        u32::from_str_radix(std::str::from_utf8(&h[6 + 8 * i..14 + 8 * i]).unwrap(), 16).unwrap()
    };
    let align = |x: usize| (x + 3) & !3;
    let mut out = Vec::new();
    let mut pos = 0;
    loop {
        let h = &archive[pos..pos + 110];
        assert_eq!(&h[..6], b"070701");
        let (namesize, filesize) = (field(h, 11) as usize, field(h, 6) as usize);
        let name =
            String::from_utf8_lossy(&archive[pos + 110..pos + 110 + namesize - 1]).into_owned();
        let data_start = align(pos + 110 + namesize);
        let data = archive[data_start..data_start + filesize].to_vec();
        pos = align(data_start + filesize);
        if name == "TRAILER!!!" {
            return out;
        }
        out.push((name, field(h, 1), field(h, 0), field(h, 4), data));
    }
}

fn initrd_of(s: &Scratch, args: &[&str]) -> (i32, String, Vec<Member>) {
    let qemu = fake_qemu(&s.0, Some(0), 1);
    let mut all = vec!["run", "--kernel", ELFIN];
    all.extend_from_slice(args);
    let (code, _, err) = run(elfin(&all).env("ELFIN_QEMU", &qemu));
    let members = std::fs::read(s.path("initrd.copy"))
        .map(|a| cpio_members(&a))
        .unwrap_or_default();
    (code, err, members)
}

#[test]
fn root_and_add_fill_the_guest_tree() {
    let s = Scratch::new("root");
    let root = s.path("rootfs");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("usr/bin/app"), b"\x7fELF app in the root").unwrap();
    std::fs::set_permissions(
        root.join("usr/bin/app"),
        std::fs::Permissions::from_mode(0o750),
    )
    .unwrap();
    std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
    std::fs::write(root.join("etc/a"), b"linked").unwrap();
    std::fs::hard_link(root.join("etc/a"), root.join("etc/b")).unwrap();
    let extra = s.path("motd");
    std::fs::write(&extra, b"hello\n").unwrap();
    let add = format!("{}:/etc/motd", extra.display());
    let (code, err, m) = initrd_of(
        &s,
        &[
            "--root",
            root.to_str().unwrap(),
            "--add",
            &add,
            "/bin/app",
            "x",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let get = |n: &str| {
        m.iter()
            .find(|e| e.0 == n)
            .unwrap_or_else(|| panic!("no {n}: {m:?}"))
            .clone()
    };
    assert_eq!(
        get(".elfin/exe").4,
        b"/usr/bin/app",
        "BINARY found in the root, through its symlink"
    );
    assert_eq!(get(".elfin/argv").4, b"/bin/app\0x\0");
    assert_eq!(get("usr/bin/app").1, 0o100750);
    assert_eq!(get("bin").1, 0o120777);
    assert_eq!(get("bin").4, b"usr/bin");
    let (a, b) = (get("etc/a"), get("etc/b"));
    assert_eq!(
        (a.2 == b.2, a.3, b.3),
        (true, 2, 2),
        "hard links share an inode"
    );
    assert_eq!(get("etc/motd").4, b"hello\n");
    // Nothing else: the host's BINARY was not needed.
    let names: Vec<&str> = m
        .iter()
        .map(|e| e.0.as_str())
        .filter(|n| !n.starts_with(".elfin"))
        .collect();
    assert_eq!(
        names,
        [
            "bin",
            "etc",
            "etc/a",
            "etc/b",
            "etc/motd",
            "usr",
            "usr/bin",
            "usr/bin/app"
        ]
    );
}

#[test]
fn host_binary_joins_the_root_at_its_canonical_path() {
    let s = Scratch::new("root-host-bin");
    let root = s.path("rootfs");
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("data/f"), b"f").unwrap();
    let app = s.path("app");
    std::fs::write(&app, b"\x7fELF host app").unwrap();
    let (code, err, m) = initrd_of(
        &s,
        &["--root", root.to_str().unwrap(), app.to_str().unwrap()],
    );
    assert_eq!(code, 0, "{err}");
    let canonical = std::fs::canonicalize(&app).unwrap();
    let exe = m.iter().find(|e| e.0 == ".elfin/exe").unwrap();
    assert_eq!(exe.4, canonical.to_str().unwrap().as_bytes());
    let rel = &canonical.to_str().unwrap()[1..];
    assert!(
        m.iter().any(|e| e.0 == rel && e.4 == b"\x7fELF host app"),
        "{m:?}"
    );
    assert!(m.iter().any(|e| e.0 == "data/f"));
}

#[test]
fn bad_root_and_add_exit_125() {
    let s = Scratch::new("bad-root");
    let missing = s.path("missing");
    let file = s.path("file");
    std::fs::write(&file, b"x").unwrap();
    let cases: Vec<(Vec<String>, String)> = vec![
        (
            vec!["--root".into(), missing.display().to_string()],
            format!(
                "elfin: --root {}: No such file or directory\n",
                missing.display()
            ),
        ),
        (
            vec!["--root".into(), file.display().to_string()],
            format!("elfin: --root {}: Not a directory\n", file.display()),
        ),
        (
            vec!["--add".into(), format!("{}:etc/x", file.display())],
            format!(
                "elfin: --add {}:etc/x: GUEST `etc/x` is not an absolute path (expected HOST[:GUEST], e.g. ./data:/srv/data)\n",
                file.display()
            ),
        ),
        (
            vec!["--add".into(), missing.display().to_string()],
            format!(
                "elfin: --add {}: No such file or directory\n",
                missing.display()
            ),
        ),
        (
            vec!["--add".into(), format!("{}:/.elfin/exe", file.display())],
            format!(
                "elfin: {}: the guest path /.elfin/exe is reserved for elfin's own files\n",
                file.display()
            ),
        ),
    ];
    for (args, expected) in cases {
        let mut all: Vec<&str> = vec!["run"];
        all.extend(args.iter().map(String::as_str));
        all.push(ELFIN);
        let (code, _, err) = run(&mut elfin(&all));
        assert_eq!(code, 125, "{args:?}");
        assert_eq!(err, expected, "{args:?}");
    }
}

#[test]
fn closed_stderr_is_not_a_crash() {
    // `elfin run -v ... 2>&1 | head -1`: the reader of stderr goes away early.
    let s = Scratch::new("closed-stderr");
    let qemu = fake_qemu(&s.0, Some(7), 15);
    let mut child = elfin(&["run", "-v", "--kernel", ELFIN, ELFIN])
        .env("ELFIN_QEMU", &qemu)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(7));
}
