//! Behaviour shared by every subcommand: help, version, usage errors, pipes.

use crate::support::*;

#[test]
fn help_and_version_succeed() {
    let out = ptool(["--help"]);
    out.success();
    assert!(out.stdout.contains("ls"));
    let out = ptool(["--version"]);
    out.success();
    assert!(out.stdout.starts_with("ptool "));
}

#[test]
fn unknown_flags_are_one_line_usage_errors() {
    ptool(["--bogus"]).usage_error();
    ptool(["ls", "--bogus"]).usage_error();
    ptool(["nosuchcommand"]).usage_error();
}

#[test]
fn no_subcommand_shows_help_and_exits_2() {
    let out = ptool(Vec::<&str>::new());
    out.expect_code(2);
    assert!(out.stderr.contains("Usage"));
}

/// `ptool ARGS` started with descriptor `fd` closed, as a careless parent
/// or `>&-` leaves it.
fn with_closed(fd: i32, args: &[&str]) -> Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = ptool_cmd(args);
    // SAFETY: close is async-signal-safe; stderr's pipe is descriptor 2,
    // so it is still captured.
    unsafe {
        cmd.pre_exec(move || {
            libc::close(fd);
            Ok(())
        });
    }
    run(cmd, None, BOUND)
}

#[test]
fn closed_standard_descriptors_are_reopened_on_dev_null() {
    let dir = TempDir::new("closed-stdio");
    let joblog = dir.path("joblog");
    // The job log ptool opens must not land on descriptor 1, or the jobs'
    // output would end up in it.
    let out = with_closed(
        1,
        &[
            "fork",
            "--joblog",
            joblog.to_str().unwrap(),
            "--",
            "printf",
            "out-%s-put\\n",
            ":::",
            "a",
        ],
    );
    out.success();
    let logged = std::fs::read_to_string(&joblog).unwrap();
    assert_eq!(logged.lines().count(), 2, "{logged}");
    assert!(!logged.contains("out-a-put"), "{logged}");
    // A foreground command inherits a readable stdin, at end of file.
    let out = with_closed(0, &["spawn", "--wait", "--", "sh", "-c", "cat && exit 3"]);
    out.expect_code(3);
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn negative_durations_are_refused_as_durations() {
    for args in [
        &["ls", "--older", "-1s"][..],
        &["wait", "--timeout", "-5", "1"],
        &["kill", "--grace", "-1s", "1"],
        &["spawn", "--wait", "--timeout", "-2m", "--", "true"],
    ] {
        let out = ptool(args);
        out.usage_error();
        assert!(out.stderr.contains("cannot be negative"), "{out:#?}");
    }
}

#[test]
fn without_pidfds_every_command_falls_back_to_kill_and_proc() {
    // Where a seccomp filter refuses pidfd_open (EPERM), ptool uses kill(2)
    // after re-checking each process's start time, and polls /proc.
    let m = marker("no-pidfds");
    if ptool_without_pidfds_cmd(&[]).is_none() {
        cannot_run("seccomp filters are refused here");
        return;
    }
    let cmd = |args: &[&str]| ptool_without_pidfds_cmd(args).expect("filters work");
    let bare = |args: &[&str]| run(cmd(args), None, BOUND);
    let check = bare(&["spawn", "--wait", "--", "sh", "-c", "exit 3", &m]);
    check.expect_code(3);
    assert!(check.stderr.is_empty(), "{check:#?}");
    let out = bare(&["fork", "-k", "--", "echo", "{}", &m, ":::", "a", "b"]);
    out.success();
    assert_eq!(out.stdout, format!("a {m}\nb {m}\n"), "{out:#?}");

    let mut victim = Victim::start(&m, &[]);
    let pid = victim.pid().to_string();
    let out = bare(&["signal", "0", &pid]);
    out.success();
    assert!(out.stderr.is_empty(), "{out:#?}");
    let mut waiter = Background::start(cmd(&["wait", "-v", "--timeout", "20s", &pid]));
    victim.tell("exit 5");
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{err:?}");
    // The victim stays a zombie until collected below: polling /proc sees
    // that it ended and reads its status there.
    assert!(
        out[0].starts_with(&format!("{pid}\tptool-victim\t")),
        "{out:?}"
    );
    assert!(out[0].ends_with("\texited 5"), "{out:?}");
    // -v says which way it waits: the filter took effect.
    assert!(
        err.iter().any(|l| l.contains("by polling /proc")),
        "{err:?}"
    );
    assert_eq!(victim.wait().code(), Some(5));

    let victim = Victim::start(&m, &["--ignore", "TERM"]);
    let out = bare(&["kill", "-f", &m, "--grace", "300ms", "--json"]);
    out.success();
    let row = row(&out.json(), victim.pid());
    assert_eq!(row["outcome"], "killed", "{out:#?}");
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert!(victim.wait_gone(victim.pid()));
}
