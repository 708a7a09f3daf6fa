//! Reading what the peers print: Elfin's `--verbose` log, the probe programs' reports, the
//! Linux guest's init, and the arrival time of an app's first output byte in a captured
//! stream.

use std::time::Duration;

/// The app's marker line printed by `programs/hello.c`.
pub const HELLO_MARKER: &str = "hello from elfin-bench";
/// What the Linux guest's init (`programs/init.c`) prints after the program ends.
pub const GUEST_EXIT_PREFIX: &str = "ELFIN-BENCH-EXIT ";

/// Elfin's guest-side boot time from `elfin run --verbose`'s stderr:
/// `boot: N us from PVH entry to the app's first instruction`.
pub fn boot_us(log: &str) -> Option<u64> {
    log.lines().find_map(|line| {
        let rest = &line[line.find("boot: ")? + "boot: ".len()..];
        let (number, tail) = rest.split_once(' ')?;
        tail.starts_with("us from PVH entry")
            .then(|| number.parse().ok())?
    })
}

/// The boot phases of Elfin's `--verbose` log, in order: `(phase, microseconds)` for each line
/// `... <phase> at N us` (time since PVH entry) or `... <phase> in N us` (a duration).
pub fn boot_phases(log: &str) -> Vec<(String, u64)> {
    log.lines()
        .filter_map(|line| {
            let line = line.strip_prefix("elfin: ").unwrap_or(line);
            let body = line.strip_suffix(" us")?;
            let (phase, number) = body.rsplit_once(' ')?;
            let us = number.parse().ok()?;
            let phase = phase
                .strip_suffix(" at")
                .or_else(|| phase.strip_suffix(" in"))?;
            Some((phase.to_string(), us))
        })
        .collect()
}

/// The initrd size the `elfin` CLI reports with `--verbose`: `...; initrd N bytes, ...`.
pub fn initrd_bytes(log: &str) -> Option<u64> {
    log.lines().find_map(|line| {
        let rest = &line[line.find("initrd ")? + "initrd ".len()..];
        let (number, tail) = rest.split_once(' ')?;
        tail.starts_with("bytes").then(|| number.parse().ok())?
    })
}

/// One line of `programs/syscall.c`: `<name> median=<cycles> min=<cycles>`.
#[derive(Debug, Clone, PartialEq)]
pub struct CycleLine {
    pub name: String,
    pub median: f64,
    pub min: f64,
}

/// All the well-formed lines of the syscall probe's report (other lines are ignored: the
/// Linux guest's console also carries kernel messages).
pub fn cycle_lines(text: &str) -> Vec<CycleLine> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = words.next()?;
            let median = words.next()?.strip_prefix("median=")?.parse().ok()?;
            let min = words.next()?.strip_prefix("min=")?.parse().ok()?;
            if words.next().is_some()
                || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                return None;
            }
            Some(CycleLine {
                name: name.to_string(),
                median,
                min,
            })
        })
        .collect()
}

/// The exit status the Linux guest's init reported (`ELFIN-BENCH-EXIT <n>` on its own line).
pub fn guest_exit_status(text: &str) -> Option<i32> {
    text.lines().find_map(|line| {
        line.trim_end_matches('\r')
            .strip_prefix(GUEST_EXIT_PREFIX)?
            .trim()
            .parse()
            .ok()
    })
}

/// Seconds between the `T0|<unix seconds>` and `T1|<unix seconds>` lines that the sqlite
/// insert script prints before and after its inserts.
pub fn sqlite_seconds(text: &str) -> Option<f64> {
    let stamp = |tag: &str| {
        text.lines().find_map(|line| {
            line.trim_end_matches('\r')
                .strip_prefix(tag)?
                .trim()
                .parse::<f64>()
                .ok()
        })
    };
    let (t0, t1) = (stamp("T0|")?, stamp("T1|")?);
    (t1 >= t0).then_some(t1 - t0)
}

/// A TSC frequency in kHz as `programs/tsc_khz.c` prints it.
pub fn tsc_khz(text: &str) -> Option<u64> {
    text.trim().parse().ok().filter(|&khz| khz > 0)
}

/// The first line of `qemu-system-x86_64 --version`, without the "QEMU emulator version" words.
pub fn qemu_version(text: &str) -> Option<String> {
    let line = text.lines().next()?.trim();
    Some(
        line.strip_prefix("QEMU emulator version ")
            .unwrap_or(line)
            .to_string(),
    )
}

/// When the first byte of `marker` arrived, given the captured stream as chunks stamped with
/// their arrival time (in order). `None` when the marker never appeared.
pub fn first_output(chunks: &[(Duration, Vec<u8>)], marker: &[u8]) -> Option<Duration> {
    let all: Vec<u8> = chunks.iter().flat_map(|(_, c)| c.iter().copied()).collect();
    let at = find(&all, marker)?;
    let mut end = 0;
    chunks.iter().find_map(|(time, chunk)| {
        end += chunk.len();
        (at < end).then_some(*time)
    })
}

/// Index of the first occurrence of `needle` in `haystack`.
pub fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "elfin: accel tcg (Auto); initrd 26112 bytes, 2 guest paths\n\
        elfin: qemu-system-x86_64 -M microvm -m 128M\n\
        elfin: cmdline \"verbose\"; TSC 2542226 kHz (Pit)\n\
        elfin: console devices probed in 3820 us\n\
        elfin: RAM 127 MiB in 2 regions; initrd 25 KiB\n\
        elfin: clocks ready at 9980 us\n\
        elfin: program loaded at 22518 us\n\
        elfin: boot: 22752 us from PVH entry to the app's first instruction\n\
        elfin: app exited with status 0\n\
        elfin: QEMU exited (exit status: 1) after 0.080 s\n";

    #[test]
    fn elfin_verbose_log() {
        assert_eq!(boot_us(LOG), Some(22752));
        assert_eq!(initrd_bytes(LOG), Some(26112));
        assert_eq!(
            boot_phases(LOG),
            vec![
                ("console devices probed".to_string(), 3820),
                ("clocks ready".to_string(), 9980),
                ("program loaded".to_string(), 22518),
            ]
        );
        assert_eq!(boot_us("boot: soon\nboot: 12 ms\n"), None);
        assert_eq!(initrd_bytes("initrd 25 KiB"), None);
    }

    #[test]
    fn syscall_probe_lines() {
        let text = "[    0.48] PCI: Fatal: No config space access function found\n\
            getppid median=3119.0 min=1518.8\r\n\
            enosys median=1495.2 min=1252.2\n\
            call median=58.7 min=37.3\n\
            broken median=x min=1\n\
            extra median=1 min=1 more\n";
        let lines = cycle_lines(text);
        let names: Vec<_> = lines.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["getppid", "enosys", "call"]);
        assert_eq!(lines[0].median, 3119.0);
        assert_eq!(lines[1].min, 1252.2);
    }

    #[test]
    fn guest_init_status() {
        assert_eq!(
            guest_exit_status("hello\r\n\nELFIN-BENCH-EXIT 0\r\n[ 2.4] reboot: Power down"),
            Some(0)
        );
        assert_eq!(guest_exit_status("ELFIN-BENCH-EXIT 139\n"), Some(139));
        assert_eq!(guest_exit_status("no marker"), None);
    }

    #[test]
    fn sqlite_stamps() {
        let out = "T0|1795448667.287\n60000|12599790000\nT1|1795448669.127\n";
        let s = sqlite_seconds(out).unwrap();
        assert!((s - 1.84).abs() < 1e-6, "{s}");
        assert_eq!(sqlite_seconds("T0|5\n"), None);
        assert_eq!(sqlite_seconds("T0|5\nT1|4\n"), None);
    }

    #[test]
    fn small_parsers() {
        assert_eq!(tsc_khz("2445429\n"), Some(2445429));
        assert_eq!(tsc_khz("0"), None);
        assert_eq!(
            qemu_version("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7)\nCopyright")
                .as_deref(),
            Some("7.2.22 (Debian 1:7.2+dfsg-7)")
        );
    }

    #[test]
    fn first_output_byte_time() {
        let ms = Duration::from_millis;
        let chunks = vec![
            (ms(100), b"[ 0.4] kernel noise\n".to_vec()),
            (ms(250), b"...hel".to_vec()),
            (ms(300), b"lo from elfin-bench\n".to_vec()),
        ];
        assert_eq!(
            first_output(&chunks, HELLO_MARKER.as_bytes()),
            Some(ms(250))
        );
        assert_eq!(first_output(&chunks, b"kernel"), Some(ms(100)));
        assert_eq!(first_output(&chunks, b"absent"), None);
        assert_eq!(first_output(&[], b"x"), None);
    }
}
