//! `ptool kill` against victims: TERM then KILL after the grace period,
//! `--grace 0`, `--tree` (grandchildren too, even when they ignore TERM),
//! `--dry-run`, stopped targets, zombies, process groups, refusals,
//! permission denied, and a stale selection.

use std::os::unix::process::ExitStatusExt;
use std::sync::mpsc;
use std::time::Duration;

use ptool::testing::{Opener, Outcome, Plan, Protected, Reader, Signal, terminate};

use crate::support::*;

/// How far past the grace period a kill may end on a loaded machine.
const BOUND_AFTER_GRACE: Duration = Duration::from_secs(4);

/// Seconds in a report's `after` field.
fn after(r: &serde_json::Value) -> Duration {
    Duration::from_secs_f64(r["after"].as_f64().expect("after"))
}

#[test]
fn term_is_enough_for_a_willing_process() {
    let m = marker("kill-term");
    let mut v = Victim::start(&m, &[]);
    let out = ptool(["kill", "--json", &v.pid().to_string()]);
    out.success();
    let r = row(&out.json(), v.pid());
    assert_eq!(r["outcome"], "terminated");
    assert_eq!(r["signal"], "TERM");
    // Gone well within the 5 s default grace.
    assert!(after(&r) < Duration::from_secs(4), "{r}");
    assert_eq!(v.wait().signal(), Some(libc::SIGTERM));
}

#[test]
fn a_process_ignoring_term_is_killed_after_the_grace_period() {
    let m = marker("kill-grace");
    let mut v = Victim::start(&m, &["--ignore", "TERM"]);
    let grace = Duration::from_millis(300);
    let out = ptool(["kill", "--json", "--grace", "300ms", &v.pid().to_string()]);
    out.success();
    let r = row(&out.json(), v.pid());
    assert_eq!(r["outcome"], "killed");
    // After the grace period, and within it plus a bound for a loaded
    // machine (ptool's own clock, from the first signal to the exit).
    assert!(after(&r) >= grace, "{r}");
    assert!(after(&r) < grace + BOUND_AFTER_GRACE, "{r}");
    assert_eq!(v.wait().signal(), Some(libc::SIGKILL));

    let mut v = Victim::start(&m, &["--ignore", "TERM"]);
    let out = ptool(["kill", "-g", "200ms", &v.pid().to_string()]);
    out.success();
    assert!(
        out.stdout
            .contains("killed by SIGKILL after the grace period"),
        "{}",
        out.stdout
    );
    assert_eq!(v.wait().signal(), Some(libc::SIGKILL));
}

#[test]
fn grace_zero_sends_only_the_first_signal() {
    let m = marker("kill-nograce");
    let v = Victim::start(&m, &["--ignore", "TERM"]);
    let out = ptool(["kill", "--json", "--grace", "0", &v.pid().to_string()]);
    out.success();
    assert_eq!(row(&out.json(), v.pid())["outcome"], "signalled");
    // Still there, and still not a zombie: no KILL followed.
    ptool(["signal", "-q", "0", &v.pid().to_string()]).success();
    assert!(alive(v.pid()));

    let mut v = Victim::start(&m, &[]);
    let out = ptool(["kill", "-s", "INT", "--grace", "0", "-f", &m, "--newest"]);
    out.success();
    assert_eq!(v.wait().signal(), Some(libc::SIGINT));
}

#[test]
fn a_chosen_first_signal_is_sent_first() {
    let m = marker("kill-first");
    let mut v = Victim::start(&m, &["--ignore", "TERM"]);
    let out = ptool([
        "kill",
        "--json",
        "-s",
        "HUP",
        "--grace",
        "5s",
        &v.pid().to_string(),
    ]);
    out.success();
    let r = row(&out.json(), v.pid());
    assert_eq!(r["outcome"], "terminated");
    assert_eq!(r["signal"], "HUP");
    assert_eq!(v.wait().signal(), Some(libc::SIGHUP));
}

#[test]
fn tree_takes_grandchildren_too() {
    let m = marker("kill-tree");
    let v = Victim::start(&m, &["--kids", "a(x,x),b(y)"]);
    let family = v.pids();
    assert_eq!(family.len(), 6);
    let out = ptool([
        "kill",
        "--tree",
        "--json",
        "--grace",
        "5s",
        &v.pid().to_string(),
    ]);
    out.success();
    let report = out.json();
    assert_eq!(report.as_array().unwrap().len(), 6, "{report:#}");
    for &pid in &family {
        let r = row(&report, pid);
        assert_eq!(r["outcome"], "terminated", "{pid}");
        assert!(after(&r) < Duration::from_secs(4), "{r}");
        assert!(v.wait_gone(pid), "{pid} is still there");
    }
}

#[test]
fn tree_kills_a_family_that_ignores_term() {
    let m = marker("kill-tree-ignore");
    // Children inherit an ignored signal across fork and exec.
    let v = Victim::start(&m, &["--ignore", "TERM", "--kids", "a(x),b"]);
    let family = v.pids();
    let kid = v.family.kids[0].kids[0].pid;
    let out = ptool(["signal", "show", "--json", &kid.to_string()]);
    out.success();
    assert!(
        out.json()[0]["ignored"]
            .as_array()
            .unwrap()
            .contains(&"TERM".into())
    );

    let grace = Duration::from_millis(300);
    let out = ptool([
        "kill",
        "-t",
        "--json",
        "--grace",
        "300ms",
        &v.pid().to_string(),
    ]);
    out.success();
    let report = out.json();
    for &pid in &family {
        let r = row(&report, pid);
        assert_eq!(r["outcome"], "killed", "{pid}");
        assert!(after(&r) >= grace, "{r}");
        assert!(after(&r) < grace + BOUND_AFTER_GRACE, "{r}");
        assert!(v.wait_gone(pid), "{pid} is still there");
    }
}

/// The one-letter state of `pid` in `/proc/PID/stat`.
fn state(pid: i32) -> u8 {
    stat_fields(pid).1[0].as_bytes()[0]
}

#[test]
fn tree_leaves_nothing_stopped() {
    let m = marker("kill-tree-cont");
    let v = Victim::start(&m, &["--ignore", "TERM", "--kids", "a(x),b"]);
    let out = ptool([
        "kill",
        "--tree",
        "--json",
        "--grace",
        "0",
        &v.pid().to_string(),
    ]);
    out.success();
    let report = out.json();
    for pid in v.pids() {
        assert_eq!(row(&report, pid)["outcome"], "signalled");
        // SIGCONT resumes a process when it is sent, so this is settled.
        assert_ne!(state(pid), b'T', "{pid} was left stopped");
    }
}

#[test]
fn without_tree_the_children_are_left_alone() {
    let m = marker("kill-notree");
    let v = Victim::start(&m, &["--kids", "a,b"]);
    let out = ptool(["kill", "--grace", "5s", &v.pid().to_string()]);
    out.success();
    assert!(v.wait_gone(v.pid()));
    for kid in &v.family.kids {
        assert!(alive(kid.pid), "{} was killed", kid.pid);
    }
}

#[test]
fn dry_run_signals_nothing() {
    let m = marker("kill-dry");
    let v = Victim::start(&m, &["--kids", "a(x)"]);
    let out = ptool([
        "kill",
        "--tree",
        "--dry-run",
        "--json",
        &v.pid().to_string(),
    ]);
    out.success();
    let report = out.json();
    let mut listed: Vec<i32> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert_eq!(r["outcome"], "would_signal");
            r["pid"].as_i64().unwrap() as i32
        })
        .collect();
    listed.sort_unstable();
    let mut family = v.pids();
    family.sort_unstable();
    assert_eq!(listed, family);
    let out = ptool(["kill", "--dry-run", "-f", &m]);
    out.success();
    assert!(out.stdout.contains("would send SIGTERM"));
    for pid in v.pids() {
        assert!(alive(pid), "{pid} was hit by a dry run");
    }
    // Every family member still answers signal 0.
    let mut args = vec!["signal".to_string(), "0".to_string()];
    args.extend(v.pids().iter().map(|p| p.to_string()));
    ptool(&args).success();
}

#[test]
fn nothing_matched_exits_1() {
    let out = ptool(["kill", "-f", &marker("kill-nobody")]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let out = ptool(["kill", "--json", "-f", &marker("kill-nobody")]);
    out.expect_code(1);
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn zombies_and_vanished_pids() {
    let m = marker("kill-zombie");
    let v = Victim::start(&m, &["--zombie"]);
    let zombie = v.family.zombie.unwrap();
    assert!(wait_fd(&pidfd(zombie).unwrap(), BOUND));
    let out = ptool(["kill", "--json", &zombie.to_string()]);
    out.success();
    assert_eq!(row(&out.json(), zombie)["outcome"], "already_gone");
    assert!(alive(v.pid()));

    let mut gone = Victim::start(&m, &["--exit", "0"]);
    let gone_pid = gone.pid();
    gone.wait();
    let out = ptool(["kill", "--json", &gone_pid.to_string()]);
    out.expect_code(1);
    assert_eq!(row(&out.json(), gone_pid)["outcome"], "no_such_process");
    // A typo next to a real target: that one is ended, the report says
    // which failed, and the exit says something did.
    let mut live = Victim::start(&m, &[]);
    let out = ptool(["kill", &live.pid().to_string(), &gone_pid.to_string()]);
    out.expect_code(3);
    assert!(out.stdout.contains(&format!("{gone_pid}\tno such process")));
    assert_eq!(live.wait().signal(), Some(libc::SIGTERM));
}

/// Block (bounded) until the child `pid` of this process reports the state
/// change `what` (stopped or continued), leaving it to be waited for again.
fn wait_for(pid: i32, what: nix::sys::wait::WaitPidFlag) {
    use nix::sys::wait::{Id, WaitPidFlag, waitid};
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = waitid(
            Id::Pid(nix::unistd::Pid::from_raw(pid)),
            what | WaitPidFlag::WNOWAIT,
        );
        let _ = tx.send(r.is_ok());
    });
    assert_eq!(rx.recv_timeout(BOUND), Ok(true), "{pid}: no {what:?}");
}

#[test]
fn a_stopped_process_is_continued_so_that_it_can_act_on_the_signal() {
    use nix::sys::wait::WaitPidFlag;
    let m = marker("kill-stopped");
    // (A stopped process whose TERM is not handled dies at once anyway; one
    // that handles or ignores it must be continued to act.)
    let v = Victim::start(&m, &["--ignore", "TERM"]);
    ptool(["signal", "-q", "STOP", &v.pid().to_string()]).success();
    wait_for(v.pid(), WaitPidFlag::WSTOPPED);
    let out = ptool(["kill", "--json", "--grace", "0", &v.pid().to_string()]);
    out.success();
    assert_eq!(row(&out.json(), v.pid())["outcome"], "signalled");
    wait_for(v.pid(), WaitPidFlag::WCONTINUED);
    assert!(alive(v.pid()));
}

#[test]
fn a_process_group_needs_force_and_is_signalled_member_by_member() {
    let m = marker("kill-group");
    // Victims lead their own process group; children stay in it.
    let v = Victim::start(&m, &["--kids", "a,b"]);
    let group = format!("-{}", v.pid());
    let out = ptool(["kill", "--", &group]);
    out.usage_error();
    assert!(out.stderr.contains("--pgid"), "{}", out.stderr);
    let out = ptool(["kill", "--force", "--json", "--grace", "5s", "--", &group]);
    out.success();
    let report = out.json();
    for pid in v.pids() {
        assert_eq!(row(&report, pid)["outcome"], "terminated");
        assert!(v.wait_gone(pid));
    }
}

#[test]
fn refusals_are_one_line_usage_errors() {
    let m = marker("kill-refuse");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["kill", "99999999999"]);
    out.usage_error();
    assert!(out.stderr.contains("out of range"));
    let out = ptool(["kill", "-s", "99", "5"]);
    out.usage_error();
    assert!(out.stderr.contains("no such signal 99"), "{}", out.stderr);
    let out = ptool(["kill", "-s", "TREM", &pid]);
    out.usage_error();
    assert!(out.stderr.contains("did you mean TERM?"));
    let out = ptool(["kill", "-s", "0", &pid]);
    out.usage_error();
    assert!(out.stderr.contains("ptool signal 0"));
    ptool(["kill", "--grace", "5x", &pid]).usage_error();
    ptool(["kill", "1"]).usage_error();
    ptool(["kill", "0"]).usage_error();
    ptool(["kill", "--force", "--", "-1"]).usage_error();
    ptool(["kill", &std::process::id().to_string()]).usage_error();
    ptool(["kill"]).usage_error();
    ptool(["kill", "--newest"]).usage_error();
    // `kill -9 PID` habits: -9 is a process group here, and ptool says how
    // to send signal 9 instead.
    let out = ptool(["kill", "-9", &pid]);
    out.usage_error();
    assert!(out.stderr.contains("use -s 9"), "{}", out.stderr);
    assert!(alive(v.pid()));
}

#[test]
fn permission_denied_leaves_the_process_alone() {
    let m = marker("kill-denied");
    let v = Victim::start(&m, &[]);
    let Some(out) = as_nobody(&["kill", "--json", "--grace", "200ms", &v.pid().to_string()]) else {
        return;
    };
    out.expect_code(3);
    assert_eq!(row(&out.json(), v.pid())["outcome"], "permission_denied");
    assert!(alive(v.pid()));
}

#[test]
fn quiet_prints_nothing_and_the_exit_code_answers() {
    let m = marker("kill-quiet");
    let mut v = Victim::start(&m, &[]);
    let out = ptool(["kill", "-q", "-f", &m]);
    out.success();
    assert_eq!(out.stdout, "");
    assert_eq!(v.wait().signal(), Some(libc::SIGTERM));
}

#[test]
fn a_stale_selection_never_hits_the_new_owner_of_the_pid() {
    let m = marker("kill-stale");
    let plan = Plan {
        signal: Signal::TERM,
        grace: Duration::from_millis(200),
        tree: false,
    };
    let mut reader = Reader::new().unwrap();
    let protected = Protected::current(&mut reader);
    let impostor = Victim::start(&m, &[]);
    let mut stale = target_of(impostor.pid());
    stale.start_ticks += 1;
    for mut opener in [Opener::new(), Opener::without_pidfds()] {
        let rows = terminate(
            &plan,
            vec![stale.clone()],
            None,
            &mut opener,
            &mut reader,
            &protected,
        )
        .unwrap();
        assert_eq!(rows[0].outcome, Outcome::AlreadyGone);
        assert!(alive(impostor.pid()), "the impostor was hit");
    }
    // With the true start time, both paths do end it.
    for mut opener in [Opener::new(), Opener::without_pidfds()] {
        let mut v = Victim::start(&m, &["--ignore", "TERM"]);
        let rows = terminate(
            &plan,
            vec![target_of(v.pid())],
            None,
            &mut opener,
            &mut reader,
            &protected,
        )
        .unwrap();
        assert_eq!(rows[0].outcome, Outcome::Killed);
        assert_eq!(v.wait().signal(), Some(libc::SIGKILL));
    }
    // A real reuse, where PIDs can be steered.
    match reused_pid(&m) {
        Some((selected, second)) => {
            let rows = terminate(
                &plan,
                vec![selected],
                None,
                &mut Opener::new(),
                &mut reader,
                &protected,
            )
            .unwrap();
            assert_eq!(rows[0].outcome, Outcome::AlreadyGone);
            assert!(alive(second.pid()), "the new owner of the PID was hit");
        }
        None => eprintln!("skipped the real PID reuse: another process took the PID first"),
    }
}

#[test]
fn running_out_of_descriptors_is_reported_not_hidden() {
    let m = marker("kill-nofile");
    let kids = vec!["_"; 29].join(",");
    let v = Victim::start(&m, &["--kids", &kids]);
    assert_eq!(v.pids().len(), 30);
    // Too few descriptors for 30 targets: some cannot even be pinned.
    let script = format!(
        "ulimit -n 32 && exec {} kill --json --grace 5s -f '{m}'",
        ptool_path()
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c").arg(&script);
    let out = run(cmd, None, BOUND);
    out.expect_code(3);
    let report = out.json();
    let (mut ended, mut failed) = (0, 0);
    for pid in v.pids() {
        let r = row(&report, pid);
        match r["outcome"].as_str().unwrap() {
            "terminated" => {
                ended += 1;
                assert!(v.wait_gone(pid), "{pid} is still there");
            }
            "failed" => {
                failed += 1;
                assert!(r["error"].as_str().unwrap().contains("too many open files"));
                assert!(alive(pid), "{pid} was reported failed but hit");
            }
            other => panic!("{pid}: {other}"),
        }
    }
    assert!(ended > 0 && failed > 0, "{ended} ended, {failed} failed");
}
