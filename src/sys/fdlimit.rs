//! The open-file limit: watching thousands of processes takes one pidfd
//! each, more than the usual soft limit of 1024.

use std::io;

use rustix::process::{Resource, Rlimit};

/// The soft and hard `RLIMIT_NOFILE` (`None` = unlimited).
pub fn open_files() -> (Option<u64>, Option<u64>) {
    let limit = rustix::process::getrlimit(Resource::Nofile);
    (limit.current, limit.maximum)
}

/// Make room for at least `needed` open files by raising the soft limit to
/// the hard one (an unprivileged process may, up to the hard limit). Returns
/// the new soft limit when it was raised, `None` when it was already enough.
/// Fails when even the hard limit is too low.
pub fn ensure_open_files(needed: u64) -> io::Result<Option<u64>> {
    let (soft, hard) = open_files();
    if soft.is_none_or(|s| s >= needed) {
        return Ok(None);
    }
    if hard.is_some_and(|h| h < needed) {
        return Err(io::Error::from_raw_os_error(libc::EMFILE));
    }
    rustix::process::setrlimit(
        Resource::Nofile,
        Rlimit {
            current: hard,
            maximum: hard,
        },
    )?;
    Ok(Some(hard.unwrap_or(u64::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_need_changes_nothing() -> io::Result<()> {
        assert_eq!(ensure_open_files(3)?, None);
        let (soft, hard) = open_files();
        assert!(soft.is_none_or(|s| hard.is_none_or(|h| s <= h)));
        Ok(())
    }
}
