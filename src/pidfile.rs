//! Pidfiles, the one format `spawn` writes and `wait` reads: one or more
//! PIDs, one a line; whitespace around a PID and blank lines are ignored,
//! and anything else (two numbers on a line, a sign, a PID of 0 or beyond
//! Linux's range, invalid UTF-8, more than [`MAX_BYTES`]) means the file is
//! not a pidfile. `wait --pidfile` waits for every PID in it.
//!
//! Writing them done right (`spawn --pidfile`): refuse to start a second
//! copy while the file names a live process (checking that the PID was not
//! reused since the file was written), and write the file atomically (a
//! temporary file in the same directory, renamed over it) only once the
//! command runs. The directory is locked (`flock`) from the check to the
//! rename, so two ptools racing for one pidfile cannot both start.

use std::fmt;
use std::fs::File;
use std::io::{self, Read as _, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::exit::{Exit, ExitError};
use crate::output::sanitize::escape;
use crate::proc::{Reader, System};
use crate::sys::child;

/// How much later than the pidfile's last change a process may have started
/// and still be the one it names: the clocks compared (the file's mtime,
/// the process start in clock ticks since boot) differ by a tick or two.
const CLOCK_SLACK_SECS: f64 = 1.0;

/// What an existing pidfile says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    /// No file, an empty one, or only dead or reused PIDs.
    Stale,
    /// This PID is alive and is the process the file was written for.
    Live(i32),
    /// The file holds something other than PIDs.
    NotPidfile,
}

/// A pidfile being written: the directory lock and the temporary file.
#[derive(Debug)]
pub struct Pending {
    path: PathBuf,
    temp: PathBuf,
    file: File,
    _lock: OwnedFd,
}

impl Pending {
    /// Check `path` and prepare its replacement. Refuses (exit 1) when it
    /// names a live process or is not a pidfile, unless `replace`.
    pub fn prepare(path: &Path, replace: bool) -> Result<Pending> {
        let shown = escape(path.as_os_str().as_bytes()).into_owned();
        let fail = |what: &str, e: io::Error| -> anyhow::Error {
            ExitError::new(
                Exit::Failure,
                format!(
                    "cannot {what} pidfile {shown}: {}",
                    crate::sys::error_text(&e)
                ),
            )
            .into()
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = path
            .file_name()
            .ok_or_else(|| ExitError::new(Exit::Usage, format!("pidfile {shown} names no file")))?;
        let lock: OwnedFd = File::open(&dir)
            .map_err(|e| fail("use the directory of", e))?
            .into();
        child::lock_exclusive(lock.as_fd()).map_err(|e| fail("lock the directory of", e))?;
        if !replace {
            match check(path).map_err(|e| fail("read", e))? {
                Found::Stale => {}
                Found::Live(pid) => {
                    // Exit 1: refused, like a wait whose condition is unmet.
                    return Err(ExitError::new(
                        Exit::NoMatch,
                        format!(
                            "pidfile {shown} names PID {pid}, which is still running \
                             (use --replace to start another anyway)"
                        ),
                    )
                    .into());
                }
                Found::NotPidfile => {
                    return Err(ExitError::new(
                        Exit::NoMatch,
                        format!(
                            "{shown} does not hold PIDs; not overwriting it \
                             (use --replace to overwrite it)"
                        ),
                    )
                    .into());
                }
            }
        }
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".ptool-{}.tmp", crate::sys::own_pid()));
        let temp = dir.join(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o644)
            .open(&temp)
            .map_err(|e| fail("create", e))?;
        Ok(Pending {
            path: path.to_path_buf(),
            temp,
            file,
            _lock: lock,
        })
    }

    /// Write `pids` (one a line) and move the file into place.
    pub fn commit(mut self, pids: &[i32]) -> Result<()> {
        let mut text = String::new();
        for pid in pids {
            text.push_str(&pid.to_string());
            text.push('\n');
        }
        let result = self
            .file
            .write_all(text.as_bytes())
            .and_then(|()| std::fs::rename(&self.temp, &self.path));
        result.map_err(|e| {
            ExitError::new(
                Exit::Failure,
                format!(
                    "cannot write pidfile {}: {}",
                    escape(self.path.as_os_str().as_bytes()),
                    crate::sys::error_text(&e)
                ),
            )
            .into()
        })
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // After a successful rename this finds nothing to remove.
        let _ = std::fs::remove_file(&self.temp);
    }
}

/// What the pidfile at `path` says about its processes. An empty file
/// names none: it is stale.
pub fn check(path: &Path) -> io::Result<Found> {
    let text = match read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Found::Stale),
        Err(e) => return Err(e),
    };
    let pids = match parse(&text) {
        Ok(pids) => pids,
        Err(Invalid::Empty) => return Ok(Found::Stale),
        Err(_) => return Ok(Found::NotPidfile),
    };
    let written = crate::sys::time::unix_seconds_of(std::fs::metadata(path)?.modified()?);
    let Ok(mut reader) = Reader::new() else {
        return Ok(Found::Stale);
    };
    let sys = System::read();
    for pid in pids {
        let Some(stat) = reader.stat(pid) else {
            continue;
        };
        if stat.has_ended() {
            continue;
        }
        if is_same_process(&sys, stat.start_ticks, written) {
            return Ok(Found::Live(pid));
        }
    }
    Ok(Found::Stale)
}

/// The most a pidfile may hold: room for well over 100,000 PIDs
/// (`spawn -n`), and a bound on what is read from a path that names
/// something else (a log, a device).
pub const MAX_BYTES: usize = 1 << 20;

/// Why a file is not a pidfile (see the module documentation for the
/// rule). Displayed after "pidfile FILE ".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// Nothing but whitespace.
    Empty,
    /// More than [`MAX_BYTES`].
    TooLong,
    /// A line that is not a number in Linux's PID range (the reason,
    /// escaped).
    NotPid(String),
    /// A number that names no process: 0 or negative (the reason).
    NotProcess(String),
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::Empty => write!(f, "is empty"),
            Invalid::TooLong => write!(f, "is too long to hold PIDs"),
            Invalid::NotPid(why) => write!(f, "does not hold a PID: {why}"),
            Invalid::NotProcess(why) => write!(f, "does not hold a process ID: {why}"),
        }
    }
}

/// Read a pidfile, refusing to slurp more than [`MAX_BYTES`] (a longer
/// file is returned cut, one byte over, for [`parse`] to refuse).
pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let file = File::open(path)?;
    let mut content = Vec::with_capacity(64);
    file.take(MAX_BYTES as u64 + 1).read_to_end(&mut content)?;
    Ok(content)
}

/// The PIDs in a pidfile, in order, each once.
pub fn parse(content: &[u8]) -> Result<Vec<i32>, Invalid> {
    if content.len() > MAX_BYTES {
        return Err(Invalid::TooLong);
    }
    let text = std::str::from_utf8(content)
        .map_err(|_| Invalid::NotPid(format!("'{}'", escape(content))))?;
    let mut pids = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let pid = crate::select::parse_pid(line).map_err(Invalid::NotPid)?;
        let pid =
            crate::select::positive_pid(pid).map_err(|e| Invalid::NotProcess(e.to_string()))?;
        if !pids.contains(&pid) {
            pids.push(pid);
        }
    }
    if pids.is_empty() {
        return Err(Invalid::Empty);
    }
    Ok(pids)
}

/// A process that started after its pidfile was last written is not the
/// process the file was written for: its PID was reused. Both times are
/// compared on the boot clock the kernel counts start times in.
pub fn is_same_process(sys: &System, start_ticks: u64, written_unix: f64) -> bool {
    let written_since_boot = sys.uptime - (sys.now - written_unix);
    sys.ticks_to_secs(start_ticks) <= written_since_boot + CLOCK_SLACK_SECS
}

/// Remove the pidfile at `path` if it still holds exactly `pids` (a later
/// `--replace` may have taken it over).
pub fn remove_if_ours(path: &Path, pids: &[i32]) {
    if let Ok(text) = read(path)
        && parse(&text).as_deref() == Ok(pids)
    {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pid_lists() {
        assert_eq!(parse(b"123\n"), Ok(vec![123]));
        assert_eq!(parse(b"  77 \r\n"), Ok(vec![77]));
        assert_eq!(parse(b" 1\n\n2 \n1\n"), Ok(vec![1, 2]));
        assert_eq!(parse(b""), Err(Invalid::Empty));
        assert_eq!(parse(b"\n\n"), Err(Invalid::Empty));
        for bad in [
            &b"12 13"[..],
            b"abc",
            b"0",
            b"-4",
            b"-5",
            b"1.5",
            b"\xff",
            b"99999999999",
            b"1\n2\nx\n",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(parse(&vec![b'1'; MAX_BYTES + 1]), Err(Invalid::TooLong));
        // Whatever came from the file is escaped before it is shown.
        let shown = parse(b"\x1b[2J").expect_err("not a PID").to_string();
        assert!(!shown.contains('\x1b'), "{shown}");
    }

    #[test]
    fn a_process_younger_than_the_file_is_a_reused_pid() {
        let sys = System {
            clk_tck: 100,
            page_size: 4096,
            mem_total: 0,
            uptime: 1000.0,
            now: 1_700_000_000.0,
        };
        // The file was written 100 s ago, at 900 s after boot.
        let written = sys.now - 100.0;
        assert!(is_same_process(&sys, 850 * 100, written));
        assert!(is_same_process(&sys, 900 * 100 + 50, written));
        assert!(!is_same_process(&sys, 950 * 100, written));
    }

    #[test]
    fn own_process_in_a_fresh_file_is_live() -> io::Result<()> {
        let dir = std::env::temp_dir().join(format!("ptool-pidfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let path = dir.join("own.pid");
        std::fs::write(&path, format!("{}\n", std::process::id()))?;
        assert_eq!(check(&path)?, Found::Live(std::process::id() as i32));
        std::fs::write(&path, "not a pid\n")?;
        assert_eq!(check(&path)?, Found::NotPidfile);
        std::fs::remove_file(&path)?;
        assert_eq!(check(&path)?, Found::Stale);
        std::fs::remove_dir(&dir)?;
        Ok(())
    }
}
