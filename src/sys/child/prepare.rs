//! What a launch prepares before the clone: the argument and environment
//! arrays as C strings, and the paths to try for the program.

use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use super::launch::{Launch, LaunchError, Step};

/// The argument and environment arrays, built before the fork.
pub(super) struct Prepared {
    _argv: Vec<CString>,
    pub(super) argv_ptrs: Vec<*const libc::c_char>,
    _envp: Option<Vec<CString>>,
    pub(super) envp_ptrs: Option<Vec<*const libc::c_char>>,
    pub(super) candidates: Vec<CString>,
}

fn cstring(bytes: &[u8]) -> Result<CString, LaunchError> {
    CString::new(bytes).map_err(|_| LaunchError {
        step: Step::Prepare,
        error: io::Error::new(
            io::ErrorKind::InvalidInput,
            "an argument or variable contains a NUL byte",
        ),
    })
}

impl Prepared {
    pub(super) fn new(launch: &Launch<'_>) -> Result<Prepared, LaunchError> {
        let program = launch.argv.first().ok_or_else(|| LaunchError {
            step: Step::Prepare,
            error: io::Error::new(io::ErrorKind::InvalidInput, "no command given"),
        })?;
        let argv: Vec<CString> = launch
            .argv
            .iter()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<_, _>>()?;
        let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
        argv_ptrs.push(std::ptr::null());
        let envp = match &launch.env {
            Some(vars) => Some(
                vars.iter()
                    .map(|(k, v)| {
                        let mut entry = k.as_bytes().to_vec();
                        entry.push(b'=');
                        entry.extend_from_slice(v.as_bytes());
                        cstring(&entry)
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let envp_ptrs = envp.as_ref().map(|vars| {
            let mut ptrs: Vec<*const libc::c_char> = vars.iter().map(|v| v.as_ptr()).collect();
            ptrs.push(std::ptr::null());
            ptrs
        });
        let path = launch
            .env
            .as_ref()
            .and_then(|vars| vars.iter().rev().find(|(k, _)| k == "PATH"))
            .map(|(_, v)| v.clone());
        let candidates = search_path(program, path)
            .iter()
            .map(|c| cstring(c.as_bytes()))
            .collect::<Result<_, _>>()?;
        Ok(Prepared {
            _argv: argv,
            argv_ptrs,
            _envp: envp,
            envp_ptrs,
            candidates,
        })
    }
}

/// The paths to try for `program`, in order, as `execvp` would: itself when
/// it names a path, otherwise each `PATH` entry (an empty one is the current
/// directory). `path` is the child's `PATH`; when the child has none, ptool's
/// own is used, then the traditional `/bin:/usr/bin`.
pub fn search_path(program: &OsStr, path: Option<OsString>) -> Vec<OsString> {
    let bytes = program.as_bytes();
    if bytes.is_empty() || bytes.contains(&b'/') {
        return vec![program.to_os_string()];
    }
    let path = path
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_else(|| OsString::from("/bin:/usr/bin"));
    path.as_bytes()
        .split(|&b| b == b':')
        .map(|dir| {
            let mut full = if dir.is_empty() {
                b".".to_vec()
            } else {
                dir.to_vec()
            };
            if !full.ends_with(b"/") {
                full.push(b'/');
            }
            full.extend_from_slice(bytes);
            OsString::from_vec(full)
        })
        // A directory listed twice (common in PATH) is tried once.
        .fold(Vec::new(), |mut seen: Vec<OsString>, candidate| {
            if !seen.contains(&candidate) {
                seen.push(candidate);
            }
            seen
        })
}
