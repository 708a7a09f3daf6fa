//! What the benchmarks need on the host, found or made once per run: facts about the machine,
//! the probe programs (compiled from `programs/` with musl-gcc), the empty PVH kernel, the
//! Linux guest's kernel (Debian's package installed if missing, `vmlinux` extracted from
//! `/boot/vmlinuz-*` and cached under `target/bench/`), and the sqlite3 shell.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};
use elfin_bench::accel::{self, Accel};
use elfin_bench::{parse, xz};

/// The repository root (two levels above this crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("."))
}

/// Runs a command to completion and returns its stdout; an error names the command and shows
/// its stderr.
pub fn output(cmd: &mut Command) -> Result<String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Facts about the host that go into the report.
#[derive(Debug, Clone)]
pub struct Host {
    pub accel: Accel,
    pub cpu: String,
    pub cores: usize,
    pub mem_gib: f64,
    pub qemu: String,
    pub tsc_khz: u64,
    pub kernel_release: String,
}

impl Host {
    pub fn probe(tsc_khz: u64) -> Result<Self> {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let dev_kvm = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/kvm")
            .is_ok();
        let accel = Accel::choose(
            dev_kvm,
            accel::cpuinfo_has_virt(&cpuinfo),
            Path::new("/sys/module/kvm_pvm").exists(),
        );
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name")
                    .and_then(|r| r.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            })
            .unwrap_or_else(|| "unknown".into());
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mem_kib: f64 = fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| {
                l.strip_prefix("MemTotal:")?
                    .trim()
                    .strip_suffix("kB")?
                    .trim()
                    .parse()
                    .ok()
            })
            .unwrap_or(0.0);
        let qemu_text = output(Command::new(qemu()).arg("--version"))?;
        let qemu = parse::qemu_version(&qemu_text).unwrap_or_else(|| "unknown".into());
        let kernel_release = output(Command::new("uname").arg("-r"))
            .map(|s| s.trim().to_string())
            .unwrap_or_default();
        Ok(Self {
            accel,
            cpu,
            cores,
            mem_gib: mem_kib / 1024.0 / 1024.0,
            qemu,
            tsc_khz,
            kernel_release,
        })
    }
}

/// The QEMU program (the CLI's `$ELFIN_QEMU` when set, as the CLI does).
pub fn qemu() -> String {
    std::env::var("ELFIN_QEMU")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "qemu-system-x86_64".into())
}

/// The 1-, 5- and 15-minute load averages.
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// Installs Debian packages that are missing (idempotent; root or sudo).
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| {
            !Command::new("dpkg-query")
                .args(["-W", "-f=${Status}", p])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("install ok installed"))
        })
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    eprintln!("bench: installing {}", missing.join(" "));
    let root = output(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0");
    let apt = |args: &[&str]| {
        let mut cmd = if root {
            Command::new("apt-get")
        } else {
            let mut c = Command::new("sudo");
            c.arg("apt-get");
            c
        };
        cmd.args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(Stdio::null());
        output(&mut cmd)
    };
    apt(&["update", "-qq"])?;
    let mut args = vec!["install", "-y", "-qq"];
    args.extend(&missing);
    apt(&args)?;
    Ok(())
}

/// The probe programs and kernels, built into `work`.
#[derive(Debug, Clone)]
pub struct Programs {
    pub hello: PathBuf,
    pub syscall: PathBuf,
    pub tsc_khz: PathBuf,
    pub init: PathBuf,
    pub empty_kernel: PathBuf,
}

/// Compiles `programs/*.c` as static musl binaries (gcc -static when musl-gcc is missing) and
/// the empty PVH kernel with gcc.
pub fn build_programs(work: &Path) -> Result<Programs> {
    let src = repo_root().join("images/bench/programs");
    let cc = if Command::new("musl-gcc").arg("--version").output().is_ok() {
        "musl-gcc"
    } else {
        "gcc"
    };
    let build = |name: &str| -> Result<PathBuf> {
        let out = work.join(name);
        output(
            Command::new(cc)
                .args(["-static", "-O2", "-Wall", "-o"])
                .arg(&out)
                .arg(src.join(format!("{name}.c"))),
        )?;
        Ok(out)
    };
    let empty_kernel = work.join("empty_pvh.elf");
    output(
        Command::new("gcc")
            .args([
                "-nostdlib",
                "-static",
                "-no-pie",
                "-Wl,-Ttext=0x100000",
                "-Wl,--build-id=none",
                "-o",
            ])
            .arg(&empty_kernel)
            .arg(src.join("empty_pvh.S")),
    )?;
    Ok(Programs {
        hello: build("hello")?,
        syscall: build("syscall")?,
        tsc_khz: build("tsc_khz")?,
        init: build("init")?,
        empty_kernel,
    })
}

/// The Linux guest's kernel: the compressed image (for the size rows) and the extracted ELF.
#[derive(Debug, Clone)]
pub struct LinuxKernel {
    pub vmlinuz: PathBuf,
    pub vmlinux: PathBuf,
    pub version: String,
}

/// Finds the newest `/boot/vmlinuz-*` (installing `linux-image-amd64` when there is none) and
/// extracts its `vmlinux` into `cache` unless a copy newer than the image is there.
pub fn linux_kernel(cache: &Path) -> Result<LinuxKernel> {
    let find = || -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir("/boot")
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("vmlinuz-"))
            })
            .collect();
        found.sort_by_key(|p| version_key(p));
        found
    };
    if find().is_empty() {
        apt_install(&["linux-image-amd64"])?;
    }
    let vmlinuz = find()
        .pop()
        .context("no /boot/vmlinuz-* even after installing linux-image-amd64")?;
    let version = vmlinuz
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .trim_start_matches("vmlinuz-")
        .to_string();
    fs::create_dir_all(cache)?;
    let vmlinux = cache.join(format!("vmlinux-{version}"));
    let fresh = |p: &Path| -> Option<bool> {
        let a = fs::metadata(p).ok()?;
        let b = fs::metadata(&vmlinuz).ok()?;
        Some(a.len() > 0 && a.modified().ok()? >= b.modified().ok()?)
    };
    if fresh(&vmlinux) != Some(true) {
        apt_install(&["xz-utils"])?;
        let image = fs::read(&vmlinuz).with_context(|| format!("reading {}", vmlinuz.display()))?;
        let (at, elf) = xz::extract_elf(&image, xz_decompress)
            .with_context(|| format!("extracting vmlinux from {}", vmlinuz.display()))?;
        eprintln!(
            "bench: extracted vmlinux ({} MiB) from the XZ stream at offset {at} of {}",
            elf.len() >> 20,
            vmlinuz.display()
        );
        let tmp = vmlinux.with_extension("tmp");
        fs::write(&tmp, &elf)?;
        fs::rename(&tmp, &vmlinux)?;
    }
    Ok(LinuxKernel {
        vmlinuz,
        vmlinux,
        version,
    })
}

/// Orders "6.1.0-9-amd64" before "6.1.0-10-amd64": numbers compare as numbers.
fn version_key(path: &Path) -> Vec<(u64, String)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .map(|part| (part.parse().unwrap_or(0), part.to_string()))
        .collect()
}

/// `xz -dc --single-stream`: decompresses the first stream and ignores what follows it.
fn xz_decompress(stream: &[u8]) -> Result<Vec<u8>> {
    let mut child = Command::new("xz")
        .args(["-dc", "--single-stream"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running xz (package xz-utils)")?;
    let mut stdin = child.stdin.take().expect("piped");
    let input = stream.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output()?;
    // xz may stop reading at the stream's end: a broken pipe on the rest is expected.
    let _ = feeder.join();
    if !out.status.success() {
        bail!("xz: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(out.stdout)
}

/// The sqlite3 shell built by `images/recipes/sqlite3/build.sh`; built now when `build` is
/// set and it is missing. `None` when it is not there.
pub fn sqlite3(build: bool) -> Result<Option<PathBuf>> {
    let root = repo_root();
    let bin = root.join("target/apps/sqlite3/sqlite3");
    if !bin.is_file() && build {
        eprintln!("bench: building the sqlite3 shell (images/recipes/sqlite3/build.sh)");
        output(Command::new("bash").arg(root.join("images/recipes/sqlite3/build.sh")))?;
    }
    Ok(bin.is_file().then_some(bin))
}

/// The repository's HEAD commit, short, with a mark when tracked files have uncommitted changes
/// (others may be editing the same work tree that `target/` was built from).
pub fn commit() -> String {
    let git = |args: &[&str]| output(Command::new("git").arg("-C").arg(repo_root()).args(args));
    let head = git(&["rev-parse", "--short", "HEAD"])
        .map_or_else(|_| "unknown".into(), |s| s.trim().to_string());
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Ok(s) if !s.trim().is_empty() => format!("{head} + uncommitted changes in the work tree"),
        _ => head,
    }
}

/// The current UTC date and time, "YYYY-MM-DD HH:MM UTC".
pub fn now_utc() -> String {
    output(Command::new("date").args(["-u", "+%Y-%m-%d %H:%M UTC"]))
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}
