//! `ptool lock`: mutual exclusion checked by the critical sections
//! themselves, semaphores, holders that die, timeouts, signals, what
//! COMMAND leaves behind, `lock show` against `/proc/locks` and `flock(1)`,
//! and hostile lock names.
//!
//! Locks are paths in a [`TempDir`] unless a test is about plain names. A
//! process is "waiting" when the kernel lists its blocked request in
//! `/proc/locks` (read here directly, not through ptool).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

/// `flock(1)`, or `None` (the test says why) where it is missing; with
/// `CI=true` a missing tool fails the test instead.
fn flock_tool() -> Option<&'static str> {
    if Command::new("flock").arg("--version").output().is_ok() {
        return Some("flock");
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "flock(1) (util-linux) is needed for this test; .ci/run installs it"
    );
    eprintln!("skipped: flock(1) (util-linux) is not installed");
    None
}

/// Wait (bounded) until `cond` holds, re-checking every few milliseconds.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + BOUND;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The PIDs the kernel lists as blocked in a lock request.
fn blocked_pids() -> Vec<i32> {
    let text = std::fs::read_to_string("/proc/locks").expect("/proc/locks");
    text.lines()
        .filter(|l| l.contains("->"))
        .filter_map(|l| l.split_whitespace().nth(5)?.parse().ok())
        .collect()
}

/// Wait until `pid` is blocked waiting for a lock.
fn wait_blocked(pid: i32) {
    wait_until(&format!("PID {pid} to wait for the lock"), || {
        blocked_pids().contains(&pid)
    });
}

/// `ptool lock show --json PATH`: the one lock's state.
fn show(path: &str) -> serde_json::Value {
    let out = ptool(["lock", "show", "--json", path]);
    out.success();
    out.json()[0].clone()
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 path").to_string()
}

/// A holder: `ptool lock ARGS... -- ptool-victim MARKER --forever`, once
/// the victim has said it runs (so the lock is held). Returns the victim's
/// PID too.
fn holder(args: &[&str], m: &str) -> (Background, i32) {
    let mut all = vec!["lock"];
    all.extend_from_slice(args);
    all.extend(["--", victim_path(), m, "--forever"]);
    let bg = Background::start(ptool_cmd(all));
    let line = bg.next_line();
    let v: serde_json::Value = serde_json::from_str(&line).expect("victim line");
    (bg, v["pid"].as_i64().expect("pid") as i32)
}

#[test]
fn concurrent_holders_never_overlap_with_ptool_and_flock_mixed() {
    let Some(flock) = flock_tool() else { return };
    let m = marker("lock-exclusion");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-exclusion");
    let lock = path_str(&dir.path("L"));
    let count = dir.file("count", b"0\n");
    let inside = path_str(&dir.path("inside"));
    // The critical section checks exclusion itself: `mkdir` fails if
    // another holder is inside (exit 99), and the counter is read,
    // bumped after a pause and written back, so an overlap loses counts.
    let section = format!(
        "mkdir {inside} || exit 99; n=$(cat {count}); \
         sleep 0.002; echo $((n+1)) > {count}; rmdir {inside}"
    );
    let rounds = 10;
    let mut loops = Vec::new();
    for i in 0..6 {
        let tool = if i % 2 == 0 {
            format!("{} lock {lock} -- sh -c \"$1\" {m}", ptool_path())
        } else {
            format!("{flock} {lock} sh -c \"$1\" {m}")
        };
        let script =
            format!("i=0; while [ $i -lt {rounds} ]; do {tool} || exit $?; i=$((i+1)); done");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &script, &m, &section]);
        loops.push(Background::start(cmd));
    }
    for mut l in loops {
        let (code, _, err) = l.finish();
        assert_eq!(code, 0, "a critical section found another inside: {err:?}");
    }
    let total: u32 = std::fs::read_to_string(&count)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(total, 6 * rounds, "every section ran once, none overlapped");
}

#[test]
fn max_3_lets_exactly_3_in_and_a_freed_slot_goes_to_one_waiter() {
    let m = marker("lock-max");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-max");
    let lock = path_str(&dir.path("gpu"));
    let d = path_str(dir.dir());
    // Each slot's holder makes a directory named after its slot (mkdir
    // fails if the slot is taken twice), says so, and waits; on TERM it
    // removes it and exits 0.
    let section = format!(
        "mkdir {d}/s$PTOOL_SLOT || exit 99; echo in $PTOOL_SLOT; \
         trap 'rmdir {d}/s$PTOOL_SLOT; exit 0' TERM; {} {m} --forever >/dev/null & wait",
        victim_path()
    );
    let all: Vec<Background> = (0..5)
        .map(|_| {
            Background::start(ptool_cmd([
                "lock", "--max", "3", &lock, "--", "sh", "-c", &section, &m,
            ]))
        })
        .collect();
    let mut inside: Vec<(usize, u32)> = Vec::new();
    let deadline = Instant::now() + BOUND;
    while inside.len() < 3 {
        assert!(Instant::now() < deadline, "3 holders within the bound");
        for (i, bg) in all.iter().enumerate() {
            if let Some(line) = bg.try_line(Duration::from_millis(5)) {
                let slot: u32 = line.strip_prefix("in ").unwrap().parse().unwrap();
                inside.push((i, slot));
            }
        }
    }
    let waiting: Vec<usize> = (0..5)
        .filter(|i| !inside.iter().any(|h| h.0 == *i))
        .collect();
    for &i in &waiting {
        wait_blocked(all[i].pid());
    }
    let mut slots: Vec<u32> = inside.iter().map(|h| h.1).collect();
    slots.sort_unstable();
    assert_eq!(slots, vec![0, 1, 2], "three distinct slots");
    // The kernel's view, through ptool: 3 holders, 2 waiters on all slots.
    let state = show(&lock);
    assert_eq!(state["slots"], 3, "{state:#}");
    assert_eq!(state["holders"].as_array().unwrap().len(), 3, "{state:#}");
    let waiters = state["waiters"].as_array().unwrap();
    assert_eq!(waiters.len(), 2, "{state:#}");
    for w in waiters {
        assert_eq!(w["slots"], serde_json::json!([0, 1, 2]), "{state:#}");
        assert!(
            waiting
                .iter()
                .any(|&i| all[i].pid() as i64 == w["pid"].as_i64().unwrap())
        );
    }
    // Free one slot: exactly one waiter takes it.
    let (freed_by, freed_slot) = inside[0];
    all[freed_by].signal(rustix::process::Signal::TERM);
    let deadline = Instant::now() + BOUND;
    let mut next = None;
    while next.is_none() {
        assert!(Instant::now() < deadline, "a waiter took the freed slot");
        for &i in &waiting {
            if let Some(line) = all[i].try_line(Duration::from_millis(5)) {
                next = Some((i, line));
            }
        }
    }
    let (taker, line) = next.unwrap();
    assert_eq!(line, format!("in {freed_slot}"));
    let still: Vec<usize> = waiting.into_iter().filter(|&i| i != taker).collect();
    assert_eq!(still.len(), 1);
    assert!(all[still[0]].running());
    wait_blocked(all[still[0]].pid());
    // The last waiter gives up (143, never ran); the holders leave (0).
    let mut all: Vec<Option<Background>> = all.into_iter().map(Some).collect();
    let mut last = all[still[0]].take().unwrap();
    last.signal(rustix::process::Signal::TERM);
    assert_eq!(last.finish().0, 143);
    for bg in all.iter().flatten() {
        if bg.running() {
            bg.signal(rustix::process::Signal::TERM);
        }
    }
    for mut bg in all.into_iter().flatten() {
        let (code, _, err) = bg.finish();
        assert_eq!(code, 0, "{err:?}");
    }
}

#[test]
fn sigkill_of_ptool_or_of_command_frees_the_lock_at_once() {
    let m = marker("lock-kill");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-kill");
    let lock = path_str(&dir.path("L"));
    let mut held = Reaper::default();

    // ptool killed: the waiter gets the lock, and COMMAND dies with ptool.
    let (first, command) = holder(&[&lock], &m);
    held.add(command);
    let mut waiter = Background::start(ptool_cmd(["lock", &lock, "--", "echo", "got it"]));
    wait_blocked(waiter.pid());
    first.signal(rustix::process::Signal::KILL);
    let (code, out, _) = waiter.finish();
    assert_eq!((code, out), (0, vec!["got it".to_string()]));
    assert!(held.wait_gone(command), "COMMAND dies with its ptool");

    // COMMAND killed: ptool exits 137 and the lock is free.
    let (mut second, command) = holder(&[&lock], &m);
    held.add(command);
    let mut waiter = Background::start(ptool_cmd(["lock", &lock, "--", "echo", "got it"]));
    wait_blocked(waiter.pid());
    let fd = pidfd(command).expect("pidfd");
    rustix::process::pidfd_send_signal(&fd, rustix::process::Signal::KILL).unwrap();
    let (code, _, _) = second.finish();
    assert_eq!(code, 137, "128 + SIGKILL");
    let (code, out, _) = waiter.finish();
    assert_eq!((code, out), (0, vec!["got it".to_string()]));
}

#[test]
fn timeout_and_no_wait_exit_124_without_running_the_command() {
    let m = marker("lock-timeout");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-timeout");
    let lock = path_str(&dir.path("L"));
    let ran = path_str(&dir.path("ran"));
    let (holder, _) = holder(&[&lock], &m);
    for (args, code) in [
        (vec!["--no-wait"], 124),
        (vec!["--timeout", "200ms"], 124),
        (vec!["--timeout", "0"], 124),
        (vec!["-n", "--conflict-exit-code", "7"], 7),
        (vec!["-t", "100ms", "-E", "0"], 0),
    ] {
        let mut all = vec!["lock"];
        all.extend(args.iter().copied());
        all.extend([lock.as_str(), "--", "touch", &ran]);
        let out = ptool(&all);
        out.expect_code(code);
        assert!(!Path::new(&ran).exists(), "COMMAND ran: {args:?}");
        assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
        assert!(
            out.stderr
                .contains(&format!("held by PID {} (ptool)", holder.pid())),
            "{out:#?}"
        );
        if args.contains(&"200ms") {
            assert!(out.elapsed >= Duration::from_millis(200), "{out:#?}");
            assert!(out.stderr.contains("not acquired within"), "{out:#?}");
        }
    }
    let out = ptool(["-q", "lock", "-n", &lock, "--", "true"]);
    out.expect_code(124);
    assert!(out.stderr.is_empty(), "-q says nothing: {out:#?}");
    // The same lock file under flock(1): busy there too, with flock's 1.
    if let Some(flock) = flock_tool() {
        let status = Command::new(flock)
            .args(["-n", &lock, "true"])
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1));
    }
    let out = ptool([
        "lock",
        "-n",
        &path_str(&dir.path("free")),
        "--",
        "touch",
        &ran,
    ]);
    out.success();
    assert!(Path::new(&ran).exists());
}

#[test]
fn ctrl_c_or_term_while_waiting_gives_up_cleanly() {
    let m = marker("lock-sigwait");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-sigwait");
    let lock = path_str(&dir.path("L"));
    let ran = path_str(&dir.path("ran"));
    let (_holder, _) = holder(&[&lock], &m);
    for (signal, code) in [
        (rustix::process::Signal::INT, 130),
        (rustix::process::Signal::TERM, 143),
    ] {
        let mut waiter = Background::start(ptool_cmd(["lock", &lock, "--", "touch", &ran]));
        wait_blocked(waiter.pid());
        waiter.signal(signal);
        let (got, out, err) = waiter.finish();
        assert_eq!(got, code, "{out:?} {err:?}");
        assert!(err.is_empty(), "{err:?}");
        assert!(!Path::new(&ran).exists(), "COMMAND never started");
    }
    // --max waits on every slot; giving up leaves none of them taken.
    let mut waiter = Background::start(ptool_cmd([
        "lock", "--max", "1", &lock, "--", "touch", &ran,
    ]));
    wait_blocked(waiter.pid());
    waiter.signal(rustix::process::Signal::TERM);
    assert_eq!(waiter.finish().0, 143);
    assert!(!Path::new(&ran).exists());
}

#[test]
fn signals_are_forwarded_to_the_command_while_holding() {
    let m = marker("lock-forward");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-forward");
    let lock = path_str(&dir.path("L"));
    let mut bg = Background::start(ptool_cmd([
        "lock",
        &lock,
        "--",
        "sh",
        "-c",
        "trap 'echo got TERM; exit 5' TERM; echo ready; while :; do read x; done",
        &m,
    ]));
    assert_eq!(bg.next_line(), "ready");
    bg.signal(rustix::process::Signal::TERM);
    let (code, out, _) = bg.finish();
    assert_eq!((code, out), (5, vec!["got TERM".to_string()]));
}

#[test]
fn exit_codes_pass_through_and_ptool_slot_is_set_under_max() {
    let dir = TempDir::new("lock-codes");
    let lock = path_str(&dir.path("L"));
    ptool(["lock", &lock, "--", "sh", "-c", "exit 42"]).expect_code(42);
    ptool(["lock", &lock, "--", "sh", "-c", "kill -KILL $$"]).expect_code(137);
    let out = ptool(["lock", &lock, "--", "ptool-no-such-command-xyz"]);
    out.expect_code(127);
    assert!(out.stderr.contains("command not found"), "{out:#?}");
    let out = ptool(["lock", &lock, "--", "sh", "-c", "echo ${PTOOL_SLOT-unset}"]);
    out.success();
    assert_eq!(out.stdout, "unset\n");
    let out = ptool([
        "lock",
        "-m",
        "4",
        &lock,
        "--",
        "sh",
        "-c",
        "echo $PTOOL_SLOT",
    ]);
    out.success();
    assert_eq!(out.stdout, "0\n");
}

#[test]
fn shared_holders_share_and_an_exclusive_one_waits() {
    let m = marker("lock-shared");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-shared");
    let lock = path_str(&dir.path("L"));
    let (_reader, _) = holder(&["--shared", &lock], &m);
    ptool(["lock", "--shared", "-n", &lock, "--", "true"]).success();
    ptool(["lock", "-n", &lock, "--", "true"]).expect_code(124);
    let state = show(&lock);
    assert_eq!(state["holders"][0]["mode"], "shared", "{state:#}");
    // flock(1) agrees: shared yes, exclusive no.
    if let Some(flock) = flock_tool() {
        let shared = Command::new(flock)
            .args(["-s", "-n", &lock, "true"])
            .status();
        assert_eq!(shared.unwrap().code(), Some(0));
        let excl = Command::new(flock).args(["-n", &lock, "true"]).status();
        assert_eq!(excl.unwrap().code(), Some(1));
    }
}

#[test]
fn what_command_leaves_in_its_group_is_ended_before_the_lock_is_released() {
    let m = marker("lock-leftover");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-leftover");
    let lock = path_str(&dir.path("L"));
    let mut held = Reaper::default();
    // COMMAND starts a background process and exits.
    let script = format!("{} {m} --forever >/dev/null 2>&1 & echo $!", victim_path());
    let out = ptool(["lock", &lock, "--", "sh", "-c", &script, &m]);
    out.expect_code(0);
    let left: i32 = out.stdout.trim().parse().unwrap();
    held.add(left);
    assert!(!alive(left), "ended before ptool returned");
    assert!(out.stderr.contains("left processes running"), "{out:#?}");
    ptool(["lock", "-n", &lock, "--", "true"]).success();

    // flock(1)'s pitfall, for comparison: the background process inherits
    // the lock and holds it after flock has returned.
    let Some(flock) = flock_tool() else { return };
    let flock_lock = path_str(&dir.path("F"));
    let out = run(
        {
            let mut c = Command::new(flock);
            c.args([&flock_lock, "sh", "-c", &script, &m]);
            c
        },
        None,
        BOUND,
    );
    let left: i32 = out.stdout.trim().parse().unwrap();
    held.add(left);
    assert!(alive(left));
    ptool(["lock", "-n", &flock_lock, "--", "true"]).expect_code(124);
    let state = show(&flock_lock);
    assert_eq!(state["holders"][0]["pid"], left, "{state:#}");
}

#[test]
fn show_names_holder_command_and_waiters_like_proc_locks_and_flock() {
    let Some(flock) = flock_tool() else { return };
    let m = marker("lock-show");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-show");
    let lock = path_str(&dir.path("L"));
    let (holder_bg, command) = holder(&[&lock], &m);
    let waiter = Background::start(ptool_cmd(["lock", &lock, "--", "true"]));
    wait_blocked(waiter.pid());
    let mut flock_waiter = Command::new(flock);
    flock_waiter.args([&lock, "true"]);
    let flock_waiter = Background::start(flock_waiter);
    wait_blocked(flock_waiter.pid());

    let state = show(&lock);
    let h = &state["holders"][0];
    assert_eq!(h["pid"], holder_bg.pid(), "{state:#}");
    assert_eq!(h["command_pid"], command, "{state:#}");
    assert_eq!(h["mode"], "exclusive");
    assert!(
        h["command_line"].as_str().unwrap().contains(&m),
        "{state:#}"
    );
    assert!(h["since"].as_f64().unwrap() > 0.0);
    let waiters: Vec<i64> = state["waiters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["pid"].as_i64().unwrap())
        .collect();
    assert!(waiters.contains(&(waiter.pid() as i64)), "{state:#}");
    assert!(waiters.contains(&(flock_waiter.pid() as i64)), "{state:#}");
    // The table says the same.
    let out = ptool(["lock", "show", &lock]);
    out.success();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("\theld\t") && l.contains(&format!("\t{}\t", holder_bg.pid()))),
        "{out:#?}"
    );
    assert_eq!(
        out.stdout
            .lines()
            .filter(|l| l.contains("\twaiting\t"))
            .count(),
        2
    );
    drop(holder_bg);
    drop(waiter);
    drop(flock_waiter);

    // flock(1) killed while its command holds the inherited descriptor:
    // /proc/locks still names the dead flock, show names the real holder.
    let mut cmd = Command::new(flock);
    cmd.args([&lock, victim_path(), &m, "--forever"]);
    let flock_holder = Background::start(cmd);
    let v: serde_json::Value = serde_json::from_str(&flock_holder.next_line()).unwrap();
    let child = v["pid"].as_i64().unwrap() as i32;
    let mut held = Reaper::default();
    held.add(child);
    let state = show(&lock);
    assert_eq!(state["holders"][0]["pid"], flock_holder.pid(), "{state:#}");
    assert_eq!(state["holders"][0]["command_pid"], child, "{state:#}");
    let flock_pid = flock_holder.pid();
    flock_holder.signal(rustix::process::Signal::KILL);
    let mut flock_holder = flock_holder;
    flock_holder.finish();
    let state = show(&lock);
    assert_eq!(state["holders"][0]["pid"], child, "{state:#}");
    assert_eq!(state["holders"][0]["locked_by"], flock_pid, "{state:#}");
}

#[test]
fn show_of_a_missing_lock_exits_1_and_free_locks_say_free() {
    let dir = TempDir::new("lock-show-missing");
    let lock = path_str(&dir.path("L"));
    let out = ptool(["lock", "show", &lock]);
    out.expect_code(1);
    assert!(out.stderr.contains("no lock"), "{out:#?}");
    ptool(["lock", &lock, "--", "true"]).success();
    let state = show(&lock);
    assert_eq!(state["holders"], serde_json::json!([]));
    assert_eq!(state["waiters"], serde_json::json!([]));
    let out = ptool(["lock", "show", &lock]);
    assert!(out.stdout.contains("\tfree"), "{out:#?}");
}

#[test]
fn hostile_names_are_refused_or_handled_safely() {
    for bad in [
        "",
        ".",
        "..",
        "a b",
        "x#1",
        "tab\there",
        "dir/",
        "\u{1b}]0;pwned\u{7}",
    ] {
        let out = ptool(["lock", bad, "--", "true"]);
        out.usage_error();
        assert!(!out.stderr.contains('\u{1b}'), "{out:#?}");
    }
    let dir = TempDir::new("lock-hostile");
    let target = dir.path("target");
    let link = path_str(&dir.path("link"));
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let ran = path_str(&dir.path("ran"));
    let out = ptool(["lock", &link, "--", "touch", &ran]);
    out.expect_code(125);
    assert!(out.stderr.contains("symbolic link"), "{out:#?}");
    assert!(!target.exists(), "the symlink was not followed");
    assert!(!Path::new(&ran).exists());
    // A FIFO is refused at once (opening one could block).
    let fifo = dir.path("fifo");
    rustix::fs::mknodat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    let out = ptool(["lock", &path_str(&fifo), "--", "touch", &ran]);
    out.expect_code(125);
    assert!(out.stderr.contains("FIFO"), "{out:#?}");
    assert!(!Path::new(&ran).exists());
    // `../x` has a '/': a path, relative to where ptool runs.
    let sub = dir.path("sub");
    std::fs::create_dir(&sub).unwrap();
    let mut cmd = ptool_cmd(["lock", "../x", "--", "true"]);
    cmd.current_dir(&sub);
    run(cmd, None, BOUND).success();
    assert!(
        dir.path("x").is_file(),
        "the lock file is ../x from the cwd"
    );
}

#[test]
fn plain_names_live_in_a_private_directory() {
    let m = marker("lock-plain");
    let name = m.clone();
    let dir = if rustix::process::geteuid().is_root() {
        std::path::PathBuf::from("/run/lock/ptool")
    } else {
        let Some(run) = std::env::var_os("XDG_RUNTIME_DIR") else {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "plain lock names need root or XDG_RUNTIME_DIR"
            );
            eprintln!("skipped: not root and no XDG_RUNTIME_DIR");
            return;
        };
        Path::new(&run).join("ptool/locks")
    };
    ptool(["lock", &name, "--", "true"]).success();
    let meta = std::fs::symlink_metadata(&dir).unwrap();
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert!(meta.is_dir());
    assert_eq!(meta.permissions().mode() & 0o777, 0o700);
    assert_eq!(meta.uid(), rustix::process::geteuid().as_raw());
    let file = dir.join(&name);
    assert!(file.is_file());
    // A symlink planted at a lock's path is refused, not followed.
    let planted = format!("{name}-planted");
    let target = TempDir::new("lock-plain-target");
    std::os::unix::fs::symlink(target.path("victim"), dir.join(&planted)).unwrap();
    let out = ptool(["lock", &planted, "--", "true"]);
    out.expect_code(125);
    assert!(!target.path("victim").exists());
    let _ = std::fs::remove_file(dir.join(&planted));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn a_lock_directory_someone_else_controls_is_refused() {
    // As nobody, with XDG_RUNTIME_DIR pointing where root planted a
    // symlink, and then a directory nobody does not own.
    let dir = TempDir::new("lock-xdg");
    let elsewhere = TempDir::new("lock-xdg-elsewhere");
    std::os::unix::fs::symlink(elsewhere.dir(), dir.path("ptool")).unwrap();
    rustix::fs::chown(dir.dir(), Some(rustix::process::Uid::from_raw(65534)), None).ok();
    let Some(mut cmd) = as_nobody_cmd(&["lock", "name", "--", "true"]) else {
        return;
    };
    cmd.env("XDG_RUNTIME_DIR", dir.dir());
    let out = run(cmd, None, BOUND);
    if out.stderr.starts_with("setpriv:") {
        eprintln!("skipped: {}", out.stderr.trim());
        return;
    }
    out.expect_code(125);
    assert!(out.stderr.contains("lock directory"), "{out:#?}");
    assert!(
        elsewhere.entries().is_empty(),
        "nothing made through the link"
    );
    std::fs::remove_file(dir.path("ptool")).unwrap();
    std::fs::create_dir(dir.path("ptool")).unwrap();
    let Some(mut cmd) = as_nobody_cmd(&["lock", "name", "--", "true"]) else {
        return;
    };
    cmd.env("XDG_RUNTIME_DIR", dir.dir());
    let out = run(cmd, None, BOUND);
    out.expect_code(125);
    assert!(out.stderr.contains("owned by uid 0"), "{out:#?}");
}

/// The field names a README table row documents: the `code` spans of a
/// cell that are snake_case words outside parentheses.
fn documented(cell: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut depth = 0usize;
    let mut chars = cell.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '`' => {
                let span: String = chars.by_ref().take_while(|&c| c != '`').collect();
                if depth == 0
                    && !span.is_empty()
                    && span.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                    && span != "null"
                {
                    names.insert(span);
                }
            }
            _ => {}
        }
    }
    names
}

#[test]
fn show_json_fields_are_the_documented_ones() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = &readme[readme.find("### `ptool lock`").expect("lock section")..];
    let table: Vec<(String, String)> = section[section.find("| field |").expect("table")..]
        .lines()
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").collect();
            (cells[0].trim().to_string(), cells[1].trim().to_string())
        })
        .collect();
    let keys = |v: &serde_json::Value| -> std::collections::BTreeSet<String> {
        v.as_object().expect("object").keys().cloned().collect()
    };
    let nested = |name: &str| {
        let row = table
            .iter()
            .find(|(f, _)| *f == format!("`{name}`"))
            .unwrap_or_else(|| panic!("no row for {name}"));
        documented(&row.1)
    };
    let top: std::collections::BTreeSet<String> =
        table.iter().flat_map(|(f, _)| documented(f)).collect();

    let m = marker("lock-json");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("lock-json");
    let lock = path_str(&dir.path("L"));
    let (_holder, _) = holder(&[&lock], &m);
    let waiter = Background::start(ptool_cmd(["lock", &lock, "--", "true"]));
    wait_blocked(waiter.pid());
    let state = show(&lock);
    assert_eq!(keys(&state), top);
    assert_eq!(keys(&state["holders"][0]), nested("holders"));
    assert_eq!(keys(&state["waiters"][0]), nested("waiters"));
}
