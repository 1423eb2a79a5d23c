//! `ptool spawn`: detached starts (sessions, logs, pidfiles, exec failures)
//! and `--wait` (exit codes, signal forwarding, timeouts and group cleanup).
//!
//! Detached commands are not children of this process: they are re-parented
//! to it (a subreaper) when ptool exits. Every process ptool starts is held
//! by a [`Reaper`], which kills it through a pidfd and reaps it, once the
//! test has its PID; a [`MarkerGuard`] declared first ends those carrying
//! the test's marker that a failing test never got to hold.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use crate::support::*;

/// `ptool spawn EXTRA... -- ptool-victim MARKER --forever`.
fn spawn_victim(extra: &[&str], m: &str) -> Output {
    let mut args = vec!["spawn"];
    args.extend_from_slice(extra);
    args.extend(["--", victim_path(), m, "--forever"]);
    ptool(args)
}

/// Fields of `/proc/PID/stat` after the name: `f[0]` is field 3 (state).
fn stat(pid: i32) -> Vec<String> {
    stat_fields(pid).1
}

fn pgid_sid_tty(pid: i32) -> (i32, i32, i32) {
    let f = stat(pid);
    (
        f[2].parse().unwrap(),
        f[3].parse().unwrap(),
        f[4].parse().unwrap(),
    )
}

fn pid_of(text: &str) -> i32 {
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("not a PID: {text:?}"))
}

#[test]
fn detached_command_gets_its_own_session_and_ptool_returns_at_once() {
    let m = marker("spawn-detached");
    let _guard = MarkerGuard::new(&m);
    let mut started = Reaper::default();
    let out = ptool(["--json", "spawn", "--", victim_path(), &m, "--forever"]);
    out.success();
    let json = out.json();
    let pid = json["pid"].as_i64().unwrap() as i32;
    started.add(pid);
    // ptool returned while the command runs on (it never ends by itself).
    assert!(alive(pid), "{out:#?}");
    let (pgid, sid, tty) = pgid_sid_tty(pid);
    assert_eq!((pgid, sid), (pid, pid), "a session and group of its own");
    assert_eq!(tty, 0, "no controlling terminal, so no hangup reaches it");
    assert_ne!(pgid, nix::unistd::getpgrp().as_raw());
    assert_eq!(json["pgid"], pid);
    assert_eq!(json["sid"], pid);
    assert_eq!(json["command"][0], victim_path());
    assert_eq!(json["command"][1], m.as_str());
    assert!(json["stdout"].is_null() && json["pidfile"].is_null());
    // stdin is /dev/null, and none of ptool's other descriptors came along.
    let stdin = std::fs::read_link(format!("/proc/{pid}/fd/0")).unwrap();
    assert_eq!(stdin, Path::new("/dev/null"));
    let fds: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for fd in &fds {
        // The command may still be starting and open and close files of
        // its own; one closed since the listing was not inherited (an
        // inherited descriptor stays open).
        let target = match std::fs::read_link(format!("/proc/{pid}/fd/{fd}")) {
            Ok(target) => target,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("fd {fd} of {pid}: {e}"),
        };
        assert!(
            !target.to_string_lossy().starts_with("pipe:"),
            "fd {fd} is a pipe: {target:?}"
        );
    }
}

#[test]
fn plain_output_is_the_pid_and_output_lands_in_the_logs() {
    let dir = TempDir::new("spawn-logs");
    let (log, err) = (dir.path("out.log"), dir.path("err.log"));
    std::fs::write(&log, "before\n").unwrap();
    let mut started = Reaper::default();
    let out = ptool([
        "spawn".as_ref(),
        "--stdout".as_ref(),
        log.as_os_str(),
        "--stderr".as_ref(),
        err.as_os_str(),
        "--".as_ref(),
        "sh".as_ref(),
        "-c".as_ref(),
        "echo out; echo err >&2".as_ref(),
    ]);
    out.success();
    let pid = pid_of(&out.stdout);
    started.add(pid);
    assert!(started.wait_gone(pid), "{pid} did not exit");
    // Appended, not truncated.
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "before\nout\n");
    assert_eq!(std::fs::read_to_string(&err).unwrap(), "err\n");

    let both = dir.path("both.log");
    let out = ptool([
        "spawn".as_ref(),
        "--log".as_ref(),
        both.as_os_str(),
        "--".as_ref(),
        "sh".as_ref(),
        "-c".as_ref(),
        "echo one; echo two >&2".as_ref(),
    ]);
    out.success();
    let pid = pid_of(&out.stdout);
    started.add(pid);
    assert!(started.wait_gone(pid), "{pid} did not exit");
    assert_eq!(std::fs::read_to_string(&both).unwrap(), "one\ntwo\n");
}

#[test]
fn pidfile_holds_the_pid_and_a_live_one_is_refused() {
    let m = marker("spawn-pidfile");
    let second = marker("spawn-pidfile-second");
    let _guards = (MarkerGuard::new(&m), MarkerGuard::new(&second));
    let dir = TempDir::new("spawn-pidfile");
    let pidfile = dir.path("app.pid");
    let pf = pidfile.to_str().unwrap();
    let mut started = Reaper::default();
    let out = spawn_victim(&["--pidfile", pf], &m);
    out.success();
    let pid = pid_of(&out.stdout);
    started.add(pid);
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{pid}\n")
    );
    assert_eq!(dir.entries(), ["app.pid"], "no temporary file left");

    let out = spawn_victim(&["--pidfile", pf], &second);
    out.expect_code(1);
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains(&format!("PID {pid}")) && out.stderr.contains("--replace"),
        "{out:#?}"
    );
    assert!(carrying(&second).is_empty(), "nothing was started");
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{pid}\n")
    );

    let out = spawn_victim(&["--pidfile", pf, "--replace"], &second);
    out.success();
    let new = pid_of(&out.stdout);
    started.add(new);
    assert_ne!(new, pid);
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        format!("{new}\n")
    );
}

#[test]
fn stale_pidfiles_are_replaced() {
    let m = marker("spawn-stale");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("spawn-stale");
    let pidfile = dir.path("app.pid");
    let pf = pidfile.to_str().unwrap();
    let mut started = Reaper::default();

    // A PID whose process is gone.
    let mut gone = Command::new("true").spawn().unwrap();
    let dead = gone.id();
    gone.wait().unwrap();
    std::fs::write(&pidfile, format!("{dead}\n")).unwrap();
    // Each start replaces the stale file and runs.
    let mut start_replacing = || {
        let out = spawn_victim(&["--pidfile", pf], &m);
        out.success();
        started.add(pid_of(&out.stdout));
    };
    start_replacing();

    // A live PID that started after the file was written: the PID was
    // reused, the file is stale.
    let v = Victim::start(&marker("spawn-reused"), &[]);
    std::fs::write(&pidfile, format!("{}\n", v.pid())).unwrap();
    let file = std::fs::File::options().write(true).open(&pidfile).unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(3600))
        .unwrap();
    start_replacing();

    // Something that is not a pidfile is not overwritten.
    std::fs::write(&pidfile, "important data\n").unwrap();
    let out = ptool(["spawn", "--pidfile", pf, "--", "true"]);
    out.expect_code(1);
    assert!(out.stderr.contains("does not hold PIDs"), "{out:#?}");
    assert_eq!(
        std::fs::read_to_string(&pidfile).unwrap(),
        "important data\n"
    );
}

#[test]
fn missing_or_unexecutable_commands_fail_without_a_pidfile() {
    let dir = TempDir::new("spawn-missing");
    let pidfile = dir.path("app.pid");
    let pf = pidfile.to_str().unwrap();
    let out = ptool(["spawn", "--pidfile", pf, "--", "ptool-no-such-command-x"]);
    out.expect_code(127);
    assert_eq!(
        out.stderr,
        "ptool: cannot run 'ptool-no-such-command-x': command not found\n"
    );
    assert!(out.stdout.is_empty());
    assert!(dir.entries().is_empty(), "no pidfile: {:?}", dir.entries());

    let script = dir.path("script");
    std::fs::write(&script, "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = ptool(["spawn", "--pidfile", pf, "--", script.to_str().unwrap()]);
    out.expect_code(126);
    assert!(out.stderr.contains("permission denied"), "{out:#?}");
    assert_eq!(dir.entries(), ["script"]);

    // The same in the foreground.
    ptool(["spawn", "--wait", "--", "ptool-no-such-command-x"]).expect_code(127);
    let out = ptool(["spawn", "-C", "/nonexistent-ptool-dir", "--", "true"]);
    out.expect_code(125);
    assert!(out.stderr.contains("cannot change directory"), "{out:#?}");
}

#[test]
fn copies_are_numbered_in_their_environment() {
    let m = marker("spawn-copies");
    let _guard = MarkerGuard::new(&m);
    let dir = TempDir::new("spawn-copies");
    let pidfile = dir.path("pool.pid");
    let mut started = Reaper::default();
    let out = spawn_victim(
        &["--json", "-n", "3", "--pidfile", pidfile.to_str().unwrap()],
        &m,
    );
    out.success();
    let records = out.json();
    let records = records.as_array().expect("an array with -n");
    assert_eq!(records.len(), 3);
    let mut pids = Vec::new();
    for (i, r) in records.iter().enumerate() {
        let pid = r["pid"].as_i64().unwrap() as i32;
        started.add(pid);
        pids.push(pid);
        assert_eq!(r["index"], i);
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
        let want = format!("PTOOL_INDEX={i}");
        assert!(
            environ.split(|&b| b == 0).any(|v| v == want.as_bytes()),
            "{pid} lacks {want}"
        );
    }
    let written: Vec<i32> = std::fs::read_to_string(&pidfile)
        .unwrap()
        .lines()
        .map(pid_of)
        .collect();
    assert_eq!(written, pids);
}

#[test]
fn environment_directory_umask_and_niceness_are_applied() {
    let dir = TempDir::new("spawn-env");
    let out = ptool([
        "spawn",
        "--wait",
        "--clear-env",
        "-e",
        "GREETING=a=b",
        "-C",
        dir.dir().to_str().unwrap(),
        "--umask",
        "027",
        "--nice",
        "7",
        "--",
        "sh",
        "-c",
        "echo \"$GREETING\"; pwd; umask; env | grep -c . ; cut -d' ' -f19 /proc/self/stat",
    ]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "a=b");
    assert_eq!(
        Path::new(lines[1]).canonicalize().unwrap(),
        dir.dir().canonicalize().unwrap()
    );
    assert_eq!(lines[2], "0027");
    // sh adds PWD (and maybe SHLVL) of its own; nothing of ours leaked.
    assert!(lines[3].parse::<u32>().unwrap() <= 4, "{out:#?}");
    assert_eq!(lines[4], "7");
}

#[test]
fn bad_values_are_usage_errors() {
    for args in [
        &["spawn", "--nice", "20", "--", "true"][..],
        &["spawn", "--nice", "x", "--", "true"],
        &["spawn", "--umask", "9", "--", "true"],
        &["spawn", "--umask", "1777", "--", "true"],
        &["spawn", "-e", "NOEQUALS", "--", "true"],
        &["spawn", "-e", "=v", "--", "true"],
        &["spawn", "-n", "0", "--", "true"],
        &["spawn", "-n", "-1", "--", "true"],
        &["spawn", "--timeout", "1s", "--", "true"],
        &["spawn", "--wait", "--timeout", "5x", "--", "true"],
        &[
            "spawn", "--wait", "-t", "1s", "--signal", "TREM", "--", "true",
        ],
        &["spawn", "--wait", "--kill-after", "1s", "--", "true"],
        &["spawn", "--wait", "-n", "2", "--", "true"],
        &["spawn", "--log", "a", "--stdout", "b", "--", "true"],
        &["spawn", "--replace", "--", "true"],
        &["spawn"],
    ] {
        let out = ptool(args);
        out.usage_error();
    }
    let out = ptool(["spawn", "--wait", "-t", "1s", "-s", "TREM", "--", "true"]);
    assert!(out.stderr.contains("did you mean TERM?"), "{out:#?}");
}

#[test]
fn wait_passes_the_exit_code_through() {
    let m = marker("spawn-code");
    ptool(["spawn", "--wait", "--", victim_path(), &m, "--exit", "42"]).expect_code(42);
    ptool(["spawn", "--wait", "--", "true"]).success();
    // Died of USR1 (10): 128 + 10.
    let out = ptool(["spawn", "--wait", "--", "sh", "-c", "kill -USR1 $$"]);
    out.expect_code(138);
    assert!(out.stderr.is_empty(), "{out:#?}");
}

#[test]
fn timeout_ends_the_whole_group_with_124() {
    let m = marker("spawn-timeout");
    let _guard = MarkerGuard::new(&m);
    let out = ptool([
        "spawn",
        "--wait",
        "--timeout",
        "500ms",
        "--",
        victim_path(),
        &m,
        "--kids",
        "_,_(_)",
        "--forever",
    ]);
    let mut started = Reaper::default();
    let pids = family_pids(out.stdout.lines());
    for &pid in &pids {
        started.add(pid);
    }
    out.expect_code(124);
    assert_eq!(pids.len(), 4, "{out:#?}");
    assert!(out.stderr.contains("timed out after 500ms"), "{out:#?}");
    for pid in pids {
        assert!(!alive(pid), "{pid} outlived the timeout");
    }
    assert!(carrying(&m).is_empty());
}

#[test]
fn a_term_ignoring_command_gets_kill_and_137() {
    let m = marker("spawn-kill");
    let _guard = MarkerGuard::new(&m);
    let out = ptool([
        "spawn",
        "--wait",
        "-t",
        "200ms",
        "-k",
        "200ms",
        "--",
        victim_path(),
        &m,
        "--ignore",
        "TERM",
        "--forever",
    ]);
    let mut started = Reaper::default();
    for pid in family_pids(out.stdout.lines()) {
        started.add(pid);
    }
    out.expect_code(137);
    assert!(out.stderr.contains("sent SIGKILL"), "{out:#?}");
    assert!(out.elapsed >= Duration::from_millis(400), "{out:#?}");
    assert!(carrying(&m).is_empty());
}

#[test]
fn a_lingering_group_member_is_killed_after_the_grace() {
    // The command dies of TERM, a background member ignores it: ptool waits
    // out --kill-after, kills it, and exits 124 (the command needed no KILL).
    let m = marker("spawn-linger");
    let _guard = MarkerGuard::new(&m);
    let script = format!(
        "(trap '' TERM; exec {v} {m} --forever) & exec {v} {m} --forever",
        v = victim_path()
    );
    let out = ptool([
        "spawn", "--wait", "-t", "500ms", "-k", "200ms", "--", "sh", "-c", &script,
    ]);
    let mut started = Reaper::default();
    let pids = family_pids(out.stdout.lines());
    for &pid in &pids {
        started.add(pid);
    }
    out.expect_code(124);
    assert_eq!(pids.len(), 2, "{out:#?}");
    assert!(out.stderr.contains("sent SIGKILL"), "{out:#?}");
    assert!(carrying(&m).is_empty(), "a member outlived ptool");
}

/// `ptool spawn --wait -- ptool-victim MARKER --forever EXTRA...`.
fn waiting_on_victim(m: &str, extra: &[&str]) -> Command {
    let mut args = vec!["spawn", "--wait", "--", victim_path(), m, "--forever"];
    args.extend_from_slice(extra);
    ptool_cmd(args)
}

#[test]
fn signals_sent_to_ptool_reach_the_command() {
    use rustix::process::Signal as S;
    for (sig, code) in [(S::TERM, 143), (S::USR1, 138), (S::HUP, 129)] {
        let m = marker("spawn-forward");
        let _guard = MarkerGuard::new(&m);
        let mut ptool = Background::start(waiting_on_victim(&m, &[]));
        let line = ptool.next_line();
        let pids = family_pids(line.lines());
        let pid = pids[0];
        let mut started = Reaper::default();
        started.add(pid);
        assert_eq!(pids, [pid], "a victim without kids: {line}");
        // The command leads its own group, apart from ptool's.
        let (pgid, _, _) = pgid_sid_tty(pid);
        assert_eq!(pgid, pid);
        assert_ne!(pgid, pgid_sid_tty(ptool.pid()).0);
        ptool.signal(sig);
        let (exit, _, stderr) = ptool.finish();
        assert_eq!(exit, code, "{sig:?}: {stderr:?}");
        assert!(stderr.is_empty(), "{stderr:?}");
        assert!(started.wait_gone(pid), "{pid} did not exit");
    }
}

#[test]
fn a_signal_ignored_when_ptool_started_stays_ignored() {
    use rustix::process::Signal as S;
    use std::os::unix::process::CommandExt;
    let m = marker("spawn-nohup");
    let _guard = MarkerGuard::new(&m);
    let mut cmd = waiting_on_victim(&m, &["--report", "HUP,USR1"]);
    // As `nohup` leaves it.
    // SAFETY: signal is async-signal-safe.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let mut ptool = Background::start(cmd);
    let pid = family_pids(ptool.next_line().lines())[0];
    let mut started = Reaper::default();
    started.add(pid);
    // The command catches HUP itself, as a daemon that reloads on HUP
    // would. Forwarding keeps order, so a HUP passed on would come first.
    ptool.signal(S::HUP);
    ptool.signal(S::USR1);
    assert_eq!(ptool.next_line(), "caught 10");
    ptool.signal(S::TERM);
    let (exit, _, stderr) = ptool.finish();
    assert_eq!(exit, 143, "{stderr:?}");
    assert!(started.wait_gone(pid), "{pid} did not exit");
}

/// A shell running as session leader on a new pseudo-terminal, as a login
/// shell would: the terminal is its controlling terminal and its process
/// group the foreground group. Killed and reaped on drop.
struct OnTerminal {
    shell: Option<Child>,
    master: std::fs::File,
    output: mpsc::Receiver<String>,
}

impl OnTerminal {
    fn start(script: &str, args: &[&str]) -> OnTerminal {
        use std::os::unix::process::CommandExt;
        init();
        let pty = nix::pty::openpty(None, None).expect("openpty");
        let slave = std::fs::File::from(pty.slave);
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(script).args(args);
        cmd.stdin(slave.try_clone().unwrap())
            .stdout(slave.try_clone().unwrap())
            .stderr(slave);
        // SAFETY: setsid and ioctl are async-signal-safe system calls; the
        // closure allocates nothing.
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let shell = cmd.spawn().expect("start a shell on a terminal");
        let master = std::fs::File::from(pty.master);
        let mut reader = master.try_clone().unwrap();
        let (tx, output) = mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Read;
            let mut buf = [0u8; 4096];
            // Ends with EIO once the last slave descriptor is closed.
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0
                    || tx
                        .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                        .is_err()
                {
                    break;
                }
            }
        });
        OnTerminal {
            shell: Some(shell),
            master,
            output,
        }
    }

    /// Read terminal output (bounded) until a line satisfies `want`.
    fn line_where(&self, seen: &mut String, want: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + BOUND;
        loop {
            if let Some(line) = seen.split(['\r', '\n']).find(|l| want(l)) {
                return line.to_string();
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.output.recv_timeout(left) {
                Ok(chunk) => seen.push_str(&chunk),
                Err(_) => panic!("terminal output never had the line; got {seen:?}"),
            }
        }
    }

    fn type_bytes(&mut self, bytes: &[u8]) {
        use std::io::Write;
        self.master.write_all(bytes).expect("write to the terminal");
    }

    fn finish(&mut self) -> i32 {
        let mut shell = self.shell.take().expect("running");
        let fd = pidfd(shell.id() as i32).expect("pidfd");
        assert!(wait_fd(&fd, BOUND), "the shell did not exit");
        shell.wait().expect("reap").code().unwrap_or(-1)
    }
}

impl Drop for OnTerminal {
    fn drop(&mut self) {
        if let Some(mut shell) = self.shell.take() {
            let _ = shell.kill();
            let _ = shell.wait();
        }
    }
}

#[test]
fn on_a_terminal_the_command_gets_the_foreground_and_ctrl_c() {
    let m = marker("spawn-tty");
    let _guard = MarkerGuard::new(&m);
    let mut term = OnTerminal::start(
        "\"$0\" spawn --wait -- \"$1\" \"$2\" --forever; echo \"rc=$?\"; \
         echo \"after $(cut -d' ' -f5,8 /proc/$$/stat)\"",
        &[ptool_path(), victim_path(), &m],
    );
    let mut seen = String::new();
    let family = term.line_where(&mut seen, |l| l.starts_with("{\"pid\""));
    let pids = family_pids(family.lines());
    let pid = pids[0];
    let mut started = Reaper::default();
    started.add(pid);
    assert_eq!(pids, [pid], "a victim without kids: {family}");
    // The command leads its own group, and that group has the terminal.
    let f = stat(pid);
    assert_eq!(f[2], pid.to_string(), "pgid");
    assert_eq!(f[5], pid.to_string(), "the terminal's foreground group");
    // Ctrl-C reaches the command (once, from the terminal); ptool exits 130.
    term.type_bytes(b"\x03");
    // The terminal echoes "^C" before the shell's next line.
    let rc = term.line_where(&mut seen, |l| l.contains("rc="));
    assert!(rc.ends_with("rc=130"), "{seen:?}");
    // ptool gave the terminal back to the shell's group.
    let after = term.line_where(&mut seen, |l| l.starts_with("after "));
    let ids: Vec<&str> = after["after ".len()..].split(' ').collect();
    assert_eq!(
        ids[0], ids[1],
        "the shell's group has the terminal: {after}"
    );
    assert_eq!(term.finish(), 0);
    assert!(started.wait_gone(pid), "{pid} did not exit");
}

#[test]
fn a_detached_command_survives_its_terminal_hanging_up() {
    let m = marker("spawn-hup");
    let _guard = MarkerGuard::new(&m);
    let term = OnTerminal::start(
        "\"$0\" spawn -- \"$1\" \"$2\" --forever; \
         \"$1\" \"$2\" --forever & echo \"control $!\"; exec sleep 1000",
        &[ptool_path(), victim_path(), &m],
    );
    let mut seen = String::new();
    let pid_line = term.line_where(&mut seen, |l| l.trim().parse::<i32>().is_ok());
    let pid = pid_of(&pid_line);
    let control = term.line_where(&mut seen, |l| l.starts_with("control "));
    let control = pid_of(&control["control ".len()..]);
    let mut started = Reaper::default();
    started.add(pid);
    started.add(control);
    // The session leader dies: the kernel hangs up its terminal, sending
    // SIGHUP to the terminal's foreground group. The control process there
    // dies of it; the detached command, in a session of its own, does not.
    let mut term = term;
    term.shell
        .as_mut()
        .expect("running")
        .kill()
        .expect("kill the shell");
    term.finish();
    assert!(started.wait_gone(control), "{control} did not exit");
    assert!(alive(pid), "the detached command was hung up too");
}

#[test]
fn a_group_leader_outside_the_pid_namespace_reads_as_0() {
    // In a container started from a shell outside it, ptool's own process
    // group and session leaders are not in its PID namespace, and
    // getpgrp() says 0. `unshare` (util-linux) builds one: skip where it
    // is missing or may not.
    let unshare = |args: &[&str]| {
        let mut cmd = Command::new("unshare");
        cmd.args([
            "--user",
            "--map-root-user",
            "--pid",
            "--fork",
            "--mount-proc",
            "--kill-child",
            "--",
        ]);
        cmd.args(args);
        cmd
    };
    let probe = unshare(&["true"]).status();
    if !probe.is_ok_and(|s| s.success()) {
        cannot_run("cannot create a PID namespace here (unshare --pid)");
        return;
    }
    let m = marker("spawn-namespace");
    let script = r#""$0" ls -o pid,pgid,sid && "$0" spawn --wait -- sh -c 'exit 3' "$1""#;
    let out = run(
        unshare(&["sh", "-c", script, ptool_path(), &m]),
        None,
        BOUND,
    );
    out.expect_code(3);
    assert!(out.stderr.is_empty(), "{out:#?}");
    // The shell is PID 1 there; its group and session read as 0.
    let row = |pid: &str| {
        out.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(pid))
    };
    let fields: Vec<&str> = row("1").expect("PID 1 listed").split_whitespace().collect();
    assert_eq!(fields, ["1", "0", "0"], "{out:#?}");
}
