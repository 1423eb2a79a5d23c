//! `ptool-victim`: a process for ptool's tests and benchmark to inspect and
//! signal (like procps's `test_process`). Tests start it with a unique marker
//! as its first argument so that nothing else on the machine matches.
//!
//! ```text
//! ptool-victim MARKER [--name NAME] [--ignore SIGS] [--catch SIGS] [--block SIGS] [--report SIGS]
//!                     [--kids SHAPE] [--threads N] [--churn N] [--zombie] [--forever] [--exit CODE]
//!                     [--open PATH] [--pipe] [--listen] [--connect] [--open-many N]
//!                     [--bare-env NAME]
//! ```
//!
//! Once everything is set up it prints one JSON line on stdout describing its
//! family, `{"pid":1,"kids":[{"pid":2,"kids":[]}],"zombie":null}`, and then:
//! with `--exit CODE` exits at once; with `--forever` (or as a child) sleeps
//! until killed; otherwise reads commands from stdin: `exit N` exits with N,
//! `signal N` dies of signal N, and end of input exits 0 (so a victim never
//! outlives a test that crashed). `--report SIGS` catches those signals and
//! prints `caught NN` (two digits) on stdout for each one received.
//!
//! `--kids` describes children, each a victim itself with the same marker:
//! a comma-separated list of nodes, a node being a name (or `_` to keep the
//! default name) optionally followed by its own children in parentheses:
//! `a,b(x,x),_,_` is four children, the second with two children of its own.
//!
//! Descriptors it holds open, each reported in the JSON line: `--open PATH`
//! opens PATH for reading and writing (creating it), positioned at its end
//! (`"open_fd"`); `--pipe` makes a pipe and keeps both ends (`"pipe":
//! [read, write]`); `--listen` listens on TCP 127.0.0.1:0 (`"port"`,
//! `"listen_fd"`); `--connect` (with `--listen`) also connects to it and
//! accepts that connection (`"client_fd"`, `"client_port"`,
//! `"accepted_fd"`); `--open-many N` opens `/dev/null` N more times.
//!
//! `--threads N` starts N threads that sleep; `--churn N` starts N threads
//! that each keep starting a short-lived thread named `churn` and waiting
//! for it to end, so that threads begin and end all the time.
//!
//! `ptool-victim --peak-kib PROGRAM [ARGS...]` (no marker) is another job:
//! it runs PROGRAM with no input and its output discarded, and prints
//! `CODE KIB`, its exit code (128+N for signal N) and its peak resident
//! memory in KiB (wait4's `ru_maxrss`). A test measures ptool this way rather
//! than as its own child because a child's `ru_maxrss` is at least the
//! resident size of the process that spawned it: exec(2) keeps the peak of
//! the memory map it replaces, which for a child spawned by the test binary
//! is the test binary's, growing while other tests run beside it.
//!
//! `--bare-env NAME` first executes itself again (same PID, the other
//! arguments unchanged) with `NAME`, without `=`, added to its environment:
//! an entry only execve(2) can make.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

use std::ffi::{CString, OsString};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};

use nix::sys::signal::{SigHandler, SigSet, SigmaskHow, Signal, sigaction, sigprocmask};

fn main() {
    let args: Vec<OsString> = std::env::args_os().collect();
    let result = match args.get(1) {
        Some(job) if job == "--peak-kib" => peak_kib(&args[2..]),
        _ => run(&args),
    };
    if let Err(message) = result {
        eprintln!("ptool-victim: {message}");
        std::process::exit(125);
    }
}

/// Run `command` (program and arguments) and print its exit code and peak
/// resident memory in KiB.
fn peak_kib(command: &[OsString]) -> Result<(), String> {
    let (program, args) = command.split_first().ok_or("--peak-kib: no program")?;
    let mut cmd = Command::new(program);
    // The program dies with this process, so that a test that kills a
    // hung measurement leaves nothing behind.
    // SAFETY: prctl is async-signal-safe, so it may run between fork and
    // exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("--peak-kib: {}: {e}", program.to_string_lossy()))?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; status and usage are valid
    // for writes.
    let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    if rc != pid {
        return Err(format!(
            "--peak-kib: wait4: {}",
            std::io::Error::last_os_error()
        ));
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    println!("{code} {}", usage.ru_maxrss);
    Ok(())
}

#[derive(Default)]
struct Options {
    marker: OsString,
    name: Option<OsString>,
    ignore: Vec<Signal>,
    catch: Vec<Signal>,
    block: Vec<Signal>,
    report: Vec<Signal>,
    kids: String,
    threads: usize,
    churn: usize,
    zombie: bool,
    forever: bool,
    child: bool,
    exit: Option<i32>,
    open: Option<OsString>,
    pipe: bool,
    listen: bool,
    connect: bool,
    open_many: usize,
    bare_env: Option<OsString>,
}

fn parse(args: &[OsString]) -> Result<Options, String> {
    let mut it = args.iter().skip(1);
    let mut o = Options {
        marker: it
            .next()
            .ok_or("usage: ptool-victim MARKER [OPTIONS]")?
            .clone(),
        ..Options::default()
    };
    while let Some(flag) = it.next() {
        let flag = flag.to_string_lossy().into_owned();
        let mut value = || it.next().cloned().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--name" => o.name = Some(value()?),
            "--ignore" => o.ignore = signals(&value()?)?,
            "--catch" => o.catch = signals(&value()?)?,
            "--block" => o.block = signals(&value()?)?,
            "--report" => o.report = signals(&value()?)?,
            "--kids" => o.kids = value()?.to_string_lossy().into_owned(),
            "--threads" => o.threads = number(&value()?)?,
            "--churn" => o.churn = number(&value()?)?,
            "--exit" => o.exit = Some(number(&value()?)?),
            "--zombie" => o.zombie = true,
            "--forever" => o.forever = true,
            "--child" => o.child = true,
            "--open" => o.open = Some(value()?),
            "--pipe" => o.pipe = true,
            "--listen" => o.listen = true,
            "--connect" => o.connect = true,
            "--open-many" => o.open_many = number(&value()?)?,
            "--bare-env" => o.bare_env = Some(value()?),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

/// Execute this program again with the arguments but `--bare-env NAME`,
/// and `NAME` (no `=`) added to the environment; returns only on failure.
fn exec_with_bare_env(args: &[OsString], name: &OsString) -> String {
    let cstring = |bytes: &[u8]| CString::new(bytes).map_err(|e| e.to_string());
    let build = || -> Result<(Vec<CString>, Vec<CString>), String> {
        let mut argv = Vec::new();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if arg == "--bare-env" {
                it.next();
            } else {
                argv.push(cstring(arg.as_bytes())?);
            }
        }
        let mut envp = Vec::new();
        for (key, value) in std::env::vars_os() {
            envp.push(cstring(&[key.as_bytes(), b"=", value.as_bytes()].concat())?);
        }
        envp.push(cstring(name.as_bytes())?);
        Ok((argv, envp))
    };
    match build() {
        Ok((argv, envp)) => match nix::unistd::execve(c"/proc/self/exe", &argv, &envp) {
            Err(e) => format!("execve: {e}"),
        },
        Err(e) => e,
    }
}

fn number<T: std::str::FromStr>(text: &OsString) -> Result<T, String> {
    text.to_string_lossy()
        .parse()
        .map_err(|_| format!("not a number: {}", text.to_string_lossy()))
}

fn signals(list: &OsString) -> Result<Vec<Signal>, String> {
    list.to_string_lossy()
        .split(',')
        .map(|s| {
            let s = s.trim().to_ascii_uppercase();
            if let Ok(n) = s.parse::<i32>() {
                return Signal::try_from(n).map_err(|e| e.to_string());
            }
            let full = if s.starts_with("SIG") {
                s
            } else {
                format!("SIG{s}")
            };
            full.parse::<Signal>().map_err(|e| format!("{full}: {e}"))
        })
        .collect()
}

extern "C" fn caught(_: libc::c_int) {}

/// Print `caught NN` on stdout, with only async-signal-safe calls.
extern "C" fn reported(sig: libc::c_int) {
    // SAFETY: errno is thread-local; it is restored before returning so the
    // interrupted code never sees the write's.
    let saved = unsafe { *libc::__errno_location() };
    let n = u8::try_from(sig).unwrap_or(0);
    let mut line = *b"caught 00\n";
    line[7] += n / 10;
    line[8] += n % 10;
    // SAFETY: write is async-signal-safe and `line` outlives the call.
    unsafe {
        libc::write(1, line.as_ptr().cast(), line.len());
        *libc::__errno_location() = saved;
    }
}

fn run(args: &[OsString]) -> Result<(), String> {
    let o = parse(args)?;
    if let Some(name) = &o.bare_env {
        return Err(exec_with_bare_env(args, name));
    }
    if let Some(name) = &o.name {
        let name = CString::new(name.as_bytes()).map_err(|e| e.to_string())?;
        nix::sys::prctl::set_name(&name).map_err(|e| e.to_string())?;
    }
    // Reported signals are held off while one is being reported, so that
    // two arriving together are reported in the kernel's delivery order
    // (lowest number first), not the nested handlers' reverse order.
    let reporting: SigSet = o.report.iter().copied().collect();
    for (list, handler, mask) in [
        (&o.ignore, SigHandler::SigIgn, SigSet::empty()),
        (&o.catch, SigHandler::Handler(caught), SigSet::empty()),
        (&o.report, SigHandler::Handler(reported), reporting),
    ] {
        for sig in list {
            let action = nix::sys::signal::SigAction::new(
                handler,
                nix::sys::signal::SaFlags::SA_RESTART,
                mask,
            );
            // SAFETY: the handler is SIG_IGN, `caught`, which does nothing,
            // or `reported`, which only writes: all async-signal-safe.
            unsafe { sigaction(*sig, &action) }.map_err(|e| e.to_string())?;
        }
    }
    if !o.block.is_empty() {
        let set: SigSet = o.block.iter().copied().collect();
        sigprocmask(SigmaskHow::SIG_BLOCK, Some(&set), None).map_err(|e| e.to_string())?;
    }

    // Children first, while this process is still single-threaded.
    let mut kids = Vec::new();
    for (name, shape) in split_shape(&o.kids)? {
        let mut cmd = Command::new("/proc/self/exe");
        cmd.arg(&o.marker).arg("--child");
        if name != "_" {
            cmd.arg("--name").arg(name);
        }
        if !shape.is_empty() {
            cmd.arg("--kids").arg(shape);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start a child: {e}"))?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let family: serde_json::Value =
            serde_json::from_str(line.trim()).map_err(|e| format!("child said {line:?}: {e}"))?;
        kids.push((child, family));
    }
    let zombie = if o.zombie {
        // SAFETY: this process has no other threads yet, and the child only
        // calls the async-signal-safe `_exit`.
        match unsafe { nix::unistd::fork() }.map_err(|e| e.to_string())? {
            nix::unistd::ForkResult::Child => {
                // SAFETY: `_exit` is async-signal-safe and ends the child.
                unsafe { libc::_exit(0) }
            }
            nix::unistd::ForkResult::Parent { child } => Some(child.as_raw()),
        }
    } else {
        None
    };

    let mut family = serde_json::json!({
        "pid": std::process::id(),
        "kids": kids.iter().map(|(_, f)| f.clone()).collect::<Vec<_>>(),
        "zombie": zombie,
    });
    // Held open until the process ends.
    let _held = hold_descriptors(&o, &mut family)?;
    // Reap children as they end, like a real parent would.
    for (mut child, _) in kids {
        std::thread::spawn(move || child.wait());
    }
    for _ in 0..o.threads {
        std::thread::spawn(|| {
            loop {
                std::thread::park();
            }
        });
    }
    // `--churn N`: N threads that each start a short-lived thread, wait
    // for it to end, and start the next, for as long as the process runs:
    // threads begin and end while someone lists and changes them.
    for _ in 0..o.churn {
        std::thread::spawn(|| {
            loop {
                let child = std::thread::Builder::new()
                    .name("churn".into())
                    .spawn(std::thread::yield_now);
                if let Ok(child) = child {
                    let _ = child.join();
                }
            }
        });
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{family}").map_err(|e| e.to_string())?;
    stdout.flush().map_err(|e| e.to_string())?;
    drop(stdout);

    if let Some(code) = o.exit {
        std::process::exit(code);
    }
    if o.forever || o.child {
        loop {
            nix::unistd::pause();
        }
    }
    for line in std::io::stdin().lock().lines() {
        let line = line.map_err(|e| e.to_string())?;
        let mut words = line.split_whitespace();
        match (words.next(), words.next().map(str::parse::<i32>)) {
            (Some("exit"), Some(Ok(code))) => std::process::exit(code),
            (Some("signal"), Some(Ok(n))) => die_of(n)?,
            _ => eprintln!("ptool-victim: unknown command {line:?}"),
        }
    }
    Ok(())
}

/// Open what `--open`, `--pipe`, `--listen`, `--connect` and `--open-many`
/// ask for, report the descriptors in `report`, and return them to be held.
fn hold_descriptors(
    o: &Options,
    report: &mut serde_json::Value,
) -> Result<Vec<std::os::fd::OwnedFd>, String> {
    use std::io::{Seek, SeekFrom};
    use std::os::fd::{AsRawFd, OwnedFd};
    let mut held: Vec<OwnedFd> = Vec::new();
    if let Some(path) = &o.open {
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(|e| format!("--open: {e}"))?;
        file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
        report["open_fd"] = file.as_raw_fd().into();
        held.push(file.into());
    }
    if o.pipe {
        let (r, w) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)
            .map_err(|e| format!("--pipe: {e}"))?;
        report["pipe"] = serde_json::json!([r.as_raw_fd(), w.as_raw_fd()]);
        held.extend([r, w]);
    }
    if o.listen {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("--listen: {e}"))?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        report["port"] = port.into();
        report["listen_fd"] = listener.as_raw_fd().into();
        if o.connect {
            let client = std::net::TcpStream::connect(("127.0.0.1", port))
                .map_err(|e| format!("--connect: {e}"))?;
            let (accepted, _) = listener.accept().map_err(|e| e.to_string())?;
            report["client_fd"] = client.as_raw_fd().into();
            report["client_port"] = client
                .local_addr()
                .map_err(|e| e.to_string())?
                .port()
                .into();
            report["accepted_fd"] = accepted.as_raw_fd().into();
            held.extend([OwnedFd::from(client), OwnedFd::from(accepted)]);
        }
        held.push(listener.into());
    }
    if o.open_many > 0 {
        // Room for N more descriptors: raise the soft limit to the hard one.
        let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile);
        rustix::process::setrlimit(
            rustix::process::Resource::Nofile,
            rustix::process::Rlimit {
                current: limit.maximum,
                maximum: limit.maximum,
            },
        )
        .map_err(|e| format!("--open-many: {e}"))?;
        for _ in 0..o.open_many {
            let f = std::fs::File::open("/dev/null").map_err(|e| format!("--open-many: {e}"))?;
            held.push(f.into());
        }
    }
    Ok(held)
}

/// Die of signal `n` with its default action, whatever was set up before.
fn die_of(n: i32) -> Result<(), String> {
    let sig = Signal::try_from(n).map_err(|e| e.to_string())?;
    // KILL and STOP cannot have their disposition changed (EINVAL) and
    // always act by default anyway.
    if !matches!(sig, Signal::SIGKILL | Signal::SIGSTOP) {
        // SAFETY: restoring the default disposition installs no handler.
        unsafe { nix::sys::signal::signal(sig, SigHandler::SigDfl) }.map_err(|e| e.to_string())?;
    }
    let set: SigSet = [sig].into_iter().collect();
    sigprocmask(SigmaskHow::SIG_UNBLOCK, Some(&set), None).map_err(|e| e.to_string())?;
    nix::sys::signal::raise(sig).map_err(|e| e.to_string())?;
    // A stop signal returns here once continued; anything else does not.
    let _ = std::process::ExitStatus::from_raw(0);
    Ok(())
}

/// Split `a,b(x,x),_` into `[("a",""), ("b","x,x"), ("_","")]`.
fn split_shape(shape: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let bytes = shape.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.checked_sub(1).ok_or("unbalanced ) in --kids")?,
            b',' if depth == 0 => {
                out.push(node(&shape[start..i])?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err("unbalanced ( in --kids".into());
    }
    if start < shape.len() {
        out.push(node(&shape[start..])?);
    }
    Ok(out)
}

fn node(text: &str) -> Result<(String, String), String> {
    let text = text.trim();
    match text.find('(') {
        Some(open) if text.ends_with(')') => Ok((
            text[..open].to_string(),
            text[open + 1..text.len() - 1].to_string(),
        )),
        Some(_) => Err(format!("bad --kids node {text:?}")),
        None if text.is_empty() => Err("empty --kids node".into()),
        None => Ok((text.to_string(), String::new())),
    }
}
