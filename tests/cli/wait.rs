//! `ptool wait` on victims the tests start, end and reap themselves. ptool
//! is started first and the test waits for its `-v` "waiting for" line on
//! stderr, so every process is known to end while ptool is watching.

use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// A `ptool wait` in the background, with every line it printed so far.
struct Waiter {
    bg: Background,
    out_lines: Vec<String>,
    err_lines: Vec<String>,
}

impl Waiter {
    /// Start `ptool wait -v ARGS...` and return once it says it is waiting.
    fn start(args: &[&str]) -> Waiter {
        let mut cmd = ptool_cmd(["wait", "-v"]);
        cmd.args(args);
        Waiter::spawn(cmd)
    }

    /// Start a prepared command that runs `ptool wait -v ...`.
    fn spawn(cmd: Command) -> Waiter {
        let shown = format!("{cmd:?}");
        let mut waiter = Waiter {
            bg: Background::start(cmd),
            out_lines: Vec::new(),
            err_lines: Vec::new(),
        };
        let deadline = Instant::now() + BOUND;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match waiter.bg.next_err_line(left) {
                Some(line) => {
                    let ready = line.starts_with("ptool: waiting for ");
                    waiter.err_lines.push(line);
                    if ready {
                        return waiter;
                    }
                }
                None => panic!(
                    "{shown} never said it was waiting; stderr: {:?}",
                    waiter.err_lines
                ),
            }
        }
    }

    /// The next stdout line (bounded).
    fn next_line(&mut self) -> String {
        let line = self.bg.next_line();
        self.out_lines.push(line.clone());
        line
    }

    fn pid(&self) -> i32 {
        self.bg.pid()
    }

    /// True while ptool has not exited.
    fn running(&self) -> bool {
        self.bg.running()
    }

    /// Wait (bounded) for ptool to exit; its exit code, every stdout line
    /// and every stderr line.
    fn finish(mut self) -> (i32, Vec<String>, Vec<String>) {
        let (code, out, err) = self.bg.finish();
        self.out_lines.extend(out);
        self.err_lines.extend(err);
        (code, self.out_lines, self.err_lines)
    }
}

/// stderr must hold nothing but the "waiting for" line.
fn quiet_stderr(err: &[String]) {
    assert!(
        err.iter().all(|l| l.starts_with("ptool: waiting for ")),
        "unexpected stderr: {err:?}"
    );
}

#[test]
fn exit_status_of_a_process_that_is_not_its_child() {
    let m = marker("wait-exit3");
    let mut v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let waiter = Waiter::start(&[&pid]);
    v.tell("exit 3");
    // The test is the parent: reaping is what lets the kernel keep the status.
    assert_eq!(v.wait().code(), Some(3));
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    quiet_stderr(&err);
    assert_eq!(out.len(), 1, "{out:?}");
    let cells: Vec<&str> = out[0].split('\t').collect();
    assert_eq!(cells.len(), 5, "{cells:?}");
    assert_eq!(cells[0], pid);
    assert_eq!(cells[1], "ptool-victim");
    assert_eq!(cells[2].len(), 8, "HH:MM:SS: {cells:?}");
    assert!(cells[3].ends_with('s'), "a duration: {cells:?}");
    assert_eq!(cells[4], "exited 3");
}

#[test]
fn a_zombie_tells_its_status_to_its_owner_before_it_is_collected() {
    let m = marker("wait-zombie");
    // The test is the parent, and collects it only when the guard drops,
    // after ptool has answered: no --status-wait is spent on a reap.
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "exit 3", &m]);
    let child = ChildGuard::new(cmd.spawn().expect("start sh"));
    let pid = child.pid().to_string();
    let out = ptool(["wait", "--json", "--status-wait", "0", &pid]);
    out.success();
    let ended = &out.json_lines()[0];
    assert_eq!(
        (&ended["pid"], &ended["exit_code"]),
        (&child.pid().into(), &3.into()),
        "{out:#?}"
    );
    assert!(out.stderr.is_empty(), "{out:#?}");
    // To another user the kernel shows no status: ptool says it does not
    // know, and with -v why, rather than taking the 0 it is shown.
    let Some(out) = as_nobody(&["wait", "-v", "--status-wait", "0", &pid]) else {
        return;
    };
    out.expect_code(0);
    assert!(out.stdout.contains("\texit status unknown"), "{out:#?}");
    assert!(
        out.stderr.contains("only its owner and root may read it"),
        "{out:#?}"
    );
}

#[test]
fn killed_by_a_signal_in_json() {
    let m = marker("wait-kill");
    let mut v = Victim::start(&m, &[]);
    let pid = v.pid();
    let waiter = Waiter::start(&["--json", &pid.to_string()]);
    v.tell("signal 15");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&v.wait()),
        Some(15)
    );
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    quiet_stderr(&err);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out:?}");
    let e = &lines[0];
    assert_eq!(e["event"], "ended");
    assert_eq!(e["pid"], pid);
    assert_eq!(e["name"], "ptool-victim");
    assert_eq!(e["status"], "killed by SIGTERM");
    assert_eq!(e["signal"], 15);
    assert_eq!(e["signal_name"], "SIGTERM");
    assert_eq!(e["exit_code"], Value::Null);
    assert_eq!(e["core_dumped"], false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let ended = e["ended_at"].as_f64().unwrap();
    assert!(ended <= now && now - ended < 60.0, "{e}");
    assert!(e["ran"].as_f64().unwrap() >= 0.0, "{e}");
    let summary = &lines[1];
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["ended"], 1);
    assert_eq!(summary["timed_out"], false);
    assert_eq!(summary["still_running"], serde_json::json!([]));
    assert_eq!(summary["not_running"], serde_json::json!([]));
}

#[test]
fn any_returns_at_the_first_of_several() {
    let m = marker("wait-any");
    let a = Victim::start(&m, &[]);
    let mut b = Victim::start(&m, &[]);
    let c = Victim::start(&m, &[]);
    let pids = [a.pid(), b.pid(), c.pid()].map(|p| p.to_string());
    let mut args = vec!["--any", "--json"];
    args.extend(pids.iter().map(String::as_str));
    let waiter = Waiter::start(&args);
    b.tell("exit 0");
    b.wait();
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    quiet_stderr(&err);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 2, "{out:?}");
    assert_eq!(lines[0]["pid"], b.pid());
    assert_eq!(lines[0]["status"], "exited 0");
    let still: Vec<i64> = lines[1]["still_running"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["pid"].as_i64().unwrap())
        .collect();
    assert_eq!(still, vec![i64::from(a.pid()), i64::from(c.pid())]);
    assert!(alive(a.pid()) && alive(c.pid()));
}

#[test]
fn all_waits_for_the_last_one() {
    let m = marker("wait-all");
    let mut a = Victim::start(&m, &[]);
    let mut b = Victim::start(&m, &[]);
    let mut waiter = Waiter::start(&["-f", &m]);
    a.tell("exit 1");
    a.wait();
    let first = waiter.next_line();
    assert!(first.starts_with(&format!("{}\t", a.pid())), "{first}");
    assert!(first.ends_with("\texited 1"), "{first}");
    assert!(waiter.running(), "returned before the last one ended");
    b.tell("exit 2");
    b.wait();
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    quiet_stderr(&err);
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[1].ends_with("\texited 2"), "{out:?}");
}

#[test]
fn timeout_exits_124_listing_what_still_runs() {
    let m = marker("wait-timeout");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["wait", "--timeout", "300ms", &pid]);
    out.expect_code(124);
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert!(
        out.elapsed >= Duration::from_millis(300) && out.elapsed < Duration::from_secs(5),
        "{out:#?}"
    );
    let cells: Vec<&str> = out.stdout.trim_end().split('\t').collect();
    assert_eq!(cells[0], pid, "{out:#?}");
    assert_eq!(cells[1], "ptool-victim");
    assert_eq!(cells[4], "still running");

    let out = ptool(["wait", "--json", "--timeout", "300ms", &pid]);
    out.expect_code(124);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out:#?}");
    assert_eq!(lines[0]["event"], "summary");
    assert_eq!(lines[0]["timed_out"], true);
    assert_eq!(lines[0]["ended"], 0);
    assert_eq!(lines[0]["still_running"][0]["pid"], v.pid());
    assert!(alive(v.pid()));
}

#[test]
fn a_missing_pid_is_not_running() {
    let missing = NEVER_A_PID.to_string();
    let out = ptool(["wait", &missing]);
    out.expect_code(1);
    assert!(out.stderr.is_empty(), "{out:#?}");
    assert_eq!(out.stdout, format!("{NEVER_A_PID}\t-\t-\t-\tnot running\n"));

    let out = ptool(["wait", "--json", &missing]);
    out.expect_code(1);
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out:#?}");
    assert_eq!(lines[0]["not_running"], serde_json::json!([NEVER_A_PID]));
    assert_eq!(lines[0]["ended"], 0);

    // Nothing matching a pattern: exit 1 and nothing to list, like pidwait.
    let out = ptool(["wait", "-f", &marker("wait-nobody")]);
    out.expect_code(1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn a_missing_pid_beside_a_real_one() {
    let m = marker("wait-mixed");
    let mut v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let mut waiter = Waiter::start(&[&NEVER_A_PID.to_string(), &pid]);
    assert_eq!(
        waiter.next_line(),
        format!("{NEVER_A_PID}\t-\t-\t-\tnot running")
    );
    v.tell("exit 0");
    v.wait();
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    assert!(out[1].starts_with(&format!("{pid}\t")), "{out:?}");
    assert!(out[1].ends_with("\texited 0"), "{out:?}");
}

#[test]
fn pidfile_names_the_process() {
    let m = marker("wait-pidfile");
    let mut v = Victim::start(&m, &[]);
    let dir = TempDir::new("wait-pidfile");
    let file = dir.file("app.pid", format!("{}\n", v.pid()).as_bytes());
    let waiter = Waiter::start(&["--json", "--pidfile", &file]);
    v.tell("exit 7");
    v.wait();
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{out:?} {err:?}");
    let lines = json_lines(&out);
    assert_eq!(lines[0]["pid"], v.pid());
    assert_eq!(lines[0]["exit_code"], 7);
}

#[test]
fn bad_pidfiles_are_usage_errors() {
    for (content, says) in [
        (&b""[..], "is empty"),
        (b"12abc\n", "does not hold a PID"),
        (b"0\n", "does not hold a process ID"),
        (b"-1", "does not hold a process ID"),
        (b"1 2\n", "does not hold a PID"),
        (b"99999999999\n", "out of range"),
        (b"\xff\x1b\n", "does not hold a PID"),
    ] {
        let dir = TempDir::new("wait-badpid");
        let file = dir.file("app.pid", content);
        let out = ptool(["wait", "--pidfile", &file]);
        out.usage_error();
        assert!(out.stderr.contains(says), "{content:?}: {out:#?}");
        assert!(!out.stderr.contains('\x1b'), "{out:#?}");
    }
    let out = ptool(["wait", "--pidfile", "/nonexistent/ptool.pid"]);
    out.usage_error();
    assert!(
        out.stderr
            .contains("cannot read pidfile /nonexistent/ptool.pid: No such file")
    );
}

#[test]
fn bad_arguments_are_usage_errors() {
    ptool(["wait"]).usage_error();
    for args in [
        &["wait", "0"][..],
        &["wait", "--", "-5"],
        &["wait", "5x"],
        &["wait", "99999999999"],
        &["wait", "--timeout", "5x", "1"],
        &["wait", "--status-wait", "soon", "1"],
        &["wait", "-x", "1"],
    ] {
        ptool(args).usage_error();
    }
}

#[test]
fn a_thread_id_is_refused_with_its_process() {
    let m = marker("wait-thread");
    let v = Victim::start(&m, &["--threads", "1"]);
    let tid = std::fs::read_dir(format!("/proc/{}/task", v.pid()))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .find(|&t| t != v.pid())
        .expect("a second thread");
    let out = ptool(["wait", &tid.to_string()]);
    out.usage_error();
    assert!(
        out.stderr
            .contains(&format!("is a thread of process {}", v.pid())),
        "{out:#?}"
    );
}

#[test]
fn quiet_prints_nothing() {
    let m = marker("wait-quiet");
    let mut v = Victim::start(&m, &[]);
    let waiter = Waiter::start(&["-q", &v.pid().to_string()]);
    v.tell("exit 0");
    v.wait();
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0);
    assert!(out.is_empty(), "{out:?}");
    quiet_stderr(&err);
}

/// Many idle victims started without waiting for each to report, killed
/// (by pidfd) and reaped on drop.
struct Crowd {
    members: Vec<(Child, Option<OwnedFd>)>,
}

impl Crowd {
    fn start(marker: &str, n: usize) -> Crowd {
        init();
        let mut members = Vec::with_capacity(n);
        for _ in 0..n {
            let child = Command::new(victim_path())
                .args([marker, "--forever"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .spawn()
                .expect("start victim");
            let fd = pidfd(child.id() as i32);
            members.push((child, fd));
        }
        Crowd { members }
    }

    /// Kill and reap members `range`, in order.
    fn end(&mut self, range: std::ops::Range<usize>) {
        for (_, fd) in &self.members[range.clone()] {
            if let Some(fd) = fd {
                let _ =
                    rustix::process::pidfd_send_signal(fd.as_fd(), rustix::process::Signal::KILL);
            }
        }
        for (child, _) in &mut self.members[range] {
            let _ = child.wait();
        }
    }
}

impl Drop for Crowd {
    fn drop(&mut self) {
        let n = self.members.len();
        self.end(0..n);
    }
}

/// The soft "Max open files" limit of a running process, from
/// `/proc/PID/limits` (`None` there means unlimited).
fn open_files_soft_limit(pid: i32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .expect("a Max open files line");
    let soft = line["Max open files".len()..].split_whitespace().next();
    match soft {
        Some("unlimited") => u64::MAX,
        Some(n) => n.parse().unwrap(),
        None => panic!("{line}"),
    }
}

#[test]
fn a_thousand_at_once_returns_when_the_last_ends() {
    const N: usize = 1000;
    let m = marker("wait-crowd");
    let mut crowd = Crowd::start(&m, N);
    let pids: Vec<String> = crowd
        .members
        .iter()
        .map(|(c, _)| c.id().to_string())
        .collect();
    // With a soft open-file limit too low for 1,000 pidfds, which ptool
    // must raise (up to the hard limit) by itself.
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        r#"ulimit -Sn 256 && exec "$0" wait -v --json "$@""#,
        ptool_path(),
    ])
    .args(&pids);
    let mut waiter = Waiter::spawn(cmd);
    assert_eq!(
        waiter.err_lines,
        ["ptool: waiting for 1000 processes with pidfds"],
    );
    let soft = open_files_soft_limit(waiter.pid());
    assert!(soft >= N as u64, "soft open-file limit {soft}");
    crowd.end(0..N - 1);
    for _ in 0..N - 1 {
        waiter.next_line();
    }
    assert!(waiter.running(), "returned with one still running");
    crowd.end(N - 1..N);
    let (code, out, err) = waiter.finish();
    assert_eq!(code, 0, "{err:?}");
    quiet_stderr(&err);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), N + 1);
    let mut seen: Vec<String> = lines[..N].iter().map(|l| l["pid"].to_string()).collect();
    seen.sort();
    let mut want = pids.clone();
    want.sort();
    assert_eq!(seen, want);
    assert!(
        lines[..N]
            .iter()
            .all(|l| l["status"] == "killed by SIGKILL"),
        "every one was killed and reaped"
    );
    assert_eq!(lines[N]["ended"], N);
    assert_eq!(lines[N - 1]["pid"].to_string(), pids[N - 1]);
}

#[test]
fn a_terminal_gets_a_header_and_aligned_columns() {
    let m = marker("wait-term");
    let v = Victim::start(&m, &["--zombie"]);
    let zombie = v.family.zombie.expect("a zombie child");
    // A zombie has already ended (when is unknown); its parent never reaps
    // it, but the zombie itself tells how it ended (`_exit(0)`).
    let args = format!("wait --status-wait 0 {NEVER_A_PID} {zombie}");
    let Some(text) = on_terminal(&args, &[("NO_COLOR", "1")]) else {
        return;
    };
    let row = |cells: [&str; 5]| {
        format!(
            "{:<9}{:<18}{:<10}{:<9}{}",
            cells[0], cells[1], cells[2], cells[3], cells[4]
        )
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            row(["PID", "NAME", "ENDED", "RAN", "STATUS"]),
            row([&NEVER_A_PID.to_string(), "-", "-", "-", "not running"]),
            row([&zombie.to_string(), "ptool-victim", "-", "-", "exited 0"]),
        ],
        "{text}"
    );
}

/// A FIFO as `--pidfile` is refused at once (the open used to block until a
/// writer came, with `--timeout` not running), with or without --timeout.
#[test]
fn a_fifo_pidfile_is_refused_at_once() {
    let dir = TempDir::new("wait-fifo");
    let fifo = dir.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let fifo = fifo.to_str().unwrap();
    for extra in [&[][..], &["--timeout", "1s"][..]] {
        let mut args = vec!["wait", "--pidfile", fifo];
        args.extend_from_slice(extra);
        let started = Instant::now();
        let out = ptool(&args);
        out.usage_error();
        assert!(started.elapsed() < Duration::from_secs(1), "{args:?}");
        assert_eq!(
            out.stderr,
            format!("ptool: cannot read pidfile {fifo}: not a regular file (a FIFO)\n")
        );
    }
    let out = ptool(["wait", "--pidfile", dir.dir().to_str().unwrap()]);
    out.usage_error();
    assert!(out.stderr.contains("(a directory)"), "{}", out.stderr);
}
