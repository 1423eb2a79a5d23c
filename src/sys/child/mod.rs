//! Starting and supervising child processes, one file per job: preparing
//! the command ([`prepare`]), starting it with `clone(CLONE_VM |
//! CLONE_VFORK)` and learning which step failed ([`launch`]), the child's
//! side until `execve` ([`exec`]), waiting and reaping ([`reap`]), job
//! control on the terminal ([`terminal`]) and the files a launch opens
//! ([`files`]). Used by `spawn` (and `fork`'s subreaper and orphan reaping).

mod exec;
mod files;
mod launch;
mod prepare;
mod reap;
mod terminal;

pub use files::{dev_null, lock_exclusive, open_append, open_dir};
pub use launch::{ExecReport, Group, Launch, LaunchError, Step, launch, start};
pub use reap::{Child, become_subreaper, has_exited, own_children, reap_if_exited, reap_orphans};
pub use terminal::{
    controlling_terminal, foreground_group, own_group, set_foreground_group, stop_self,
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::{OsStr, OsString};
    use std::io;
    use std::os::fd::AsFd;

    use super::prepare::search_path;

    fn argv(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn path_search_follows_execvp() {
        let found = search_path(OsStr::new("ls"), Some(OsString::from("/a::/b/")));
        assert_eq!(found, argv(&["/a/ls", "./ls", "/b/ls"]));
        assert_eq!(
            search_path(OsStr::new("./x"), None),
            vec![OsString::from("./x")]
        );
    }

    #[test]
    fn reports_exec_failures() {
        let err = launch(&Launch {
            argv: argv(&["ptool-no-such-command-xyz"]),
            ..Launch::default()
        })
        .expect_err("not found");
        assert!(err.not_found(), "{err}");
        let err = launch(&Launch {
            argv: argv(&["/dev/null"]),
            ..Launch::default()
        })
        .expect_err("not executable");
        assert_eq!(err.step, Step::Exec);
        assert!(!err.not_found());
    }

    #[test]
    fn runs_and_reports_status() -> io::Result<()> {
        let child = launch(&Launch {
            argv: argv(&["sh", "-c", "exit 7"]),
            group: Group::NewGroup,
            ..Launch::default()
        })
        .map_err(|e| e.error)?;
        let status = child.wait()?;
        assert_eq!(status.code, Some(7));
        let child = launch(&Launch {
            argv: argv(&["sh", "-c", "kill -USR1 $$"]),
            ..Launch::default()
        })
        .map_err(|e| e.error)?;
        assert_eq!(child.wait()?.signal, Some(libc::SIGUSR1));
        Ok(())
    }

    #[test]
    fn cwd_failures_name_the_step() {
        let Ok(dir) = open_dir(std::path::Path::new("/")) else {
            return;
        };
        let child = launch(&Launch {
            argv: argv(&["true"]),
            cwd: Some(dir.as_fd()),
            nice: Some(19),
            umask: Some(0o077),
            ..Launch::default()
        });
        assert!(child.is_ok());
        if let Ok(child) = child {
            assert_eq!(child.wait().ok().and_then(|s| s.code), Some(0));
        }
    }
}
