//! `ptool top`: batch text and JSON Lines on processes the tests started
//! (a busy one and an idle one), usage errors, and the interactive screen
//! driven end to end in tmux.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

use crate::support::*;

/// A process that spins on the CPU, marked: `sh -c 'while :; do :; done' MARKER`.
fn busy(marker: &str) -> ChildGuard {
    init();
    let child = Command::new("sh")
        .args(["-c", "while :; do :; done", marker])
        .stdin(Stdio::null())
        .spawn()
        .expect("start sh");
    ChildGuard::new(child)
}

fn processes(refresh: &serde_json::Value) -> &Vec<serde_json::Value> {
    refresh["processes"]
        .as_array()
        .expect("processes is an array")
}

fn row(refresh: &serde_json::Value, pid: i32) -> Option<&serde_json::Value> {
    processes(refresh).iter().find(|p| p["pid"] == pid)
}

#[test]
fn json_lines_one_refresh_each_busy_high_idle_near_zero() {
    let marker = marker("top-json");
    let idle = Victim::start(&marker, &[]);
    let spinner = busy(&marker);
    let out = ptool([
        "top",
        "--json",
        "--iterations",
        "3",
        "--interval",
        "400ms",
        "-f",
        &marker,
    ]);
    out.success();
    let refreshes = out.json_lines();
    assert_eq!(refreshes.len(), 3, "{out:#?}");
    for r in &refreshes {
        assert!(r["time"].as_f64().is_some_and(|t| t > 1e9), "{r}");
        let system = &r["system"];
        let cpus = system["cpus"].as_array().expect("cpus");
        let online = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(cpus.len(), online, "{system}");
        assert!(
            cpus.iter()
                .all(|c| (0.0..=100.0).contains(&c.as_f64().unwrap_or(-1.0)))
        );
        let total = system["memory"]["total"].as_u64().expect("memory.total");
        assert_eq!(total, meminfo_total(), "{system}");
        assert!(system["memory"]["used"].as_u64() <= Some(total));
        assert_eq!(system["load"].as_array().map(Vec::len), Some(3));
        assert!(system["uptime"].as_u64().is_some_and(|u| u > 0));
        assert!(system["tasks"]["total"].as_u64().is_some_and(|t| t >= 2));
        // Only the two marked processes pass the selector.
        let mut pids: Vec<i64> = processes(r)
            .iter()
            .filter_map(|p| p["pid"].as_i64())
            .collect();
        pids.sort_unstable();
        let mut want = vec![i64::from(idle.pid()), i64::from(spinner.pid())];
        want.sort_unstable();
        assert_eq!(pids, want, "{r}");
        for key in [
            "pid", "user", "cpu", "mem", "rss", "state", "start", "time", "cmd",
        ] {
            assert!(processes(r)[0].get(key).is_some(), "{key} missing: {r}");
        }
    }
    // From the second refresh on, %CPU is measured over the interval: the
    // busy process's is its CPU time used between refreshes over the time
    // between them (whatever share the machine's other work leaves it).
    for pair in refreshes.windows(2) {
        let (before, now) = (&pair[0], &pair[1]);
        let field = |r: &serde_json::Value, pid: i32, key: &str| {
            row(r, pid).expect("row")[key].as_f64().expect("number")
        };
        let hot = field(now, spinner.pid(), "cpu");
        let cold = field(now, idle.pid(), "cpu");
        assert!(hot > 5.0, "busy process at {hot}%: {now}");
        assert!(cold < 2.0, "idle process at {cold}%: {now}");
        let used = field(now, spinner.pid(), "time") - field(before, spinner.pid(), "time");
        let wall = now["time"].as_f64().unwrap_or(0.0) - before["time"].as_f64().unwrap_or(0.0);
        let expected = used * 100.0 / wall;
        assert!(
            (hot - expected).abs() < 10.0,
            "{hot}% but {used}s of CPU in {wall}s"
        );
        // Sorted by %CPU, descending, by default.
        assert_eq!(processes(now)[0]["pid"], spinner.pid(), "{now}");
    }
}

fn meminfo_total() -> u64 {
    let text = std::fs::read_to_string("/proc/meminfo").expect("meminfo");
    let kib: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("MemTotal");
    kib * 1024
}

#[test]
fn batch_prints_each_refresh_as_header_and_table() {
    let marker = marker("top-batch");
    let idle = Victim::start(&marker, &["--name", "ptool-top-idle"]);
    let out = ptool([
        "top",
        "--batch",
        "--iterations",
        "2",
        "-d",
        "200ms",
        "-o",
        "pid,state,name,cmd",
        "-s",
        "pid",
        "-f",
        &marker,
    ]);
    out.success();
    let headers = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("ptool top - "))
        .count();
    assert_eq!(headers, 2, "{out:#?}");
    assert_eq!(out.stdout.matches("Tasks: ").count(), 2, "{out:#?}");
    assert_eq!(
        out.stdout.matches("PID\tSTATE\tNAME\tCOMMAND\n").count(),
        2,
        "{out:#?}"
    );
    let rows: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with(&format!("{}\t", idle.pid())))
        .collect();
    assert_eq!(rows.len(), 2, "{out:#?}");
    let (_, fields) = stat_fields(idle.pid());
    let state = &fields[0];
    assert!(
        rows[0].starts_with(&format!("{}\t{state}\tptool-top-idle\t", idle.pid())),
        "{rows:?}"
    );
    assert!(rows[0].contains(&marker), "{rows:?}");
}

#[test]
fn top_agrees_with_procps_top_on_a_busy_process() {
    if Command::new("top").arg("-v").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "procps top is not installed"
        );
        eprintln!("skipped: procps top is not installed");
        return;
    }
    let marker = marker("top-procps");
    let spinner = busy(&marker);
    let pid = spinner.pid().to_string();
    let ours = ptool(["top", "--json", "--iterations", "2", "-d", "500ms", &pid]);
    ours.success();
    let ours = ours.json_lines();
    let mine = row(&ours[1], spinner.pid()).expect("row")["cpu"]
        .as_f64()
        .expect("cpu");
    let theirs = run(
        {
            let mut c = Command::new("top");
            c.args(["-b", "-n", "2", "-d", "0.5", "-p", &pid])
                .env("COLUMNS", "200");
            c
        },
        None,
        BOUND,
    );
    theirs.expect_code(0);
    // The last line for the PID, from top's second iteration: column 9 is %CPU.
    let line = theirs
        .stdout
        .lines()
        .rfind(|l| l.split_whitespace().next() == Some(pid.as_str()))
        .expect("top shows the process");
    let procps: f64 = line
        .split_whitespace()
        .nth(8)
        .and_then(|v| v.parse().ok())
        .expect("%CPU");
    // Both measure the same spinning process over the same interval length,
    // on a machine other work shares: close, not equal.
    assert!(mine > 5.0 && procps > 5.0, "ptool {mine}%, top {procps}%");
    assert!((mine - procps).abs() < 45.0, "ptool {mine}%, top {procps}%");
}

#[test]
fn bad_arguments_are_usage_errors() {
    for args in [
        &["top", "--iterations", "0"][..],
        &["top", "--iterations", "-3"],
        &["top", "--iterations", "x"],
        &["top", "-d", "0"],
        &["top", "-d", "-1s"],
        &["top", "-d", "9999999999999h"],
        &["top", "-o", "bogus"],
        &["top", "-s", "-nope"],
        &["top", "-u", "no-such-user-ptool"],
        &["top", "-f", "("],
        &["top", "0"],
    ] {
        let out = ptool(args);
        out.usage_error();
    }
}

#[test]
fn hostile_names_are_escaped_in_batch_and_json() {
    let marker = marker("top-hostile");
    let idle = Victim::start(&marker, &["--name", "evil\x1b]0;x\x07"]);
    let out = ptool([
        "top",
        "-b",
        "--iterations",
        "1",
        "-o",
        "pid,name",
        &idle.pid().to_string(),
    ]);
    out.success();
    assert!(!out.stdout.contains('\x1b'), "{out:#?}");
    assert!(out.stdout.contains("evil\\e]0;x\\x07"), "{out:#?}");
    let out = ptool([
        "top",
        "--json",
        "--iterations",
        "1",
        "-o",
        "pid,name",
        &idle.pid().to_string(),
    ]);
    out.success();
    assert!(!out.stdout.contains('\x1b'), "{out:#?}");
    assert_eq!(
        out.json_lines()[0]["processes"][0]["name"],
        "evil\x1b]0;x\x07"
    );
}

/// The screen lines that show one of `pids`, in screen order.
fn order(screen: &str, pids: &[i32]) -> Vec<i32> {
    screen
        .lines()
        .filter_map(|l| {
            l.trim_start_matches('*')
                .split_whitespace()
                .next()?
                .parse::<i32>()
                .ok()
        })
        .filter(|p| pids.contains(p))
        .collect()
}

#[test]
fn the_screen_filters_sorts_kills_and_quits_in_tmux() {
    let marker = marker("top-tmux");
    let mut first = Victim::start(&marker, &[]);
    let mut second = Victim::start(&marker, &[]);
    let pids = [first.pid(), second.pid()];
    let command = format!(
        "{} top -s pid -d 300ms; echo ptool-exit=$?; sleep 60",
        ptool_path()
    );
    let Some(tmux) = Tmux::start(&marker, &command) else {
        return;
    };
    tmux.wait_for("the table", |s| s.contains("PID") && s.contains("Tasks:"));
    assert!(tmux.alternate_on(), "top runs on the alternate screen");

    // The filter finds the marked victims and nothing else.
    tmux.keys(&["\\"]);
    tmux.literal(&marker);
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("the filtered rows", |s| {
        order(s, &pids).len() == 2 && s.contains("FILTER")
    });
    assert_eq!(order(&screen, &pids), pids, "ascending PIDs:\n{screen}");
    let rows = screen
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<i32>().is_ok())
        })
        .count();
    assert_eq!(rows, 2, "only the victims match:\n{screen}");

    // I inverts the order.
    tmux.keys(&["I"]);
    let screen = tmux.wait_for("the inverted order", |s| {
        order(s, &pids) == [pids[1], pids[0]]
    });
    assert!(
        screen.contains("PID▼") || screen.contains("PID-"),
        "{screen}"
    );

    // k on the first row (the second victim now), y: TERM ends it.
    tmux.keys(&["Home"]);
    tmux.keys(&["k"]);
    tmux.wait_for("the question", |s| {
        s.contains(&format!("Kill {}", pids[1])) && s.contains("[y/N]")
    });
    tmux.keys(&["y"]);
    let screen = tmux.wait_for("the result", |s| s.contains("terminated by SIGTERM"));
    assert!(screen.contains(&format!("PID {}", pids[1])), "{screen}");
    // Ended by TERM, and collected here (its parent), so its row goes.
    assert_eq!(second.wait().signal(), Some(libc::SIGTERM));
    assert!(alive(pids[0]), "the other victim was hit");
    tmux.wait_for("the row to go", |s| order(s, &pids) == [pids[0]]);

    // q quits and the terminal leaves the alternate screen.
    tmux.keys(&["q"]);
    tmux.wait_for("the exit", |s| s.contains("ptool-exit=0"));
    assert!(
        !tmux.alternate_on(),
        "the terminal is back on the main screen"
    );
    first.tell("exit 0");
    first.wait();
}

#[test]
fn a_term_signal_restores_the_terminal() {
    let marker = marker("top-term");
    // A pattern that no command line matches, not even this one.
    let command = format!(
        "{} top -d 300ms -f '^{marker}-none$'; echo ptool-exit=$?; sleep 60",
        ptool_path()
    );
    let Some(tmux) = Tmux::start(&marker, &command) else {
        return;
    };
    tmux.wait_for("the table", |s| s.contains("no process matches"));
    assert!(tmux.alternate_on());
    let pid = carrying(&marker)
        .into_iter()
        .find(|&p| std::fs::read(format!("/proc/{p}/comm")).is_ok_and(|c| c == b"ptool\n"))
        .expect("ptool top is running");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(pid).expect("pid"),
        rustix::process::Signal::TERM,
    )
    .expect("TERM");
    tmux.wait_for("the exit", |s| s.contains("ptool-exit=143"));
    assert!(
        !tmux.alternate_on(),
        "the terminal is back on the main screen"
    );
}

#[test]
fn the_terminal_going_away_ends_top() {
    let marker = marker("top-hangup");
    let command = format!("{} top -d 300ms -f '^{marker}-none$'", ptool_path());
    let Some(tmux) = Tmux::start(&marker, &command) else {
        return;
    };
    tmux.wait_for("the table", |s| s.contains("no process matches"));
    let pid = carrying(&marker)
        .into_iter()
        .find(|&p| std::fs::read(format!("/proc/{p}/comm")).is_ok_and(|c| c == b"ptool\n"))
        .expect("ptool top is running");
    let fd = pidfd(pid).expect("pidfd");
    // The server goes, and the terminal with it: ptool gets HUP and its
    // reads end of file.
    drop(tmux);
    assert!(
        wait_fd(&fd, BOUND),
        "ptool top did not end when its terminal hung up"
    );
}
