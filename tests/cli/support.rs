//! Shared test support: running the real `ptool` binary with a time bound,
//! starting victims with a unique marker, and cleaning them up (kill and
//! reap, through pidfds) even when a test fails.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Once, OnceLock};
use std::time::{Duration, Instant};

use ptool::testing::{Need, Reader, Target};
use rustix::event::{PollFd, PollFlags};
use rustix::process::{Pid, PidfdFlags};

/// The bound on any single wait in a test.
pub const BOUND: Duration = Duration::from_secs(20);

/// A PID that no process can have: PID_MAX_LIMIT itself. The PID parser
/// accepts it, but PIDs stay below `pid_max`, which cannot exceed it.
pub const NEVER_A_PID: i64 = ptool::testing::PID_MAX_LIMIT;

/// Make this test process a child subreaper (once), so that orphans of the
/// victims are re-parented to it and can be reaped, whatever PID 1 does.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))
            .expect("PR_SET_CHILD_SUBREAPER");
    });
}

/// A marker unique to this test run, process and call: nothing else on the
/// machine carries it.
pub fn marker(tag: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "ptool-test-{tag}-{}-{}-{nanos:x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn ptool_path() -> &'static str {
    env!("CARGO_BIN_EXE_ptool")
}

/// The `ptool-victim` binary. It is a package of its own (so that
/// `cargo install --path .` does not install it), which Cargo does not
/// build for this package's tests: the first call builds it, with the
/// Cargo running the tests, into the same target directory and profile as
/// this test binary (`target/<profile>/deps/cli-HASH`), and a failed build
/// fails the test that needed it.
pub fn victim_path() -> &'static str {
    static PATH: OnceLock<String> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test binary's path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test binary is in target/<profile>/deps");
        let target_dir = profile_dir.parent().expect("target/<profile>");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "-p", "ptool-victim", "--manifest-path"])
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir)
            .stdin(Stdio::null());
        if profile_dir.file_name() == Some(OsStr::new("release")) {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo to build ptool-victim");
        assert!(status.success(), "building ptool-victim failed: {status}");
        let path = profile_dir.join("ptool-victim");
        path.into_os_string()
            .into_string()
            .expect("a UTF-8 target directory")
    })
}

/// A `Command` for the ptool binary with a predictable environment.
pub fn ptool_cmd<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    init();
    let mut cmd = Command::new(ptool_path());
    plain_env(cmd.args(args));
    cmd
}

/// `ptool ARGS` as it runs under a container seccomp profile that predates
/// pidfds: `pidfd_open` fails with EPERM. A seccomp filter is installed
/// between fork and exec; it inherits to everything ptool starts. `None`
/// (the test should skip) where this kernel or sandbox refuses filters.
pub fn ptool_without_pidfds_cmd(args: &[&str]) -> Option<Command> {
    static FILTERS_WORK: OnceLock<bool> = OnceLock::new();
    let works = *FILTERS_WORK.get_or_init(|| {
        without_pidfds(Command::new("true"))
            .status()
            .is_ok_and(|s| s.success())
    });
    works.then(|| without_pidfds(ptool_cmd(args)))
}

fn without_pidfds(mut cmd: Command) -> Command {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the child between fork and exec; it
    // builds the filter on its stack and makes two prctl calls, without
    // allocating.
    unsafe {
        cmd.pre_exec(|| {
            // A = seccomp_data.nr (offset 0); if A == pidfd_open, fail it
            // with EPERM, else allow.
            let filter = [
                libc::BPF_STMT((libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16, 0),
                libc::BPF_JUMP(
                    (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16,
                    libc::SYS_pidfd_open as u32,
                    0,
                    1,
                ),
                libc::BPF_STMT(
                    (libc::BPF_RET | libc::BPF_K) as u16,
                    libc::SECCOMP_RET_ERRNO | libc::EPERM as u32,
                ),
                libc::BPF_STMT(
                    (libc::BPF_RET | libc::BPF_K) as u16,
                    libc::SECCOMP_RET_ALLOW,
                ),
            ];
            let program = libc::sock_fprog {
                len: filter.len() as u16,
                filter: filter.as_ptr().cast_mut(),
            };
            // prctl is variadic: every argument is passed as a full word,
            // and PR_SET_NO_NEW_PRIVS wants the unused ones exactly 0.
            let zero: libc::c_ulong = 0;
            if libc::prctl(
                libc::PR_SET_NO_NEW_PRIVS,
                1 as libc::c_ulong,
                zero,
                zero,
                zero,
            ) != 0
                || libc::prctl(
                    libc::PR_SET_SECCOMP,
                    libc::SECCOMP_MODE_FILTER as libc::c_ulong,
                    &program,
                ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// The environment every ptool run in a test gets, whatever the test
/// runner's: no `NO_COLOR` inherited, and a UTF-8 locale.
fn plain_env(cmd: &mut Command) -> &mut Command {
    cmd.env_remove("NO_COLOR").env("LC_ALL", "C.UTF-8")
}

/// The exit code of a finished process, the shell's way: 128+N when it was
/// killed by signal N.
pub fn exit_code(status: ExitStatus) -> i32 {
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// What a finished ptool run said.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Output {
    pub fn code(&self) -> i32 {
        exit_code(self.status)
    }

    /// Assert the exit code, showing everything on failure.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code(), code, "unexpected exit code:\n{self:#?}");
        self
    }

    /// Assert success with an empty stderr.
    pub fn success(&self) -> &Self {
        self.expect_code(0);
        assert!(self.stderr.is_empty(), "unexpected stderr:\n{self:#?}");
        self
    }

    /// Assert a usage error: exit 2 and exactly one line on stderr.
    pub fn usage_error(&self) -> &Self {
        self.expect_code(2);
        assert_eq!(self.stderr.lines().count(), 1, "want one line:\n{self:#?}");
        assert!(self.stderr.starts_with("ptool: "), "{self:#?}");
        assert!(self.stdout.is_empty(), "{self:#?}");
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self:#?}"))
    }

    /// Each stdout line parsed as JSON (for JSON Lines output).
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        json_lines(self.stdout.lines())
    }
}

/// Each line parsed as JSON (for JSON Lines output), failing the test on
/// one that is not.
pub fn json_lines<I, S>(lines: I) -> Vec<serde_json::Value>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    lines
        .into_iter()
        .map(|l| {
            let l = l.as_ref();
            serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l:?}: {e}"))
        })
        .collect()
}

/// Run ptool with these arguments, bounded by [`BOUND`].
pub fn ptool<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    run(ptool_cmd(args), None, BOUND)
}

/// Run a command to completion with `stdin` fed to it, killing it and
/// failing the test if it takes longer than `bound`.
pub fn run(mut cmd: Command, stdin: Option<&[u8]>, bound: Duration) -> Output {
    init();
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    let guard = pidfd(child.id() as i32);
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
    let out = reader(child.stdout.take().expect("stdout"));
    let err = reader(child.stderr.take().expect("stderr"));
    let exited = guard.as_ref().map(|fd| wait_fd(fd, bound)).unwrap_or(true);
    if !exited {
        let _ = child.kill();
        let _ = child.wait();
        let stdout = out.recv_timeout(BOUND).unwrap_or_default();
        let stderr = err.recv_timeout(BOUND).unwrap_or_default();
        panic!(
            "command did not finish within {bound:?}: {cmd:?}\nstdout: {stdout}\nstderr: {stderr}"
        );
    }
    let status = child.wait().expect("wait");
    Output {
        status,
        stdout: out.recv_timeout(BOUND).unwrap_or_default(),
        stderr: err.recv_timeout(BOUND).unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

fn reader<R: Read + Send + 'static>(mut pipe: R) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = pipe.read_to_end(&mut buf);
        let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
    });
    rx
}

/// Run `ptool ARGS` (a shell-quoted string) on a pseudo-terminal, through
/// util-linux `script`. The pty reports no size, so ptool falls back to
/// `COLUMNS` from `env`. `None` (the test should skip) when `script` is
/// missing.
pub fn on_terminal(args: &str, env: &[(&str, &str)]) -> Option<String> {
    if Command::new("script").arg("--version").output().is_err() {
        cannot_run("util-linux script is not installed");
        return None;
    }
    let mut cmd = Command::new("script");
    plain_env(cmd.args(["-qec", &format!("{} {args}", ptool_path()), "/dev/null"]));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = run(cmd, None, BOUND);
    out.success();
    Some(out.stdout.replace("\r\n", "\n"))
}

/// A test that cannot run on this machine (a tool missing, not root, the
/// kernel refusing something) says why on stderr and returns; under
/// `CI=true` it fails instead, so that a CI run cannot pass by skipping
/// (`.ci/run` installs what these tests need).
#[track_caller]
pub fn cannot_run(reason: &str) {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("this test cannot run here, and CI=true: {reason}");
    }
    eprintln!("skipped: {reason}");
}

/// A command that runs ptool as user and group 65534 (nobody) with no
/// supplementary groups, through util-linux `setpriv`. `None` (the test
/// should skip; the reason is printed) when the tests do not run as root,
/// which they need to own a victim nobody may not touch, or when `setpriv`
/// is missing.
pub fn as_nobody_cmd(args: &[&str]) -> Option<Command> {
    if !rustix::process::geteuid().is_root() {
        cannot_run("permission tests need root (to start a root-owned victim)");
        return None;
    }
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists());
    let Some(setpriv) = setpriv else {
        cannot_run("setpriv (util-linux) is not installed");
        return None;
    };
    init();
    let mut cmd = Command::new(setpriv);
    plain_env(
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(ptool_path())
            .args(args),
    );
    Some(cmd)
}

/// Run ptool as nobody (see [`as_nobody_cmd`]), bounded; `None` to skip,
/// also when `setpriv` itself cannot switch users here.
pub fn as_nobody(args: &[&str]) -> Option<Output> {
    let out = run(as_nobody_cmd(args)?, None, BOUND);
    if out.stderr.starts_with("setpriv:") {
        cannot_run(&format!(
            "setpriv cannot switch users: {}",
            out.stderr.trim()
        ));
        return None;
    }
    Some(out)
}

/// A child this test started directly: killed (through a pidfd) and reaped
/// on drop unless the test has waited for it, so a failing assertion never
/// leaves it behind.
#[derive(Debug)]
pub struct ChildGuard(Option<Child>);

impl ChildGuard {
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard(Some(child))
    }

    pub fn pid(&self) -> i32 {
        self.0.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// Wait (bounded) for the child to exit and collect its output.
    pub fn wait_with_output(mut self) -> std::process::Output {
        let child = self.0.take().expect("not yet waited");
        if let Some(fd) = pidfd(child.id() as i32)
            && !wait_fd(&fd, BOUND)
        {
            self.0 = Some(child);
            panic!("child did not exit within {BOUND:?}");
        }
        child.wait_with_output().expect("wait")
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            if let Some(fd) = pidfd(child.id() as i32) {
                let _ = rustix::process::pidfd_send_signal(&fd, rustix::process::Signal::KILL);
            }
            let _ = child.wait();
        }
    }
}

/// A command (usually ptool) running in the background of a test, its
/// stdout and stderr read line by line as they come. Killed (through a
/// pidfd) and reaped on drop unless the test has waited for it.
#[derive(Debug)]
pub struct Background {
    child: Option<Child>,
    fd: Option<OwnedFd>,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
    /// Set to stop reading stdout: the reader then closes its end.
    hang_up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Background {
    /// Start `cmd` with stdin from /dev/null and stdout and stderr piped.
    pub fn start(mut cmd: Command) -> Background {
        init();
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
        let hang_up = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = hang_up.clone();
        Background {
            fd: pidfd(child.id() as i32),
            stdout: lines(child.stdout.take().expect("stdout"), move || {
                stop.load(Ordering::SeqCst)
            }),
            stderr: lines(child.stderr.take().expect("stderr"), || false),
            child: Some(child),
            hang_up,
        }
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map_or(0, |c| c.id() as i32)
    }

    /// The next stdout line, within the bound.
    pub fn next_line(&self) -> String {
        self.stdout
            .recv_timeout(BOUND)
            .expect("a line on stdout within the bound")
    }

    /// The next stdout line if one comes within `bound`.
    pub fn try_line(&self, bound: Duration) -> Option<String> {
        self.stdout.recv_timeout(bound).ok()
    }

    /// The next `n` stdout lines, each within the bound.
    pub fn next_lines(&self, n: usize) -> Vec<String> {
        (0..n)
            .map(|i| {
                self.stdout
                    .recv_timeout(BOUND)
                    .unwrap_or_else(|_| panic!("only {i} of {n} lines on stdout"))
            })
            .collect()
    }

    /// The next stderr line, or `None` when none came within `bound`.
    pub fn next_err_line(&self, bound: Duration) -> Option<String> {
        self.stderr.recv_timeout(bound).ok()
    }

    /// Stop reading stdout: the command's next write finds the pipe closed.
    pub fn close_stdout(&self) {
        self.hang_up.store(true, Ordering::SeqCst);
    }

    pub fn signal(&self, signal: rustix::process::Signal) {
        let fd = self.fd.as_ref().expect("a pidfd for the command");
        rustix::process::pidfd_send_signal(fd, signal).expect("signal the command");
    }

    /// True while the command has not exited.
    pub fn running(&self) -> bool {
        self.fd
            .as_ref()
            .is_some_and(|fd| !wait_fd(fd, Duration::ZERO))
    }

    /// Wait (bounded) for the command to exit: its exit code (128+N when
    /// killed by signal N), and the stdout and stderr lines not yet read.
    pub fn finish(&mut self) -> (i32, Vec<String>, Vec<String>) {
        if let Some(fd) = &self.fd {
            assert!(
                wait_fd(fd, BOUND),
                "the command did not exit within {BOUND:?}"
            );
        }
        let status = self.child.take().expect("running").wait().expect("reap");
        let code = exit_code(status);
        // The pipes are at end of file once the command and anything that
        // inherited them are gone; a leftover holder must not hang the test.
        let rest = |rx: &mpsc::Receiver<String>| {
            let mut got = Vec::new();
            while let Ok(line) = rx.recv_timeout(BOUND) {
                got.push(line);
            }
            got
        };
        (code, rest(&self.stdout), rest(&self.stderr))
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(fd) = &self.fd {
                let _ = rustix::process::pidfd_send_signal(fd, rustix::process::Signal::KILL);
            }
            let _ = child.wait();
        }
    }
}

/// Each line read from `pipe`, sent as it comes, until end of file or until
/// `stop` says to hang up.
fn lines<R, F>(pipe: R, stop: F) -> mpsc::Receiver<String>
where
    R: Read + Send + 'static,
    F: Fn() -> bool + Send + 'static,
{
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if stop() || tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// A pidfd for `pid`, or `None` if it is already gone.
pub fn pidfd(pid: i32) -> Option<OwnedFd> {
    rustix::process::pidfd_open(Pid::from_raw(pid)?, PidfdFlags::empty()).ok()
}

/// Wait until the process behind `fd` exits; false on timeout.
pub fn wait_fd(fd: &OwnedFd, bound: Duration) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let spec = rustix::time::Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: i64::from(left.subsec_nanos()),
        };
        let mut fds = [PollFd::new(fd, PollFlags::IN)];
        match rustix::event::poll(&mut fds, Some(&spec)) {
            Ok(n) if n > 0 => return true,
            Ok(_) => return false,
            Err(rustix::io::Errno::INTR) => continue,
            Err(e) => panic!("poll: {e}"),
        }
    }
}

/// True while `pid` exists and is not a zombie.
pub fn alive(pid: i32) -> bool {
    match std::fs::read(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let close = stat.iter().rposition(|&b| b == b')').unwrap_or(0);
            stat.get(close + 2) != Some(&b'Z')
        }
        Err(_) => false,
    }
}

/// `/proc/PID/stat`: the name (between the first `(` and the last `)`) and
/// the fields after it, so that `fields[0]` is field 3 (state), `fields[1]`
/// field 4 (ppid), and field N is `fields[N - 3]`.
pub fn stat_fields(pid: i32) -> (String, Vec<String>) {
    let raw = std::fs::read(format!("/proc/{pid}/stat")).expect("read /proc/PID/stat");
    let open = raw.iter().position(|&b| b == b'(').expect("( in stat");
    let close = raw.iter().rposition(|&b| b == b')').expect(") in stat");
    let name = String::from_utf8_lossy(&raw[open + 1..close]).into_owned();
    let rest = String::from_utf8_lossy(&raw[close + 2..]).into_owned();
    (name, rest.split_whitespace().map(String::from).collect())
}

/// PIDs of the live (non-zombie) processes whose command line has `marker`.
pub fn carrying(marker: &str) -> Vec<i32> {
    scan_for_marker(marker).expect("read /proc")
}

/// Like [`carrying`], but an unreadable `/proc` is an error, not a panic
/// (for guards that clean up while a test is already failing).
pub fn scan_for_marker(marker: &str) -> std::io::Result<Vec<i32>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc")?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        if carries(pid, marker) && alive(pid) {
            found.push(pid);
        }
    }
    Ok(found)
}

/// True when the command line of `pid` has `marker`.
fn carries(pid: i32, marker: &str) -> bool {
    std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        cmdline
            .windows(marker.len())
            .any(|w| w == marker.as_bytes())
    })
}

/// Processes a test started, held through pidfds so that a recycled PID is
/// never hit. Dropping it, pass or fail, kills every one and reaps those
/// that are children of this (subreaper) process.
#[derive(Debug, Default)]
pub struct Reaper {
    fds: Vec<(i32, OwnedFd)>,
}

impl Reaper {
    /// Hold `pid`, unless it is already held or already gone.
    pub fn add(&mut self, pid: i32) {
        if self.fds.iter().any(|(p, _)| *p == pid) {
            return;
        }
        if let Some(fd) = pidfd(pid) {
            self.fds.push((pid, fd));
        }
    }

    /// Wait (bounded) until the process `pid` has exited; one not held was
    /// gone before it could be.
    pub fn wait_gone(&self, pid: i32) -> bool {
        match self.fds.iter().find(|(p, _)| *p == pid) {
            Some((_, fd)) => wait_fd(fd, BOUND),
            None => !alive(pid),
        }
    }

    /// Send KILL to every process held.
    fn kill(&self) {
        for (_, fd) in &self.fds {
            let _ = rustix::process::pidfd_send_signal(fd.as_fd(), rustix::process::Signal::KILL);
        }
    }

    /// Reap every process held once it has exited, and let go of them all.
    fn reap(&mut self) {
        for (pid, fd) in self.fds.drain(..) {
            if wait_fd(&fd, Duration::from_secs(5)) {
                // Only this PID: other tests own other children.
                let _ = nix::sys::wait::waitpid(
                    nix::unistd::Pid::from_raw(pid),
                    Some(nix::sys::wait::WaitPidFlag::WNOHANG),
                );
            }
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        self.kill();
        self.reap();
    }
}

/// Whatever carries a test's marker when the guard is dropped: for what
/// ptool starts, whose PIDs a test learns only from ptool's output, so a
/// test that fails before it gets them leaves nothing behind. Declared
/// first, it is dropped last, after the test's other guards.
#[derive(Debug)]
pub struct MarkerGuard(String);

impl MarkerGuard {
    pub fn new(marker: &str) -> MarkerGuard {
        MarkerGuard(marker.to_string())
    }
}

impl Drop for MarkerGuard {
    fn drop(&mut self) {
        // No panic here: this may run while a failing test unwinds.
        let mut carriers = Reaper::default();
        for pid in scan_for_marker(&self.0).unwrap_or_default() {
            let Some(fd) = pidfd(pid) else { continue };
            // Still the same process, now that the pidfd pins it?
            if carries(pid, &self.0) {
                carriers.fds.push((pid, fd));
            }
        }
        // Dropping `carriers` kills and reaps them.
    }
}

/// A fresh directory for a test's files, removed with everything in it
/// when dropped.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new directory (named by a fresh [`marker`]) in the system's
    /// temporary directory.
    pub fn new(tag: &str) -> TempDir {
        TempDir::new_in(std::env::temp_dir(), tag)
    }

    /// A new directory (named by a fresh [`marker`]) in `base`: for files
    /// that must be on a given filesystem.
    pub fn new_in(base: impl AsRef<Path>, tag: &str) -> TempDir {
        let dir = base.as_ref().join(marker(tag));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.0
    }

    /// The path of `name` in the directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    /// Write `content` to `name` in the directory; its path, as UTF-8.
    pub fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.path(name);
        std::fs::write(&path, content).expect("write temp file");
        path.into_os_string()
            .into_string()
            .expect("UTF-8 temp path")
    }

    /// The names in the directory, sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("read dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A victim's family as it reported it: its PID, its children's families,
/// and the PID of the zombie it keeps (with `--zombie`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Family {
    pub pid: i32,
    pub kids: Vec<Family>,
    pub zombie: Option<i32>,
}

impl Family {
    /// A family from the JSON line a victim prints:
    /// `{"pid":1,"kids":[...],"zombie":null}`.
    pub fn from_json(v: &serde_json::Value) -> Family {
        Family {
            pid: v["pid"].as_i64().expect("pid") as i32,
            kids: v["kids"]
                .as_array()
                .unwrap_or_else(|| panic!("no kids array in {v}"))
                .iter()
                .map(Family::from_json)
                .collect(),
            zombie: v["zombie"].as_i64().map(|z| z as i32),
        }
    }

    /// Every live PID of the family, parents before children.
    pub fn pids(&self) -> Vec<i32> {
        let mut out = vec![self.pid];
        for kid in &self.kids {
            out.extend(kid.pids());
        }
        out
    }
}

/// The PIDs in the family lines victims print, each line one family.
pub fn family_pids<I, S>(lines: I) -> Vec<i32>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    json_lines(lines)
        .iter()
        .flat_map(|v| Family::from_json(v).pids())
        .collect()
}

/// A running victim process. Dropping it kills and reaps its whole family.
#[derive(Debug)]
pub struct Victim {
    pub marker: String,
    pub family: Family,
    /// The whole JSON line it reported (descriptors it holds, ports).
    pub report: serde_json::Value,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    /// The whole family (just the top until it has reported).
    held: Reaper,
}

impl Victim {
    /// Start `ptool-victim MARKER ARGS...` in its own process group and wait
    /// (bounded) until it reports that it is set up.
    pub fn start(marker: &str, args: &[&str]) -> Victim {
        Victim::start_os(marker, args.iter().map(OsStr::new))
    }

    /// Like [`Victim::start`], with arguments that need not be UTF-8.
    pub fn start_os<'a>(marker: &str, args: impl IntoIterator<Item = &'a OsStr>) -> Victim {
        init();
        let mut cmd = Command::new(victim_path());
        cmd.arg(marker).args(args);
        Victim::start_cmd(marker, cmd)
    }

    /// Start a prepared victim command (its first argument must be the marker).
    pub fn start_cmd(marker: &str, mut cmd: Command) -> Victim {
        use std::os::unix::process::CommandExt;
        init();
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0);
        let mut child = cmd.spawn().expect("start victim");
        let mut held = Reaper::default();
        held.add(child.id() as i32);
        let stdout = child.stdout.take().expect("victim stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let mut victim = Victim {
            marker: marker.to_string(),
            family: Family {
                pid: child.id() as i32,
                kids: Vec::new(),
                zombie: None,
            },
            report: serde_json::Value::Null,
            stdin: child.stdin.take(),
            child: Some(child),
            held,
        };
        let line = rx
            .recv_timeout(BOUND)
            .unwrap_or_else(|_| panic!("victim {marker} did not report ready"));
        let v: serde_json::Value = serde_json::from_str(line.trim())
            .unwrap_or_else(|e| panic!("victim said {line:?}: {e}"));
        victim.family = Family::from_json(&v);
        victim.report = v;
        for pid in victim.family.pids() {
            victim.held.add(pid);
        }
        victim
    }

    pub fn pid(&self) -> i32 {
        self.family.pid
    }

    /// Every live PID of the family.
    pub fn pids(&self) -> Vec<i32> {
        self.family.pids()
    }

    /// Send a command line to the victim (`exit 3`, `signal 9`).
    pub fn tell(&mut self, command: &str) {
        let stdin = self.stdin.as_mut().expect("victim stdin");
        writeln!(stdin, "{command}").expect("write to victim");
        stdin.flush().expect("flush victim stdin");
    }

    /// Wait (bounded) for the top victim to exit and reap it.
    pub fn wait(&mut self) -> ExitStatus {
        let child = self.child.as_mut().expect("not yet reaped");
        let fd = pidfd(child.id() as i32);
        if let Some(fd) = fd {
            assert!(wait_fd(&fd, BOUND), "victim {} did not exit", self.marker);
        }
        let status = child.wait().expect("reap victim");
        self.child = None;
        status
    }

    /// Wait (bounded) until the process `pid` of this family has exited.
    pub fn wait_gone(&self, pid: i32) -> bool {
        self.held.wait_gone(pid)
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        self.held.kill();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        // Orphaned descendants were re-parented to this (subreaper) process.
        self.held.reap();
        if let Some(zombie) = self.family.zombie {
            let _ = nix::sys::wait::waitpid(
                nix::unistd::Pid::from_raw(zombie),
                Some(nix::sys::wait::WaitPidFlag::WNOHANG),
            );
        }
    }
}

// Shared by the `signal` and `kill` tests: report rows, pinned selections
// and real PID reuse.

/// The rows of a `--json` report, by PID.
pub fn row(report: &serde_json::Value, pid: i32) -> serde_json::Value {
    report
        .as_array()
        .expect("array")
        .iter()
        .find(|r| r["pid"] == pid)
        .unwrap_or_else(|| panic!("no row for {pid} in {report:#}"))
        .clone()
}

/// `pid` selected now: read from `/proc` and pinned, as ptool selects.
pub fn target_of(pid: i32) -> Target {
    let mut reader = Reader::new().unwrap();
    let p = reader.read(pid, Need::STAT).expect("process exists");
    let mut pinned = ptool::testing::pin(&[p], &mut reader, Need::CMDLINE, |_| true);
    pinned.targets.pop().expect("pinned")
}

/// Write `/proc/sys/kernel/ns_last_pid` so that the next process started
/// gets `pid` (if nothing else forks first). False where not permitted.
pub fn next_pid_will_be(pid: i32) -> bool {
    std::fs::write("/proc/sys/kernel/ns_last_pid", (pid - 1).to_string()).is_ok()
}

/// Start `args` victims until one gets `pid` (a real PID reuse), or give up.
pub fn victim_with_pid(pid: i32, m: &str, args: &[&str]) -> Option<Victim> {
    for _ in 0..20 {
        if !next_pid_will_be(pid) {
            cannot_run("cannot write /proc/sys/kernel/ns_last_pid to steer PIDs");
            return None;
        }
        let v = Victim::start(m, args);
        if v.pid() == pid {
            return Some(v);
        }
    }
    None
}

/// A real PID reuse, where PIDs can be steered: a victim selected (as by
/// [`target_of`]), then exited and reaped, and a second victim that now has
/// its PID. The selection's start time is set to the second's, as if both
/// had started in the same clock tick, so that only the pin taken on the
/// first can tell them apart. `None` where PIDs cannot be steered here.
pub fn reused_pid(m: &str) -> Option<(Target, Victim)> {
    let mut first = Victim::start(m, &[]);
    let mut selected = target_of(first.pid());
    first.tell("exit 0");
    first.wait();
    let second = victim_with_pid(selected.pid, m, &[])?;
    selected.start_ticks = target_of(second.pid()).start_ticks;
    Some((selected, second))
}

/// Whether a test that needs `what` (a peer tool, a Python module) can run
/// here. When it cannot, the test says why and skips, except under
/// `CI=true`, where `.ci/run` installs what the tests need: there it fails.
pub fn available(what: &str, present: bool) -> bool {
    if present {
        return true;
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    assert!(!ci, "{what} is missing, and CI=true: .ci/run installs it");
    eprintln!("skipped: {what} is not installed");
    false
}

/// Whether `tool` is on PATH (see [`available`]).
pub fn have_tool(tool: &str) -> bool {
    let found = std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(tool))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    });
    available(tool, found)
}

/// Run `python3 -c SCRIPT ARGS...` with psutil, and return its stdout; `None`
/// (the test skips, or fails under CI, see [`available`]) without psutil.
pub fn psutil(script: &str, args: &[&str]) -> Option<String> {
    static HAVE: OnceLock<bool> = OnceLock::new();
    let have = *HAVE.get_or_init(|| {
        Command::new("python3")
            .args(["-c", "import psutil"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if !available("python3 with psutil", have) {
        return None;
    }
    let out = Command::new("python3")
        .args(["-c", &format!("import psutil, sys\n{script}")])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "psutil script failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

/// Run `ptool ARGS` (stdout to /dev/null) and return its exit code and peak
/// resident memory in KiB (`ru_maxrss`, as GNU time reports it), measured
/// by `ptool-victim --peak-kib`: as this process's own child, ptool's
/// `ru_maxrss` would be at least this test binary's resident size (see the
/// victim), which grows as other tests run.
pub fn ptool_peak_kib(args: &[&str]) -> (i32, u64) {
    init();
    let mut cmd = Command::new(victim_path());
    plain_env(&mut cmd)
        .arg("--peak-kib")
        .arg(ptool_path())
        .args(args);
    let out = run(cmd, None, BOUND);
    assert!(
        out.status.success(),
        "ptool-victim --peak-kib: {}: {}",
        out.status,
        out.stderr
    );
    let text = &out.stdout;
    let mut words = text.split_whitespace().map(|w| w.parse::<u64>().ok());
    match (words.next().flatten(), words.next().flatten()) {
        (Some(code), Some(kib)) => (i32::try_from(code).expect("an exit code"), kib),
        _ => panic!("ptool-victim --peak-kib printed {text:?}"),
    }
}

/// A tmux server of its own (a unique socket) running one command in a
/// 160x40 window, for what needs a terminal and keys: interactive screens,
/// shells completing on TAB. Killed on drop with everything it runs.
#[derive(Debug)]
pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// `None` when tmux is missing (a failure under CI=true).
    pub fn start(marker: &str, command: &str) -> Option<Tmux> {
        if Command::new("tmux").arg("-V").output().is_err() {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "tmux is not installed (.ci/run installs it)"
            );
            eprintln!("skipped: tmux is not installed");
            return None;
        }
        init();
        // The socket's name is on tmux's command line: it must not match
        // the marker.
        let tmux = Tmux {
            socket: marker.replace("ptool-test-", "tmux-"),
        };
        let status = tmux
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "main",
                "-x",
                "160",
                "-y",
                "40",
                command,
            ])
            .status()
            .expect("tmux new-session");
        assert!(status.success(), "tmux new-session failed");
        Some(tmux)
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .env("LC_ALL", "C.UTF-8");
        c
    }

    /// Send keys by tmux's names (`Enter`, `Tab`, `C-c`, or plain text).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        assert!(self.cmd(&args).status().expect("send-keys").success());
    }

    /// Type `text` as it is.
    pub fn literal(&self, text: &str) {
        assert!(
            self.cmd(&["send-keys", "-t", "main", "-l", text])
                .status()
                .expect("send-keys")
                .success()
        );
    }

    /// What the window shows now.
    pub fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-t", "main"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// True while the program shows the alternate screen (full-screen
    /// programs do).
    pub fn alternate_on(&self) -> bool {
        let out = self
            .cmd(&["display-message", "-p", "-t", "main", "#{alternate_on}"])
            .output()
            .expect("display-message");
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Wait (bounded) until the screen satisfies `ok`; the screen.
    pub fn wait_for(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + BOUND;
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; screen:\n{screen}"
            );
            // tmux has no way to wait for a change: look again shortly.
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).output();
    }
}
