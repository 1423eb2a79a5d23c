//! `ptool signal` against victims: delivery, the liveness check, the signal
//! list, dispositions (with `/proc/PID/status` as the oracle), refusals,
//! permission denied, and a stale selection that must not hit a new process.

use std::os::unix::process::ExitStatusExt;
use std::process::Command;

use serde_json::Value;

use ptool::testing::{Opener, Outcome, Reader, Signal};

use crate::support::*;

#[test]
fn delivers_a_signal_and_reports_it() {
    let m = marker("sig-deliver");
    let mut v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["signal", "HUP", &pid]);
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("PID\tRESULT\tCOMMAND"));
    let line = lines.next().unwrap();
    assert!(line.starts_with(&format!("{pid}\tsent SIGHUP\t")), "{line}");
    assert!(line.ends_with(&m), "{line}");
    assert_eq!(v.wait().signal(), Some(libc::SIGHUP));
}

#[test]
fn real_time_signals_and_numbers_reach_the_process() {
    let m = marker("sig-rt");
    let mut v = Victim::start(&m, &[]);
    let out = ptool(["signal", "--json", "RTMIN+2", &v.pid().to_string()]);
    out.success();
    let r = row(&out.json(), v.pid());
    assert_eq!(r["outcome"], "delivered");
    assert_eq!(r["signal"], "RTMIN+2");
    assert_eq!(v.wait().signal(), Some(libc::SIGRTMIN() + 2));

    let mut v = Victim::start(&m, &[]);
    ptool(["signal", "-q", "12", &v.pid().to_string()]).success();
    assert_eq!(v.wait().signal(), Some(libc::SIGUSR2));
}

#[test]
fn pattern_selection_signals_every_match_and_nothing_else() {
    let m = marker("sig-pattern");
    let mut a = Victim::start(&m, &["--name", "sigpat-a"]);
    let mut b = Victim::start(&m, &["--name", "sigpat-b"]);
    let other = Victim::start(&marker("sig-bystander"), &["--name", "sigpat-a"]);
    let out = ptool(["signal", "--json", "TERM", "-f", &m]);
    out.success();
    let report = out.json();
    assert_eq!(report.as_array().unwrap().len(), 2, "{report:#}");
    assert_eq!(row(&report, a.pid())["outcome"], "delivered");
    assert_eq!(a.wait().signal(), Some(libc::SIGTERM));
    assert_eq!(b.wait().signal(), Some(libc::SIGTERM));
    assert!(alive(other.pid()));
}

#[test]
fn nothing_matched_exits_1() {
    let out = ptool(["signal", "TERM", "-f", &marker("sig-nobody")]);
    out.expect_code(1);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "");
    let out = ptool(["signal", "--json", "TERM", "-f", &marker("sig-nobody")]);
    out.expect_code(1);
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn signal_0_checks_live_zombie_and_gone() {
    let m = marker("sig-zero");
    let live = Victim::start(&m, &["--zombie"]);
    let zombie = live.family.zombie.expect("zombie pid");
    // The zombie has exited once its pidfd is readable.
    let fd = pidfd(zombie).expect("zombie pidfd");
    assert!(wait_fd(&fd, BOUND));
    let mut gone = Victim::start(&m, &["--exit", "0"]);
    let gone_pid = gone.pid();
    assert_eq!(gone.wait().code(), Some(0));

    let out = ptool(["signal", "0", &live.pid().to_string()]);
    out.success();
    assert!(out.stdout.contains("\talive\t"), "{}", out.stdout);

    let out = ptool(["signal", "--json", "0", &zombie.to_string()]);
    out.success();
    assert_eq!(row(&out.json(), zombie)["outcome"], "zombie");

    let out = ptool(["signal", "--json", "0", &gone_pid.to_string()]);
    out.expect_code(1);
    assert_eq!(row(&out.json(), gone_pid)["outcome"], "no_such_process");

    let out = ptool([
        "signal",
        "--json",
        "0",
        &live.pid().to_string(),
        &zombie.to_string(),
        &gone_pid.to_string(),
    ]);
    out.expect_code(1);
    let report = out.json();
    assert_eq!(row(&report, live.pid())["outcome"], "alive");
    assert_eq!(row(&report, zombie)["outcome"], "zombie");
    assert_eq!(row(&report, gone_pid)["outcome"], "no_such_process");
    // -q: the exit code is the whole answer
    let out = ptool(["signal", "-q", "0", &live.pid().to_string()]);
    out.success();
    assert_eq!(out.stdout, "");
    assert!(alive(live.pid()));
}

#[test]
fn missing_pid_next_to_a_live_one_is_a_partial_failure() {
    let m = marker("sig-partial");
    let mut v = Victim::start(&m, &[]);
    let mut gone = Victim::start(&m, &["--exit", "0"]);
    let gone_pid = gone.pid();
    gone.wait();
    let out = ptool([
        "signal",
        "USR1",
        &v.pid().to_string(),
        &gone_pid.to_string(),
    ]);
    out.expect_code(3);
    assert!(out.stdout.contains(&format!("{gone_pid}\tno such process")));
    assert_eq!(v.wait().signal(), Some(libc::SIGUSR1));
}

#[test]
fn list_describes_every_signal() {
    let out = ptool(["signal", "list", "--json"]);
    out.success();
    let list = out.json();
    let list = list.as_array().unwrap();
    let realtime = (libc::SIGRTMAX() - libc::SIGRTMIN() + 1) as usize;
    assert_eq!(list.len(), 31 + realtime);
    let term = &list[14];
    assert_eq!(term["number"], 15);
    assert_eq!(term["name"], "TERM");
    assert_eq!(term["action"], "terminate");
    assert!(term["meaning"].as_str().unwrap().contains("terminate"));
    for (name, action) in [
        ("QUIT", "core"),
        ("STOP", "stop"),
        ("CONT", "continue"),
        ("WINCH", "ignore"),
    ] {
        let entry = list.iter().find(|s| s["name"] == name).unwrap();
        assert_eq!(entry["action"], action, "{name}");
    }
    let out = ptool(["signal", "list"]);
    out.success();
    assert!(
        out.stdout
            .starts_with("NUM\tNAME\tDEFAULT\tMEANING\n1\tHUP\tterminate\t")
    );
}

/// The signal numbers set in a hex mask of `/proc/PID/status`.
fn mask(pid: i32, key: &str) -> Vec<i32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{key}:")))
        .unwrap();
    let bits = u64::from_str_radix(line[key.len() + 1..].trim(), 16).unwrap();
    (1..=64).filter(|n| bits & (1u64 << (n - 1)) != 0).collect()
}

fn numbers(names: &Value) -> Vec<i32> {
    names
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            let n = n.as_str().unwrap();
            n.parse::<i32>()
                .unwrap_or_else(|_| n.parse::<Signal>().unwrap().number())
        })
        .collect()
}

#[test]
fn dispositions_show_ignored_caught_blocked_and_pending_exactly() {
    let m = marker("sig-show");
    let v = Victim::start(
        &m,
        &["--ignore", "TERM,HUP", "--catch", "USR2", "--block", "INT"],
    );
    let plain = Victim::start(&m, &[]);
    let pid = v.pid();
    // A blocked signal stays pending.
    ptool(["signal", "-q", "INT", &pid.to_string()]).success();

    let out = ptool([
        "signal",
        "show",
        "--json",
        &pid.to_string(),
        &plain.pid().to_string(),
    ]);
    out.success();
    let report = out.json();
    let r = row(&report, pid);
    // Exactly what the kernel says (the oracle decodes the masks itself).
    assert_eq!(numbers(&r["ignored"]), mask(pid, "SigIgn"));
    assert_eq!(numbers(&r["caught"]), mask(pid, "SigCgt"));
    assert_eq!(numbers(&r["blocked"]), mask(pid, "SigBlk"));
    let mut pending = mask(pid, "SigPnd");
    pending.extend(mask(pid, "ShdPnd"));
    pending.sort_unstable();
    pending.dedup();
    assert_eq!(numbers(&r["pending"]), pending);
    // ... and what the victim was told to do.
    let names = |key: &str| -> Vec<String> {
        r[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    assert!(names("ignored").contains(&"TERM".to_string()));
    assert!(names("ignored").contains(&"HUP".to_string()));
    assert!(names("caught").contains(&"USR2".to_string()));
    assert_eq!(names("blocked"), ["INT"]);
    assert_eq!(names("pending"), ["INT"]);
    let p = row(&report, plain.pid());
    assert!(
        !p["ignored"]
            .as_array()
            .unwrap()
            .contains(&Value::from("TERM"))
    );
    assert!(
        !p["caught"]
            .as_array()
            .unwrap()
            .contains(&Value::from("USR2"))
    );
    assert!(alive(pid));

    let out = ptool(["signal", "show", "-f", &m, "-n", "ptool-victim"]);
    out.success();
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with(&format!("{pid}\t")))
        .unwrap();
    let cells: Vec<&str> = line.split('\t').collect();
    assert_eq!(cells[1], "INT");
    assert!(cells[2].split(',').any(|s| s == "TERM"), "{line}");
    assert!(cells[3].split(',').any(|s| s == "USR2"), "{line}");
    assert_eq!(cells[4], "INT");
    assert!(cells[5].contains(&m));
}

#[test]
fn bad_input_is_refused_before_anything_is_signalled() {
    let m = marker("sig-refuse");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["signal", "TREM", &pid]);
    out.usage_error();
    assert!(out.stderr.contains("did you mean TERM?"), "{}", out.stderr);
    ptool(["signal", "99", &pid]).usage_error();
    ptool(["signal", "TERM", "5x"]).usage_error();
    let out = ptool(["signal", "TERM", "99999999999"]);
    out.usage_error();
    assert!(out.stderr.contains("out of range"));
    // 0 and -1 are refused even with --force, next to a real target.
    for bad in ["0", "-1"] {
        let out = ptool(["signal", "--force", "TERM", &pid, bad]);
        out.usage_error();
        assert!(out.stderr.contains(&format!("PID {bad} is not a process")));
    }
    let out = ptool(["signal", "TERM", &pid, "--", &format!("-{pid}")]);
    out.usage_error();
    assert!(out.stderr.contains("--pgid"), "{}", out.stderr);
    let out = ptool(["signal", "TERM", "1"]);
    out.usage_error();
    assert!(out.stderr.contains("PID 1"));
    // This test process is ptool's parent: an ancestor.
    let me = std::process::id().to_string();
    let out = ptool(["signal", "TERM", &me]);
    out.usage_error();
    assert!(out.stderr.contains("ancestor"), "{}", out.stderr);
    // No targets at all never means "everything".
    ptool(["signal", "TERM"]).usage_error();
    ptool(["signal"]).usage_error();
    assert!(alive(v.pid()));
}

#[test]
fn force_allows_init_and_ancestors_but_never_ptool_itself() {
    // Signal 0 and --dry-run deliver nothing, so these are harmless.
    let me = std::process::id();
    let out = ptool(["signal", "--force", "--json", "0", &me.to_string()]);
    out.success();
    assert_eq!(row(&out.json(), me as i32)["outcome"], "alive");
    let out = ptool(["signal", "--force", "--dry-run", "--json", "TERM", "1"]);
    out.success();
    assert_eq!(row(&out.json(), 1)["outcome"], "would_signal");
    // `exec` keeps the shell's PID: ptool is then asked to signal itself.
    let cmd = format!("exec {} signal --force 0 $$", ptool_path());
    let out = run(ptool_sh(&cmd), None, BOUND);
    out.usage_error();
    assert!(out.stderr.contains("ptool itself"), "{}", out.stderr);
}

fn ptool_sh(script: &str) -> Command {
    init();
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(script).env("LC_ALL", "C.UTF-8");
    cmd
}

#[test]
fn a_pattern_never_hits_ptools_own_shell() {
    let m = marker("sig-shell");
    let mut v = Victim::start(&m, &[]);
    // The shell's command line contains the marker too.
    let script = format!(
        "{} signal TERM -f '{m}'; echo \"shell survived $?\"",
        ptool_path()
    );
    let out = run(ptool_sh(&script), None, BOUND);
    out.success();
    assert!(out.stdout.ends_with("shell survived 0\n"), "{}", out.stdout);
    assert_eq!(out.stdout.lines().count(), 3, "{}", out.stdout);
    assert_eq!(v.wait().signal(), Some(libc::SIGTERM));
}

#[test]
fn permission_denied_is_reported_per_process() {
    let m = marker("sig-denied");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let Some(out) = as_nobody(&["signal", "--json", "TERM", &pid]) else {
        return;
    };
    out.expect_code(3);
    assert_eq!(row(&out.json(), v.pid())["outcome"], "permission_denied");
    assert!(alive(v.pid()));
    // The existence check still says it exists, as os.kill(pid, 0) would.
    let out = as_nobody(&["signal", "--json", "0", &pid]).expect("ran before");
    out.success();
    let r = row(&out.json(), v.pid());
    assert_eq!(r["outcome"], "alive");
    assert_eq!(r["error"], "not permitted to signal it");
}

#[test]
fn a_stale_selection_never_hits_the_new_owner_of_the_pid() {
    let m = marker("sig-stale");
    // A live process whose start time is not the recorded one: exactly what
    // a PID reused since the selection looks like.
    let impostor = Victim::start(&m, &[]);
    let mut stale = target_of(impostor.pid());
    stale.start_ticks -= 1;
    let mut reader = Reader::new().unwrap();
    for mut opener in [Opener::new(), Opener::without_pidfds()] {
        let rows =
            ptool::testing::deliver(Signal::TERM, &[stale.clone()], &mut opener, &mut reader);
        assert_eq!(rows[0].outcome, Outcome::NoSuchProcess);
        assert!(alive(impostor.pid()), "the impostor was hit");
    }
    // The same delivery with the true start time does reach it, through
    // either path, so the check above is what protected it.
    for mut opener in [Opener::new(), Opener::without_pidfds()] {
        let mut v = Victim::start(&m, &[]);
        let rows = ptool::testing::deliver(
            Signal::USR1,
            &[target_of(v.pid())],
            &mut opener,
            &mut reader,
        );
        assert_eq!(rows[0].outcome, Outcome::Delivered);
        assert_eq!(v.wait().signal(), Some(libc::SIGUSR1));
    }

    // A real reuse where the kernel lets us steer PIDs.
    match reused_pid(&m) {
        Some((selected, second)) => {
            let rows =
                ptool::testing::deliver(Signal::TERM, &[selected], &mut Opener::new(), &mut reader);
            assert_eq!(rows[0].outcome, Outcome::NoSuchProcess);
            assert!(alive(second.pid()), "the new owner of the PID was hit");
        }
        None => eprintln!("skipped the real PID reuse: another process took the PID first"),
    }
}
