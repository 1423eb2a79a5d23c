//! `ptool set`: every thread of a real multi-threaded victim changes
//! (niceness in `/proc/PID/task/TID/stat` field 19, `Cpus_allowed_list`,
//! the policy in field 41), limits show in `/proc/PID/limits`, relative
//! niceness, `--dry-run`, the unprivileged refusals, and targets that end
//! before or while they are changed. `renice`, `taskset`, `chrt`, `ionice`
//! and `prlimit` read the results back where they are installed.

use std::path::Path;
use std::process::Command;

use crate::support::*;

/// The thread IDs of `pid`.
fn tids(pid: i32) -> Vec<i32> {
    let mut out: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task dir")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    out.sort_unstable();
    out
}

/// Field `n` of `/proc/PID/task/TID/stat` (counted as in proc_pid_stat(5)).
fn thread_field(pid: i32, tid: i32, n: usize) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).expect("thread stat");
    let close = raw.iter().rposition(|&b| b == b')').expect(")");
    let rest = String::from_utf8_lossy(&raw[close + 2..]).into_owned();
    rest.split_whitespace()
        .nth(n - 3)
        .expect("field")
        .to_string()
}

fn nice_of(pid: i32, tid: i32) -> i32 {
    thread_field(pid, tid, 19).parse().expect("nice")
}

fn cpus_of(pid: i32, tid: i32) -> String {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).expect("thread status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list")
        .trim()
        .to_string()
}

fn online_cpus() -> usize {
    let text = std::fs::read_to_string("/sys/devices/system/cpu/online").expect("online");
    ptool::testing::parse_cpus(&text).expect("list").len()
}

/// The output of a peer tool, or `None` (skipped) when it is missing.
fn peer(tool: &str, args: &[&str]) -> Option<String> {
    match Command::new(tool).args(args).output() {
        Ok(out) => {
            assert!(out.status.success(), "{tool} {args:?}: {out:?}");
            Some(String::from_utf8_lossy(&out.stdout).into_owned())
        }
        Err(e) => {
            cannot_run(&format!("{tool} is not installed ({e})"));
            None
        }
    }
}

fn setting<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["settings"]
        .as_array()
        .expect("settings")
        .iter()
        .find(|s| s["setting"] == name)
        .unwrap_or_else(|| panic!("no {name} in {report:#}"))
}

#[test]
fn every_thread_changes_and_is_read_back() {
    let m = marker("set-all");
    let v = Victim::start(&m, &["--threads", "3"]);
    let pid = v.pid();
    let threads = tids(pid);
    assert_eq!(threads.len(), 4);
    let two_cpus = online_cpus() >= 2;
    let mut args = vec![
        "set", "--json", "--nice", "7", "--sched", "batch", "--io", "idle",
    ];
    if two_cpus {
        args.extend(["--cpus", "0"]);
    }
    let pid_s = pid.to_string();
    args.push(&pid_s);
    let out = ptool(&args);
    out.expect_code(0);
    let report = out.json();
    let row = row(&report, pid);
    assert_eq!(row["result"], "done", "{report:#}");
    assert_eq!(row["threads"], 4);
    for name in ["nice", "sched", "io"] {
        let s = setting(&row, name);
        assert_eq!(s["changed"], 4, "{s}");
        assert_eq!(s["result"], "changed");
    }
    assert_eq!(setting(&row, "nice")["old"], serde_json::json!(["0"]));
    assert_eq!(setting(&row, "nice")["new"], serde_json::json!(["7"]));
    assert_eq!(setting(&row, "sched")["new"], serde_json::json!(["batch"]));
    for &tid in &threads {
        assert_eq!(nice_of(pid, tid), 7, "thread {tid}");
        // Field 41: the policy; SCHED_BATCH is 3.
        assert_eq!(thread_field(pid, tid, 41), "3", "thread {tid}");
        if two_cpus {
            assert_eq!(cpus_of(pid, tid), "0", "thread {tid}");
        }
    }
    // The tools ptool replaces see the same, thread by thread.
    let last = threads.last().expect("a thread").to_string();
    if let Some(text) = peer("chrt", &["-p", &last]) {
        assert!(text.contains("SCHED_BATCH"), "{text}");
    }
    if let Some(text) = peer("ionice", &["-p", &last]) {
        assert_eq!(text.trim(), "idle");
    }
    if two_cpus && let Some(text) = peer("taskset", &["-a", "-c", "-p", &pid_s]) {
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(text.lines().all(|l| l.ends_with(": 0")), "{text}");
    }
    // Again: nothing left to change.
    let out = ptool(["set", "--json", "--nice", "7", &pid_s]);
    out.expect_code(0);
    assert_eq!(setting(&row_of(&out, pid), "nice")["result"], "unchanged");
}

fn row_of(out: &Output, pid: i32) -> serde_json::Value {
    row(&out.json(), pid)
}

#[test]
fn renice_changes_one_thread_and_set_all_of_them() {
    let m = marker("set-renice");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid();
    let pid_s = pid.to_string();
    let Some(_) = peer("renice", &["-n", "4", "-p", &pid_s]) else {
        return;
    };
    let threads = tids(pid);
    let nices: Vec<i32> = threads.iter().map(|&t| nice_of(pid, t)).collect();
    assert_eq!(nices, [4, 0, 0], "renice -p changes only the main thread");
    let out = ptool(["set", "--json", "--nice", "4", &pid_s]);
    out.expect_code(0);
    let row = row_of(&out, pid);
    let nice = setting(&row, "nice");
    // Old values differ: each distinct one once, the most common first.
    assert_eq!(nice["old"], serde_json::json!(["0", "4"]));
    assert_eq!(nice["new"], serde_json::json!(["4"]));
    assert_eq!(
        (nice["threads"].as_i64(), nice["changed"].as_i64()),
        (Some(3), Some(2))
    );
    assert!(threads.iter().all(|&t| nice_of(pid, t) == 4));
    // The table says old -> new per setting.
    let out = ptool(["set", "--nice", "5", &pid_s]);
    out.expect_code(0);
    let line = out.stdout.lines().nth(1).expect("a row");
    let cells: Vec<&str> = line.split('\t').collect();
    assert_eq!(
        &cells[..6],
        [pid_s.as_str(), "nice", "4", "5", "3/3", "changed"]
    );
}

#[test]
fn relative_niceness_adds_to_each_thread() {
    let m = marker("set-rel");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid();
    let threads = tids(pid);
    let odd = threads[2].to_string();
    ptool(["set", "-q", "--nice", "10", "--thread", &odd]).expect_code(0);
    let nices: Vec<i32> = threads.iter().map(|&t| nice_of(pid, t)).collect();
    assert_eq!(nices, [0, 0, 10], "--thread changes that thread alone");
    let pid_s = pid.to_string();
    ptool(["set", "-q", "--nice", "+3", &pid_s]).expect_code(0);
    let nices: Vec<i32> = threads.iter().map(|&t| nice_of(pid, t)).collect();
    assert_eq!(nices, [3, 3, 13]);
    ptool(["set", "-q", "--nice", "-2", &pid_s]).expect_code(0);
    let nices: Vec<i32> = threads.iter().map(|&t| nice_of(pid, t)).collect();
    assert_eq!(nices, [1, 1, 11]);
    // Clamped to 19.
    ptool(["set", "-q", "--nice", "+30", &pid_s]).expect_code(0);
    assert!(threads.iter().all(|&t| nice_of(pid, t) == 19));
    // An absolute negative value is written =N.
    ptool(["set", "-q", "--nice", "=-3", &pid_s]).expect_code(0);
    assert!(threads.iter().all(|&t| nice_of(pid, t) == -3));
}

fn limits_line(pid: i32, label: &str) -> Vec<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("limits");
    let line = text
        .lines()
        .find(|l| l.starts_with(label))
        .expect("limit line");
    line[26..].split_whitespace().map(String::from).collect()
}

#[test]
fn limits_change_as_prlimit_sees_them() {
    let m = marker("set-limit");
    let v = Victim::start(&m, &[]);
    let pid = v.pid();
    let pid_s = pid.to_string();
    let out = ptool([
        "set",
        "--json",
        "--limit",
        "nofile=64:128",
        "--limit",
        "core=unlimited",
        "--limit",
        "as=4G",
        &pid_s,
    ]);
    out.expect_code(0);
    let row = row_of(&out, pid);
    assert_eq!(
        setting(&row, "limit:nofile")["new"],
        serde_json::json!(["64:128"])
    );
    assert_eq!(setting(&row, "limit:nofile")["result"], "changed");
    assert_eq!(&limits_line(pid, "Max open files")[..2], ["64", "128"]);
    assert_eq!(&limits_line(pid, "Max core file size")[..1], ["unlimited"]);
    assert_eq!(
        limits_line(pid, "Max address space")[0],
        (4u64 << 30).to_string()
    );
    if let Some(text) = peer(
        "prlimit",
        &[
            "--pid",
            &pid_s,
            "--nofile",
            "--noheadings",
            "--output",
            "SOFT,HARD",
        ],
    ) {
        let words: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(words, ["64", "128"]);
    }
    // Soft alone keeps the hard limit.
    ptool(["set", "-q", "--limit", "nofile=100", &pid_s]).expect_code(0);
    assert_eq!(&limits_line(pid, "Max open files")[..2], ["100", "128"]);
    // Above the hard limit: refused by the kernel's rule, reported, exit 3.
    let out = ptool(["set", "--json", "--limit", "nofile=200", &pid_s]);
    out.expect_code(3);
    let s = setting(&row_of(&out, pid), "limit:nofile").clone();
    assert_eq!(s["result"], "failed");
    assert!(
        s["error"]
            .as_str()
            .unwrap()
            .contains("above the hard limit"),
        "{s}"
    );
    assert_eq!(&limits_line(pid, "Max open files")[..2], ["100", "128"]);
}

#[test]
fn dry_run_changes_nothing() {
    let m = marker("set-dry");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid();
    let pid_s = pid.to_string();
    let before: Vec<(i32, String, String)> = tids(pid)
        .iter()
        .map(|&t| (nice_of(pid, t), cpus_of(pid, t), thread_field(pid, t, 41)))
        .collect();
    let limits = limits_line(pid, "Max open files");
    let out = ptool([
        "set",
        "--json",
        "--dry-run",
        "--nice",
        "12",
        "--sched",
        "idle",
        "--cpus",
        "0",
        "--limit",
        "nofile=10:20",
        &pid_s,
    ]);
    out.expect_code(0);
    let row = row_of(&out, pid);
    assert_eq!(setting(&row, "nice")["result"], "would_change");
    assert_eq!(setting(&row, "nice")["new"], serde_json::json!(["12"]));
    assert_eq!(setting(&row, "limit:nofile")["result"], "would_change");
    let after: Vec<(i32, String, String)> = tids(pid)
        .iter()
        .map(|&t| (nice_of(pid, t), cpus_of(pid, t), thread_field(pid, t, 41)))
        .collect();
    assert_eq!(before, after);
    assert_eq!(limits, limits_line(pid, "Max open files"));
}

#[test]
fn unprivileged_lowering_fails_and_leaves_the_value() {
    let Some(mut start) = as_nobody_cmd(&[]) else {
        cannot_run("needs root and setpriv to run as nobody");
        return;
    };
    // A victim of nobody's own, started at niceness 5: nobody may raise
    // its niceness but not lower it.
    let m = marker("set-nobody");
    let setpriv = start.get_program().to_owned();
    start = Command::new(setpriv);
    start
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "nice",
            "-n",
            "5",
        ])
        .arg(victim_path())
        .args([m.as_str(), "--threads", "2"]);
    let v = Victim::start_cmd(&m, start);
    let pid = v.pid();
    let pid_s = pid.to_string();
    assert!(tids(pid).iter().all(|&t| nice_of(pid, t) == 5));
    let Some(out) = as_nobody(&["set", "--nice", "0", &pid_s]) else {
        cannot_run("setpriv cannot switch users here");
        return;
    };
    out.expect_code(3);
    assert!(
        out.stdout
            .contains("only privileged users may lower niceness"),
        "{out:#?}"
    );
    assert!(tids(pid).iter().all(|&t| nice_of(pid, t) == 5));
    // Raising it is allowed, and the same run's failure is per setting.
    let out = as_nobody(&["set", "--json", "--nice", "8", "--sched", "fifo:10", &pid_s])
        .expect("ran before");
    out.expect_code(3);
    let row = row_of(&out, pid);
    assert_eq!(setting(&row, "nice")["result"], "changed");
    let sched = setting(&row, "sched");
    assert_eq!(sched["result"], "failed");
    assert!(
        sched["error"].as_str().unwrap().contains("real-time"),
        "{sched}"
    );
    assert!(tids(pid).iter().all(|&t| nice_of(pid, t) == 8));
    // Another user's process: refused, with the reason.
    let root = Victim::start(&marker("set-root"), &[]);
    let out =
        as_nobody(&["set", "--json", "--nice", "10", &root.pid().to_string()]).expect("ran before");
    out.expect_code(3);
    let err = setting(&row_of(&out, root.pid()), "nice")["error"].clone();
    assert!(err.as_str().unwrap().contains("another user"), "{err}");
    assert_eq!(nice_of(root.pid(), root.pid()), 0);
}

#[test]
fn a_target_that_ended_is_reported_and_the_rest_are_changed() {
    let m = marker("set-gone");
    let mut first = Victim::start(&m, &[]);
    let second = Victim::start(&m, &["--threads", "1"]);
    let zombie_parent = Victim::start(&m, &["--zombie"]);
    let zombie = zombie_parent.family.zombie.expect("a zombie");
    // Selected (pinned) while running, then gone before the change.
    let selected = target_of(first.pid());
    first.tell("exit 0");
    first.wait();
    let changes = ptool::testing::Changes {
        nice: Some(ptool::testing::Nice::Absolute(6)),
        ..Default::default()
    };
    let mut reader = ptool::testing::Reader::new().unwrap();
    let mut opener = ptool::testing::Opener::new();
    let report = ptool::testing::apply(&selected, &changes, false, &mut opener, &mut reader);
    assert_eq!(report.state, ptool::testing::SetState::Gone);
    let report = ptool::testing::apply(
        &target_of(second.pid()),
        &changes,
        false,
        &mut opener,
        &mut reader,
    );
    assert_eq!(report.state, ptool::testing::SetState::Done);
    assert!(
        tids(second.pid())
            .iter()
            .all(|&t| nice_of(second.pid(), t) == 6)
    );
    // On the command line: a zombie has ended, the other is changed, and
    // that is success.
    let out = ptool([
        "set",
        "--json",
        "--nice",
        "9",
        &zombie.to_string(),
        &second.pid().to_string(),
    ]);
    out.expect_code(0);
    let report = out.json();
    assert_eq!(row(&report, zombie)["result"], "gone");
    assert_eq!(row(&report, second.pid())["result"], "done");
    assert!(
        tids(second.pid())
            .iter()
            .all(|&t| nice_of(second.pid(), t) == 9)
    );
    // Only the ended one: nothing was there to change.
    ptool(["set", "-q", "--nice", "9", &zombie.to_string()]).expect_code(1);
}

#[test]
fn a_reused_pid_is_never_changed() {
    let m = marker("set-reuse");
    let Some((selected, second)) = reused_pid(&m) else {
        eprintln!("skipped the real PID reuse: cannot steer PIDs here");
        return;
    };
    let changes = ptool::testing::Changes {
        nice: Some(ptool::testing::Nice::Absolute(11)),
        ..Default::default()
    };
    let mut reader = ptool::testing::Reader::new().unwrap();
    let report = ptool::testing::apply(
        &selected,
        &changes,
        false,
        &mut ptool::testing::Opener::new(),
        &mut reader,
    );
    assert_eq!(report.state, ptool::testing::SetState::Gone);
    assert_eq!(nice_of(second.pid(), second.pid()), 0);
}

#[test]
fn bad_requests_are_usage_errors() {
    let m = marker("set-usage");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    ptool(["set", &pid]).usage_error();
    ptool(["set", "--nice", "20", &pid]).usage_error();
    ptool(["set", "--nice", "5x", &pid]).usage_error();
    ptool(["set", "--io", "fast", &pid]).usage_error();
    ptool(["set", "--sched", "fifo", &pid]).usage_error();
    ptool(["set", "--limit", "nosuch=1", &pid]).usage_error();
    ptool(["set", "--limit", "nofile=\x1b[31m", &pid]).usage_error();
    let out = ptool(["set", "--cpus", "4000", &pid]);
    out.usage_error();
    assert!(out.stderr.contains("no CPU 4000"), "{out:#?}");
    let out = ptool(["set", "--nice", "5", "1"]);
    out.usage_error();
    assert!(out.stderr.contains("refusing to change PID 1"), "{out:#?}");
    ptool(["set", "--nice", "5"]).usage_error();
    // Nothing matched.
    let out = ptool(["set", "--nice", "5", "-f", &format!("{m}-none")]);
    out.expect_code(1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
    ptool(["set", "--nice", "5", &NEVER_A_PID.to_string()]).expect_code(1);
    // A thread of another process than the one selected, or of none.
    let other = Victim::start(&marker("set-usage-other"), &["--threads", "1"]);
    let other_tid = tids(other.pid())[1].to_string();
    let out = ptool(["set", "--nice", "5", "--thread", &other_tid, &pid]);
    out.expect_code(1);
    assert!(out.stderr.contains("not among those selected"), "{out:#?}");
    let out = ptool(["set", "--nice", "5", "--thread", &NEVER_A_PID.to_string()]);
    out.expect_code(1);
    assert!(out.stderr.contains("no thread has TID"), "{out:#?}");
    assert!(
        tids(other.pid())
            .iter()
            .all(|&t| nice_of(other.pid(), t) == 0)
    );
    // The victim was left alone by all of it.
    assert_eq!(nice_of(v.pid(), v.pid()), 0);
}

#[test]
fn warnings_are_said_once() {
    let m = marker("set-warn");
    let a = Victim::start(&m, &[]);
    let b = Victim::start(&m, &[]);
    let out = ptool([
        "set",
        "-q",
        "--nice",
        "1",
        "--io",
        "be:5",
        &a.pid().to_string(),
        &b.pid().to_string(),
    ]);
    out.expect_code(0);
    let autogroups = std::fs::read_to_string("/proc/sys/kernel/sched_autogroup_enabled")
        .is_ok_and(|t| t.trim() == "1");
    let notes = out.stderr.matches("autogroup").count();
    assert_eq!(notes > 0, autogroups, "{out:#?}");
    assert!(
        out.stderr
            .lines()
            .filter(|l| l.contains("autogroup"))
            .count()
            <= 1
    );
    let ignoring = std::fs::read_dir("/sys/block")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !["loop", "ram", "zram"].iter().any(|p| name.starts_with(p))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("queue/scheduler")).ok())
        .any(|s| !s.contains("[bfq]") && !s.contains("[cfq]"));
    assert_eq!(out.stderr.contains("bfq"), ignoring, "{out:#?}");
    assert!(out.stderr.lines().all(|l| l.starts_with("ptool: note: ")));
    assert!(Path::new("/proc/sys/kernel").exists());
}

#[test]
fn hundreds_of_threads_are_changed_on_several_cpus() {
    let m = marker("set-many");
    let v = Victim::start(&m, &["--threads", "299"]);
    let pid = v.pid();
    let out = ptool(["set", "--json", "--nice", "+4", &pid.to_string()]);
    out.expect_code(0);
    let row = row_of(&out, pid);
    assert_eq!(row["threads"], 300);
    assert_eq!(setting(&row, "nice")["changed"], 300);
    let threads = tids(pid);
    assert_eq!(threads.len(), 300);
    // Relative: each thread exactly once.
    assert!(threads.iter().all(|&t| nice_of(pid, t) == 4));
}

#[test]
fn threads_that_start_and_end_meanwhile_are_caught_or_counted_as_ended() {
    let m = marker("set-churn");
    // 49 threads that stay, 8 of which keep starting short-lived ones.
    let v = Victim::start(&m, &["--threads", "40", "--churn", "8"]);
    let pid = v.pid();
    let pid_s = pid.to_string();
    // The niceness of each thread that stays, read as they are now; a
    // short-lived thread may end between the listing and the read.
    let steady = || -> Vec<(i32, i32)> {
        tids(pid)
            .into_iter()
            .filter_map(|t| {
                let comm = std::fs::read_to_string(format!("/proc/{pid}/task/{t}/comm")).ok()?;
                let raw = std::fs::read(format!("/proc/{pid}/task/{t}/stat")).ok()?;
                let close = raw.iter().rposition(|&b| b == b')')?;
                let rest = String::from_utf8_lossy(&raw[close + 2..]).into_owned();
                let nice = rest.split_whitespace().nth(19 - 3)?.parse().ok()?;
                (comm.trim() != "churn").then_some((t, nice))
            })
            .collect()
    };
    for nice in [3, 6, 9, 12, 15] {
        let out = ptool(["set", "--json", "--nice", &nice.to_string(), &pid_s]);
        out.expect_code(0);
        assert!(
            out.stderr.lines().all(|l| l.starts_with("ptool: note: ")),
            "{out:#?}"
        );
        let row = row_of(&out, pid);
        assert_eq!(row["result"], "done", "{row:#}");
        assert!(row["threads"].as_u64() >= Some(49), "{row:#}");
        let s = setting(&row, "nice");
        assert_eq!(s["failed"], 0, "{s}");
        assert!(s["error"].is_null(), "{s}");
        assert_eq!(s["new"], serde_json::json!([nice.to_string()]), "{s}");
        let threads = steady();
        assert!(threads.len() >= 49, "{threads:?}");
        for (tid, now) in threads {
            assert_eq!(now, nice, "thread {tid}");
        }
    }
}

#[test]
fn tops_renice_key_changes_every_thread_through_set() {
    let m = marker("set-top");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid();
    let mut reader = ptool::testing::Reader::new().unwrap();
    let p = reader
        .read(pid, ptool::testing::Need::STAT)
        .expect("the victim");
    let status = ptool::testing::renice(vec![p], 1, &mut reader);
    assert!(status.contains("niceness 0 -> 1 (3 threads)"), "{status}");
    assert!(tids(pid).iter().all(|&t| nice_of(pid, t) == 1));
    // A thread row: that thread alone.
    let threads = reader.threads(pid, ptool::testing::Need::STAT);
    let last = threads.last().expect("a thread").clone();
    let tid = last.tid.expect("tid");
    let status = ptool::testing::renice(vec![last], 2, &mut reader);
    assert!(status.contains("niceness 1 -> 3"), "{status}");
    let nices: Vec<i32> = tids(pid).iter().map(|&t| nice_of(pid, t)).collect();
    assert_eq!(nices.iter().filter(|&&n| n == 3).count(), 1, "{nices:?}");
    assert_eq!(nice_of(pid, tid), 3);
}
