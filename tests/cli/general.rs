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

    // set acts by number on every thread, then checks the pin again
    // through /proc instead of a pidfd.
    let threaded = Victim::start(&m, &["--threads", "2"]);
    let tpid = threaded.pid();
    let out = bare(&["set", "--json", "--nice", "4", &tpid.to_string()]);
    out.expect_code(0);
    assert!(
        out.stderr.lines().all(|l| l.starts_with("ptool: note: ")),
        "{out:#?}"
    );
    let report = row(&out.json(), tpid);
    assert_eq!(report["result"], "done", "{out:#?}");
    assert_eq!(report["threads"], 3, "{out:#?}");
    let tasks = std::fs::read_dir(format!("/proc/{tpid}/task")).expect("task dir");
    for task in tasks {
        let stat = std::fs::read_to_string(task.expect("entry").path().join("stat")).expect("stat");
        let after = &stat[stat.rfind(')').expect(")") + 2..];
        assert_eq!(after.split_whitespace().nth(19 - 3), Some("4"), "{stat}");
    }
    drop(threaded);

    let victim = Victim::start(&m, &["--ignore", "TERM"]);
    let out = bare(&["kill", "-f", &m, "--grace", "300ms", "--json"]);
    out.success();
    let row = row(&out.json(), victim.pid());
    assert_eq!(row["outcome"], "killed", "{out:#?}");
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert!(victim.wait_gone(victim.pid()));
}

/// Every duration flag takes any duration its parser accepts: a deadline
/// beyond the clock's range is "never", not a panic (`Instant + Duration`
/// overflowed in every one of these before).
#[test]
fn huge_durations_are_never_not_a_panic() {
    const HUGE: &str = "500000000000y";
    let never = NEVER_A_PID.to_string();
    let m = marker("huge-durations");
    let dir = TempDir::new("huge-durations");
    let lock = dir.path("lock").to_str().unwrap().to_string();
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["spawn", "--wait", "-t", HUGE, "--", "true"], 0),
        // TERM at 10ms ends sleep; KILL would come "never".
        (
            vec![
                "spawn", "--wait", "-t", "10ms", "-k", HUGE, "--", "sleep", "5",
            ],
            124,
        ),
        (vec!["wait", "--timeout", HUGE, &never], 1),
        (vec!["wait", "--status-wait", HUGE, &never], 1),
        (vec!["fork", "--timeout", HUGE, "echo", ":::", "a"], 0),
        // The job's TERM at 10ms ends it; one job failed.
        (
            vec![
                "fork",
                "--timeout",
                "10ms",
                "--grace",
                HUGE,
                "sleep",
                ":::",
                "5",
            ],
            1,
        ),
        (vec!["ls", "--older", HUGE, "-f", &m], 1),
        (vec!["ls", "--younger", HUGE, "--pids", "-f", &m], 0),
        (vec!["kill", "--dry-run", "--grace", HUGE, &pid], 0),
        (vec!["lock", "--timeout", HUGE, &lock, "--", "true"], 0),
        // Last: ends the victim, which leaves on TERM.
        (vec!["kill", "--grace", HUGE, &pid], 0),
    ];
    for (args, code) in cases {
        let out = ptool(&args);
        assert!(!out.stderr.contains("panic"), "{args:?}: {}", out.stderr);
        out.expect_code(code);
    }
    assert!(v.wait_gone(v.pid()), "kill --grace {HUGE} ended the victim");
}

/// `--timeout 0` is no time at all everywhere: `wait` looks once and gives
/// up (124, at once), `spawn --wait` and `fork` refuse it as a usage error,
/// before starting anything.
#[test]
fn timeout_zero_is_no_time_everywhere() {
    let m = marker("timeout-zero");
    let v = Victim::start(&m, &[]);
    let started = std::time::Instant::now();
    let out = ptool(["wait", "--timeout", "0", &v.pid().to_string()]);
    out.expect_code(124);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
    assert!(alive(v.pid()), "the victim is untouched");
    // fork's usage errors exit 255, a code no count of failed jobs can be.
    for (args, code) in [
        (vec!["spawn", "--wait", "--timeout", "0", "--", "true"], 2),
        (vec!["fork", "--timeout", "0", "true", ":::", "a"], 255),
    ] {
        let out = ptool(&args);
        out.expect_code(code);
        assert!(
            out.stderr.contains("--timeout 0 would stop"),
            "{args:?}: {}",
            out.stderr
        );
    }
}

/// Whatever ptool writes is sanitized: clap's usage errors quote the user's
/// argument, which may hold CR, C1 controls (CSI is one) and bidi
/// overrides; none reaches stderr raw. JSON escapes them as `\u`.
#[test]
fn usage_errors_and_json_escape_hostile_text() {
    let hostile = "x\r\u{9b}31m\u{202e}\u{7f}y";
    let raw = |text: &str| {
        text.chars().any(|c| {
            c == '\r' || c == '\u{7f}' || ('\u{80}'..='\u{9f}').contains(&c) || c == '\u{202e}'
        })
    };
    for args in [
        vec!["ls", "-o", hostile],
        vec!["ls", "--sort", hostile],
        vec!["kill", "-s", hostile, "1"],
        vec!["wait", "--timeout", hostile, "1"],
        vec!["ls", "--state", hostile],
        vec!["spawn", "--nice", hostile, "--", "true"],
        vec!["ls", &format!("--{hostile}")],
    ] {
        let out = ptool(&args);
        out.usage_error();
        assert!(!raw(&out.stderr), "{args:?}: {:?}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {:?}", out.stderr);
    }
    // JSON: a victim named with them.
    let m = marker("json-hostile");
    let v = Victim::start(&m, &["--name", "a\u{9b}\u{202e}\u{7f}b"]);
    let out = ptool(["ls", "--json", "-o", "pid,name", &v.pid().to_string()]);
    out.success();
    assert!(!raw(&out.stdout), "{:?}", out.stdout);
    assert!(
        out.stdout.contains(r"a\u009b\u202e\u007fb"),
        "{}",
        out.stdout
    );
    assert_eq!(out.json()[0]["name"], "a\u{9b}\u{202e}\u{7f}b");
}
