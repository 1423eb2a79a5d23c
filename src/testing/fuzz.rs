//! The entry points `fuzz/` drives: one function per parser of untrusted
//! input, each of which must return (any result) and never panic, whatever
//! the bytes. Text from `/proc` is chosen by whoever runs the process (a
//! name, a command line, an environment, a socket path) or by a kernel newer
//! than ptool; user input (flags, values) by whoever types it.
//!
//! This is the one module the fuzz targets use, so that the modules behind
//! it stay free to change their visibility and layout.

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;

use clap::Parser;

use crate::proc::{cgroup, environ, fds, limits, net, stat, statm, status};

/// `/proc/PID/stat` (and what is derived from it).
pub fn proc_stat(data: &[u8]) {
    if let Some(s) = stat::parse(data) {
        let _ = (s.cpu_ticks(), s.is_kernel_thread(), s.has_ended());
    }
}

/// `/proc/PID/status`.
pub fn proc_status(data: &[u8]) {
    let _ = status::parse(data);
}

/// `/proc/PID/statm`.
pub fn proc_statm(data: &[u8]) {
    let _ = statm::parse(data);
}

/// `/proc/PID/fdinfo/FD`.
pub fn proc_fdinfo(data: &[u8]) {
    let _ = fds::parse_fdinfo(data);
}

/// The socket tables in `/proc/PID/net/`: the first byte picks the table.
pub fn proc_net(data: &[u8]) {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let protocol = net::TABLES[usize::from(which) % net::TABLES.len()];
    let mut sockets = std::collections::HashMap::new();
    net::parse_table(protocol, text, &mut sockets);
}

/// `/proc/PID/limits`.
pub fn proc_limits(data: &[u8]) {
    let _ = limits::parse(data);
}

/// `/proc/PID/environ`, and its rendering as text and JSON.
pub fn proc_environ(data: &[u8]) {
    for var in environ::parse(data) {
        let _ = crate::output::sanitize::escape(&var.key);
        let _ = crate::output::sanitize::to_json_string(&var.key);
        if let Some(value) = &var.value {
            let _ = crate::output::sanitize::escape(value);
        }
    }
}

/// `/proc/PID/cgroup`.
pub fn proc_cgroup(data: &[u8]) {
    let _ = cgroup::parse(data);
}

/// The values of user flags: the first byte picks the parser (durations,
/// signals, column and sort lists, states, users, PIDs), the rest is the
/// value as typed (any bytes, as an argument may be).
pub fn user_value(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let text = text.as_ref();
    match which % 9 {
        0 => {
            let _ = crate::cli::parse_duration(text);
        }
        1 => {
            if let Ok(signal) = crate::cli::parse_signal(text) {
                let _ = signal.to_string();
            }
        }
        2 => {
            for key in text.split(',') {
                let _ = key.parse::<crate::columns::Column>();
            }
        }
        3 => {
            for key in text.split(',') {
                let _ = key.parse::<crate::columns::SortKey>();
            }
        }
        4 => {
            let _ = crate::select::Selector::parse_states(text);
        }
        5 => {
            let _ = crate::sys::users::resolve_user(text);
        }
        6 => {
            let _ = crate::cli::parse_pid(text);
        }
        7 => {
            let _ = crate::cli::parse_positive_pid(text);
        }
        _ => {
            let _ = crate::select::Selector::pattern(text, rest.first() == Some(&b'x'), false);
        }
    }
}

/// The whole command line: arguments separated by NUL bytes after the
/// program name. Parsing may fail (that is a usage error, rendered as
/// `main` renders it); it must not panic.
pub fn command_line(data: &[u8]) {
    let args = std::iter::once(OsString::from("ptool")).chain(
        data.split(|&b| b == 0)
            .map(|arg| OsString::from_vec(arg.to_vec())),
    );
    match crate::cli::Cli::try_parse_from(args) {
        Ok(cli) => {
            let _ = format!("{cli:?}");
        }
        Err(err) => {
            let _ = crate::output::sanitize::escape_str(&err.render().to_string());
        }
    }
}
