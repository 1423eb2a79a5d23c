//! Lock names and where their files live. A plain name (letters, digits,
//! `-`, `_`, `.`) is a file in ptool's own lock directory,
//! `$XDG_RUNTIME_DIR/ptool/locks` (for root `/run/lock/ptool`), made 0700
//! and never reached through a symlink; a name with a `/` is a path, as
//! `flock(1)` takes it. Anything else is a usage error.
//!
//! A semaphore's slots are files too: slot 0 is the lock's own file, slot
//! K is `NAME#K` beside it. `#` is not allowed in plain names, so no plain
//! name is ever another lock's slot, and `--max 1` is the plain mutex.

use std::ffi::{OsStr, OsString};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::exit::{Exit, ExitError, usage};
use crate::output::sanitize::escape;
use crate::sys::flock;

/// The longest plain name (slot suffixes must still fit in 255 bytes).
const MAX_NAME: usize = 200;

/// A lock as named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockName {
    /// As given, escaped for messages.
    pub shown: String,
    /// The directory of its files; `None`: ptool's lock directory.
    pub dir: Option<PathBuf>,
    /// The file name of slot 0 in that directory.
    pub base: OsString,
}

impl LockName {
    /// Check a NAME argument: a plain name or a path.
    pub fn parse(text: &OsStr) -> Result<LockName> {
        let bytes = text.as_bytes();
        let shown = escape(bytes).into_owned();
        if bytes.contains(&b'/') {
            let path = Path::new(text);
            let base = match path.file_name() {
                Some(base) if !bytes.ends_with(b"/") && !bytes.ends_with(b"/.") => base,
                _ => {
                    return Err(usage(format!(
                        "lock path '{shown}' must end in a file name"
                    )));
                }
            };
            let dir = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            return Ok(LockName {
                shown,
                dir: Some(dir),
                base: base.to_os_string(),
            });
        }
        let plain = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        if bytes.is_empty() {
            return Err(usage("the lock name is empty"));
        }
        if bytes == b"." || bytes == b".." {
            return Err(usage(format!("'{shown}' is not a lock name")));
        }
        if bytes.len() > MAX_NAME {
            return Err(usage(format!(
                "the lock name is too long ({} bytes; at most {MAX_NAME})",
                bytes.len()
            )));
        }
        if !bytes.iter().all(plain) {
            return Err(usage(format!(
                "'{shown}' is not a lock name: use letters, digits, '-', '_' and '.', \
                 or a path with a '/'"
            )));
        }
        Ok(LockName {
            shown,
            dir: None,
            base: text.to_os_string(),
        })
    }

    /// The file name of slot `slot`.
    pub fn slot_file(&self, slot: usize) -> OsString {
        slot_file(&self.base, slot)
    }

    /// The mode a new lock file is created with: private in ptool's
    /// directory; for a path, readable by all (less the umask) like
    /// `flock(1)`'s, so other users can share the lock.
    pub fn create_mode(&self) -> u32 {
        if self.dir.is_some() { 0o666 } else { 0o600 }
    }

    /// Open the directory the lock's files are in, creating ptool's own.
    pub fn open_dir(&self) -> Result<LockDir> {
        match &self.dir {
            Some(dir) => {
                let fd = flock::open_dir(dir).map_err(|e| {
                    failure(format!(
                        "cannot open the directory of lock '{}': {}",
                        self.shown,
                        crate::sys::error_text(&e)
                    ))
                })?;
                Ok(LockDir {
                    fd,
                    path: dir.clone(),
                })
            }
            None => private_dir(),
        }
    }
}

/// The file name of slot `slot` of the lock whose own file is `base`.
pub fn slot_file(base: &OsStr, slot: usize) -> OsString {
    if slot == 0 {
        return base.to_os_string();
    }
    let mut name = base.as_bytes().to_vec();
    name.extend_from_slice(format!("#{slot}").as_bytes());
    OsString::from_vec(name)
}

/// Which slot of which lock a file name is: `("x", 0)` for `x`,
/// `("x", 2)` for `x#2`.
pub fn parse_slot(file: &OsStr) -> (OsString, usize) {
    let bytes = file.as_bytes();
    if let Some(at) = bytes.iter().rposition(|&b| b == b'#')
        && let Ok(text) = std::str::from_utf8(&bytes[at + 1..])
        && text.bytes().all(|b| b.is_ascii_digit())
        && !text.starts_with('0')
        && let Ok(slot) = text.parse::<usize>()
    {
        return (OsString::from_vec(bytes[..at].to_vec()), slot);
    }
    (file.to_os_string(), 0)
}

/// An open lock directory.
#[derive(Debug)]
pub struct LockDir {
    pub fd: OwnedFd,
    pub path: PathBuf,
}

impl LockDir {
    /// Open (creating) slot `slot`'s file of `name`, close-on-exec and
    /// without following symlinks.
    pub fn open_slot(&self, name: &LockName, slot: usize) -> Result<OwnedFd> {
        let file = name.slot_file(slot);
        flock::open_lock_file(self.fd.as_fd(), &file, name.create_mode()).map_err(|e| {
            failure(format!(
                "cannot use lock file {}: {}",
                escape(self.path.join(&file).as_os_str().as_bytes()),
                crate::sys::error_text(&e)
            ))
        })
    }
}

/// Where ptool keeps plain-named locks: `/run/lock/ptool` for root,
/// `$XDG_RUNTIME_DIR/ptool/locks` for everyone else. `None` (with the
/// reason) when there is none.
pub fn private_dir_path() -> Result<PathBuf, String> {
    if flock::running_as_root() {
        return Ok(PathBuf::from("/run/lock/ptool"));
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if Path::new(&dir).is_absolute() => {
            Ok(Path::new(&dir).join("ptool").join("locks"))
        }
        _ => Err(
            "XDG_RUNTIME_DIR is not set to an absolute path, so plain lock names \
                  have no private directory; give a path instead (with a '/')"
                .to_string(),
        ),
    }
}

/// Open ptool's lock directory, making each of its own levels 0700 and
/// refusing a symlink, a stranger's directory or one others may write.
fn private_dir() -> Result<LockDir> {
    let path = private_dir_path().map_err(failure)?;
    let (base, own): (&Path, &[&str]) = if flock::running_as_root() {
        (Path::new("/run/lock"), &["ptool"])
    } else {
        let base = path
            .parent()
            .and_then(Path::parent)
            .unwrap_or(Path::new("/"));
        (base, &["ptool", "locks"])
    };
    let cannot = |at: &Path, e: std::io::Error| {
        failure(format!(
            "cannot use the lock directory {}: {}",
            escape(at.as_os_str().as_bytes()),
            crate::sys::error_text(&e)
        ))
    };
    let mut fd = flock::open_dir(base).map_err(|e| cannot(base, e))?;
    let mut at = base.to_path_buf();
    for level in own {
        at.push(level);
        fd = flock::private_dir(fd.as_fd(), level).map_err(|e| cannot(&at, e))?;
    }
    Ok(LockDir { fd, path })
}

fn failure(message: impl Into<String>) -> anyhow::Error {
    ExitError::new(Exit::Failure, message).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LockName> {
        LockName::parse(OsStr::new(text))
    }

    #[test]
    fn plain_names_and_paths() {
        let plain = parse("deploy-1.x_y").expect("plain");
        assert_eq!((plain.dir, plain.base), (None, "deploy-1.x_y".into()));
        let path = parse("/var/lock/db.lock").expect("path");
        assert_eq!(path.dir, Some(PathBuf::from("/var/lock")));
        assert_eq!(path.base, OsString::from("db.lock"));
        let up = parse("../x").expect("a relative path");
        assert_eq!(up.dir, Some(PathBuf::from("..")));
        let here = parse("./x").expect("a relative path");
        assert_eq!(here.dir, Some(PathBuf::from(".")));
        for bad in ["", ".", "..", "a b", "a#1", "x\u{1b}]0;t\u{7}", "tab\t"] {
            let err = parse(bad).expect_err(bad);
            assert_eq!(crate::exit::for_error(&err), Exit::Usage, "{bad}");
            assert!(!err.to_string().contains('\u{1b}'), "{err}");
        }
        assert!(parse(&"a".repeat(MAX_NAME + 1)).is_err());
        for bad in ["dir/", "/", "a/.", "a/.."] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slot_files_round_trip() {
        assert_eq!(slot_file(OsStr::new("gpu"), 0), OsString::from("gpu"));
        assert_eq!(slot_file(OsStr::new("gpu"), 2), OsString::from("gpu#2"));
        assert_eq!(parse_slot(OsStr::new("gpu#2")), ("gpu".into(), 2));
        assert_eq!(parse_slot(OsStr::new("gpu")), ("gpu".into(), 0));
        assert_eq!(parse_slot(OsStr::new("a#b")), ("a#b".into(), 0));
        assert_eq!(parse_slot(OsStr::new("a#01")), ("a#01".into(), 0));
    }
}
