//! Every example is a test: each command line in the README (its ```sh
//! blocks, the "Coming from Python" tables, the exit-code table's codes)
//! and in the `Examples:` of every subcommand's `--help` (which the man
//! pages print) has an entry in [`CHECKS`] that runs it, as written, through
//! `sh` against processes the test started, and checks what it printed and
//! how it exited. `every_example_has_a_check` fails when an example has no
//! entry, and `every_check_is_an_example` when an entry's example is gone,
//! so the README cannot drift from the code.
//!
//! Covering a new example is one entry: the example's text exactly as the
//! README has it (without its `# comment`), and a function that runs it.
//! Placeholders are replaced with what the test started (`1234`, `PID` by a
//! victim's PID), and programs that are not on this machine (`./server`,
//! `nginx`, `optipng`, `curl`) by stand-ins: a small script of that name
//! that runs the victim or prints what the real one would, each saying so
//! where it is made. Patterns that could match someone else's processes
//! (`kill -f 'http.server'`) are replaced with the victim's unique marker,
//! so that no test ever signals a process it did not start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

/// Where an example was found, for messages.
#[derive(Debug, Clone)]
struct Example {
    text: String,
    place: String,
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md")
}

/// The text of a `sh` line without its comment: an unquoted `#` after a
/// blank starts one.
fn strip_comment(line: &str) -> &str {
    let (mut single, mut double) = (false, false);
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            '#' if !single && !double && prev.is_whitespace() => return line[..i].trim_end(),
            _ => {}
        }
        prev = c;
    }
    line.trim_end()
}

/// The cells of a Markdown table row, with `\|` read as `|`.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut cells = vec![String::new()];
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cells.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => cells.push(String::new()),
            c => cells.last_mut().unwrap().push(c),
        }
    }
    cells.iter().map(|c| c.trim().to_string()).collect()
}

/// The `code spans` of a Markdown cell.
fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_string())
        .collect()
}

/// Every example in the README: `sh` lines, the commands of the "Coming
/// from Python" tables, and the exit-code table's codes (as `exit CODE`).
fn readme_examples() -> Vec<Example> {
    let text = readme();
    let mut found = Vec::new();
    let mut heading = String::new();
    let mut fence: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(rest.trim().to_string()),
            };
            continue;
        }
        if let Some(lang) = &fence {
            let command = strip_comment(line).trim();
            if lang == "sh" && !command.is_empty() {
                found.push(Example {
                    text: command.to_string(),
                    place: format!("README, {heading}"),
                });
            }
            continue;
        }
        if line.starts_with('#') {
            heading = line.trim_start_matches('#').trim().to_string();
            continue;
        }
        if !line.starts_with('|') || line.starts_with("| ---") {
            continue;
        }
        let row = cells(line);
        if heading == "Coming from Python" && row.len() == 2 && row[0] != "Python" {
            for span in code_spans(&row[1]) {
                if span.contains("ptool ") {
                    found.push(Example {
                        text: span,
                        place: format!("README, {heading}: {}", row[0]),
                    });
                }
            }
        }
        if heading == "Exit codes" && row.len() == 2 && row[0] != "code" {
            found.push(Example {
                text: format!("exit {}", row[0]),
                place: format!("README, {heading}"),
            });
        }
    }
    found
}

/// The examples in every subcommand's `--help` (and so in its man page).
fn help_examples() -> Vec<Example> {
    use clap::CommandFactory;
    let mut cmd = ptool::testing::Cli::command();
    cmd.build();
    let mut found = Vec::new();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        let Some(after) = sub.get_after_help() else {
            continue;
        };
        for (text, _) in ptool::testing::split_after_help(&after.to_string()).examples {
            found.push(Example {
                text,
                place: format!("ptool {} --help", sub.get_name()),
            });
        }
    }
    found
}

/// Every example, once each, with the first place it was found.
fn examples() -> BTreeMap<String, Example> {
    let mut all = BTreeMap::new();
    for example in readme_examples().into_iter().chain(help_examples()) {
        all.entry(example.text.clone()).or_insert(example);
    }
    all
}

type Check = fn(&str);

fn check_for(text: &str) -> Option<Check> {
    CHECKS
        .iter()
        .find(|(t, _)| *t == text)
        .map(|(_, check)| *check)
}

#[test]
fn every_example_has_a_check() {
    let missing: Vec<String> = examples()
        .values()
        .filter(|e| check_for(&e.text).is_none())
        .map(|e| format!("{:?} ({})", e.text, e.place))
        .collect();
    assert!(
        missing.is_empty(),
        "examples without an entry in CHECKS (tests/cli/readme.rs):\n  {}",
        missing.join("\n  ")
    );
}

#[test]
fn every_check_is_an_example() {
    let all = examples();
    let stale: Vec<&str> = CHECKS
        .iter()
        .map(|(t, _)| *t)
        .filter(|t| !all.contains_key(*t))
        .collect();
    assert!(
        stale.is_empty(),
        "entries in CHECKS whose example is in neither the README nor --help: {stale:?}"
    );
    let mut seen = std::collections::HashSet::new();
    for (text, _) in CHECKS {
        assert!(seen.insert(text), "{text:?} has two entries in CHECKS");
    }
}

#[test]
fn the_readme_exit_codes_are_the_exit_table() {
    let text = readme();
    let section = &text[text.find("\n## Exit codes").expect("an Exit codes section")..];
    let rows: Vec<(String, String)> = section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            let c = cells(l);
            (c[0].clone(), c[1].clone())
        })
        .collect();
    let table: Vec<(String, String)> = ptool::testing::EXIT_CODES
        .iter()
        .map(|d| (d.code.to_string(), d.meaning.to_string()))
        .collect();
    assert_eq!(
        rows, table,
        "the README's exit codes differ from src/exit.rs"
    );
}

#[test]
fn the_extractors_read_what_the_readme_means() {
    assert_eq!(strip_comment("ptool ls   # like ps aux"), "ptool ls");
    assert_eq!(
        strip_comment("ptool fork -- x {} # 8 runs, {} = 0..7"),
        "ptool fork -- x {}"
    );
    assert_eq!(strip_comment("echo '#x' \"a #b\""), "echo '#x' \"a #b\"");
    assert_eq!(strip_comment("ls a#b"), "ls a#b");
    assert_eq!(
        cells(r"| `a \| b` | `c` |"),
        ["`a | b`".to_string(), "`c`".to_string()]
    );
    assert_eq!(code_spans("`x` and `y z`"), ["x", "y z"]);
}

/// Run every check, a few at a time, and report every failure at once.
/// `PTOOL_README=TEXT` runs only the examples containing TEXT.
#[test]
fn readme_examples_run_as_documented() {
    let only = std::env::var("PTOOL_README").ok();
    let todo: Vec<(String, Check)> = examples()
        .into_keys()
        .filter(|t| only.as_deref().is_none_or(|o| t.contains(o)))
        .filter_map(|t| check_for(&t).map(|c| (t, c)))
        .collect();
    eprintln!("running {} README and --help examples", todo.len());
    let queue = std::sync::Mutex::new(todo.into_iter());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                loop {
                    let Some((text, check)) = queue.lock().unwrap().next() else {
                        break;
                    };
                    let result = std::panic::catch_unwind(|| check(&text));
                    if let Err(panic) = result {
                        let message = panic
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{text:?}: {message}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} README example(s) failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

// ---------------------------------------------------------------------
// Running an example.

/// An example's command line, with its placeholders replaced, run by `sh`
/// in a fresh directory with ptool and the victim first on `PATH`.
struct Sh {
    /// The command line as it will run.
    text: String,
    dir: TempDir,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
}

fn sh(text: &str) -> Sh {
    Sh {
        text: text.to_string(),
        dir: TempDir::new("readme"),
        env: Vec::new(),
        stdin: None,
    }
}

impl Sh {
    /// Replace `from` (which must be there) with `to`.
    fn sub(mut self, from: &str, to: &str) -> Sh {
        assert!(
            self.text.contains(from),
            "{from:?} is not in {:?}",
            self.text
        );
        self.text = self.text.replace(from, to);
        self
    }

    /// Replace `from` with a PID.
    fn pid(self, from: &str, pid: i32) -> Sh {
        self.sub(from, &pid.to_string())
    }

    fn env(mut self, key: &str, value: &str) -> Sh {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    /// A file in the example's directory.
    fn file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, content).unwrap();
        path
    }

    /// An executable script in the example's directory (on `PATH` too):
    /// a stand-in for a program this machine does not have.
    fn script(&self, name: &str, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let path = self.file(name, &format!("#!/bin/sh\n{body}\n"));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path(name)
    }

    fn command(&self) -> Command {
        init();
        let path = path_with_ptool(Some(self.dir.dir()));
        let mut cmd = Command::new("sh");
        cmd.arg("-c")
            .arg(&self.text)
            .current_dir(self.dir.dir())
            .env_remove("NO_COLOR")
            .env("LC_ALL", "C.UTF-8")
            .env("PATH", path)
            .env("USER", "root");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    fn run(&self) -> Output {
        run(self.command(), self.stdin.as_deref(), BOUND)
    }

    fn background(&self) -> Background {
        Background::start(self.command())
    }
}

/// `PATH` with ptool and the victim first, then `dir` (stand-ins).
fn path_with_ptool(dir: Option<&Path>) -> String {
    let bin = Path::new(ptool_path()).parent().unwrap();
    let victim = Path::new(victim_path()).parent().unwrap();
    let mut path = format!("{}:{}:", bin.display(), victim.display());
    if let Some(dir) = dir {
        path.push_str(&format!("{}:", dir.display()));
    }
    path + &std::env::var("PATH").unwrap_or_default()
}

/// Wait (bounded) until a process other than this test holds a pidfd on
/// `pid`: a `ptool wait` started in the background is watching it.
fn wait_for_watcher(pid: i32) {
    let own = std::process::id().to_string();
    let want = format!("Pid:\t{pid}");
    let deadline = Instant::now() + BOUND;
    loop {
        for entry in std::fs::read_dir("/proc").unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name == own || !name.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(fds) = std::fs::read_dir(entry.path().join("fd")) else {
                continue;
            };
            for fd in fds.flatten() {
                let is_pidfd = std::fs::read_link(fd.path())
                    .is_ok_and(|t| t.to_string_lossy() == "anon_inode:[pidfd]");
                if is_pidfd {
                    let info = entry.path().join("fdinfo").join(fd.file_name());
                    if std::fs::read_to_string(info).is_ok_and(|i| i.lines().any(|l| l == want)) {
                        return;
                    }
                }
            }
        }
        assert!(Instant::now() < deadline, "nothing started watching {pid}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Run an interactive example in tmux (160x40) until its screen satisfies
/// `ready`, then quit it with q, which must end it with exit 0; the screen
/// it showed. `None` (skipped) where tmux is missing.
fn on_screen(text: &str, ready: impl Fn(&str) -> bool) -> Option<String> {
    let ex = sh(text);
    let command = format!(
        "cd '{}' && env PATH='{}' USER=root LC_ALL=C.UTF-8 TERM=xterm-256color sh -c '{}'; echo example-exit=$?; sleep 60",
        ex.dir.dir().display(),
        path_with_ptool(Some(ex.dir.dir())),
        text.replace('\'', "'\\''")
    );
    let tmux = Tmux::start(&marker("readme-tty"), &command)?;
    let screen = tmux.wait_for("the example's screen", ready);
    assert!(tmux.alternate_on(), "a full screen program:\n{screen}");
    tmux.keys(&["q"]);
    tmux.wait_for("the example to exit 0", |s| s.contains("example-exit=0"));
    Some(screen)
}

/// A lock name of this run's own (see the lock checks); its lock files are
/// removed when it is dropped (ptool leaves them, empty, by design).
fn lock_name(base: &str) -> LockName {
    LockName(format!("{base}-{}", marker("lock")))
}

struct LockName(String);

impl std::ops::Deref for LockName {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LockName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Drop for LockName {
    fn drop(&mut self) {
        // Where ptool keeps it, as ptool lock show says.
        let out = ptool(["lock", "show", "--json", &self.0]);
        let Ok(locks) = serde_json::from_str::<serde_json::Value>(&out.stdout) else {
            return;
        };
        for lock in locks.as_array().into_iter().flatten() {
            let Some(path) = lock["path"].as_str() else {
                continue;
            };
            let _ = std::fs::remove_file(path);
            for slot in 1..lock["slots"].as_u64().unwrap_or(1) {
                let _ = std::fs::remove_file(format!("{path}#{slot}"));
            }
        }
    }
}

/// A victim with a marker unique to this example.
fn victim(args: &[&str]) -> Victim {
    Victim::start(&marker("readme"), args)
}

/// A victim whose marker (and so command line) contains `text`.
fn victim_with(text: &str, args: &[&str]) -> Victim {
    Victim::start(&format!("{}-{text}", marker("readme")), args)
}

/// Wait (bounded) until `path` holds text that `ready` accepts: for output
/// that a detached command writes on its own time.
fn wait_for_file(path: &Path, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + BOUND;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if ready(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} never got what was expected: {text:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The PIDs in the first column of a tab-separated listing (header skipped
/// when it has one).
fn first_column(stdout: &str) -> Vec<i32> {
    stdout
        .lines()
        .filter_map(|l| l.split('\t').next()?.trim().parse().ok())
        .collect()
}

/// The values of column `name` of a tab-separated listing with a header.
fn column(stdout: &str, name: &str) -> Vec<String> {
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let at = header
        .iter()
        .position(|h| *h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    lines
        .map(|l| l.split('\t').nth(at).unwrap_or_default().to_string())
        .collect()
}

fn is_sorted_descending(values: &[f64]) -> bool {
    values.windows(2).all(|w| w[0] >= w[1])
}

/// Wait (bounded) for the victim to die, and the signal that killed it.
fn killed_by(v: &mut Victim) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    v.wait().signal()
}

/// Run a command other than an example (bounded).
fn run_plain(cmd: &mut Command) -> Output {
    let mut taken = Command::new(cmd.get_program());
    taken.env("PATH", path_with_ptool(None));
    taken.args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        taken.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => taken.env(k, v),
            None => taken.env_remove(k),
        };
    }
    run(taken, None, BOUND)
}

impl Sh {
    /// Run with `HOME` set to the example's directory: for install lines.
    fn run_home(&self) -> Output {
        let mut cmd = self.command();
        cmd.env("HOME", self.dir.dir());
        run(cmd, None, BOUND)
    }
}

/// `17M`, `1.5G`, `512K` or `0`, in bytes (as tables show sizes).
fn parse_size(text: &str) -> f64 {
    let (number, unit) = match text.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    };
    let scale = match unit {
        "" | "B" => 1.0,
        "K" => 1024.0,
        "M" => 1024.0 * 1024.0,
        "G" => 1024.0 * 1024.0 * 1024.0,
        "T" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        other => panic!("unknown size unit {other:?} in {text:?}"),
    };
    number
        .parse::<f64>()
        .unwrap_or_else(|_| panic!("size {text:?}"))
        * scale
}

/// A field of processes, as one `ptool ls --json` gives it, in their order.
fn ls_json(pids: &[i32], field: &str) -> Vec<f64> {
    let mut args = vec![
        "ls".to_string(),
        "--json".into(),
        "-o".into(),
        format!("pid,{field}"),
    ];
    args.extend(pids.iter().map(|p| p.to_string()));
    let rows = ptool(&args).json();
    pids.iter()
        .map(|pid| {
            let row = rows.as_array().unwrap().iter().find(|r| r["pid"] == *pid);
            row.and_then(|r| r[field].as_f64()).unwrap_or(0.0)
        })
        .collect()
}

/// Consecutive JSON values (as jq prints them, pretty) one a line each.
fn split_json_stream(text: &str) -> Vec<String> {
    let mut values = Vec::new();
    let stream = serde_json::Deserializer::from_str(text).into_iter::<serde_json::Value>();
    for value in stream {
        values.push(value.expect("JSON").to_string());
    }
    values
}

/// Wait (bounded) until a process carrying `marker` runs; its PID.
fn wait_for_marker(marker: &str) -> i32 {
    let deadline = Instant::now() + BOUND;
    loop {
        if let Some(pid) = carrying(marker).first() {
            return *pid;
        }
        assert!(
            Instant::now() < deadline,
            "nothing carrying {marker} started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Wait (bounded) until `pid` is in `state`.
fn wait_for_state(pid: i32, state: &str) {
    let deadline = Instant::now() + BOUND;
    while stat_fields(pid).1[0] != state {
        assert!(
            Instant::now() < deadline,
            "{pid} never got to state {state}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Field `n` of `/proc/PID/task/TID/stat` (as proc(5) numbers them) of
/// every thread of `pid`, in TID order.
fn thread_field(pid: i32, n: usize) -> Vec<String> {
    thread_ids(pid)
        .into_iter()
        .map(|tid| {
            let raw = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).unwrap();
            let rest = &raw[raw.rfind(')').unwrap() + 2..];
            rest.split_whitespace().nth(n - 3).unwrap().to_string()
        })
        .collect()
}

/// The thread IDs of `pid`, ascending (the main thread first).
fn thread_ids(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort();
    tids
}

/// Exit 0 with nothing on stderr but `ptool: note: ...` lines (set warns
/// where the kernel will not honour a niceness or I/O class fully).
trait Notes {
    fn ok_with_notes(&self) -> &Self;
}

impl Notes for Output {
    fn ok_with_notes(&self) -> &Self {
        self.expect_code(0);
        assert!(
            self.stderr.lines().all(|l| l.starts_with("ptool: note: ")),
            "{self:?}"
        );
        self
    }
}

// ---------------------------------------------------------------------
// The checks, one per example.

const CHECKS: &[(&str, Check)] = &[
    // ---- Install and Set up
    ("cargo install --path .", |_| {
        // Building a release into ~/.cargo/bin here would take minutes:
        // what the line installs is every binary target of the package,
        // which cargo metadata lists.
        let out = run_plain(
            Command::new("cargo")
                .args([
                    "metadata",
                    "--no-deps",
                    "--offline",
                    "--format-version",
                    "1",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR")),
        );
        out.success();
        let meta = out.json();
        let package = meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "ptool")
            .expect("the ptool package");
        let bins: Vec<&str> = package["targets"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|t| {
                t["kind"]
                    .as_array()
                    .is_some_and(|k| k.iter().any(|k| k == "bin"))
            })
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        // ptool alone: the test victim is a package of its own.
        assert_eq!(bins, ["ptool"]);
    }),
    (
        "mkdir -p ~/.local/share/bash-completion/completions && ptool completions bash > ~/.local/share/bash-completion/completions/ptool",
        |text| {
            let ex = sh(text);
            let home = ex.dir.dir().to_str().unwrap().to_string();
            ex.run_home().success();
            // bash-completion loads this file for `ptool`; sourced, it registers.
            let out = run_plain(Command::new("bash").args(["-c", "source ~/.local/share/bash-completion/completions/ptool && complete -p ptool"]).env("HOME", &home));
            out.success();
            assert!(
                out.stdout.contains("-F _ptool_with_pids")
                    && out.stdout.trim_end().ends_with(" ptool"),
                "{out:?}"
            );
        },
    ),
    (
        "mkdir -p ~/.zfunc && ptool completions zsh > ~/.zfunc/_ptool",
        |text| {
            if !have_tool("zsh") {
                return;
            }
            let ex = sh(text);
            ex.run_home().success();
            let file = ex.path(".zfunc/_ptool");
            run_plain(Command::new("zsh").arg("-n").arg(&file)).success();
            // As the comment says: on fpath before compinit, zsh completes ptool.
            let out = run_plain(
            Command::new("zsh")
                .args(["-f", "-c", "fpath+=(~/.zfunc); autoload -Uz compinit; compinit -u -d ~/.zcompdump; print -r -- $_comps[ptool]"])
                .env("HOME", ex.dir.dir()),
        );
            out.success();
            assert_eq!(out.stdout.trim(), "_ptool", "{out:?}");
        },
    ),
    (
        "mkdir -p ~/.config/fish/completions && ptool completions fish > ~/.config/fish/completions/ptool.fish",
        |text| {
            if !have_tool("fish") {
                return;
            }
            let ex = sh(text);
            ex.run_home().success();
            run_plain(
                Command::new("fish")
                    .arg("--no-execute")
                    .arg(ex.path(".config/fish/completions/ptool.fish")),
            )
            .success();
            // fish loads it by itself from there when completing ptool.
            let out = run_plain(
                Command::new("fish")
                    .args(["-c", "complete -C 'ptool ki'"])
                    .env("HOME", ex.dir.dir())
                    .env("XDG_CONFIG_HOME", ex.path(".config")),
            );
            out.success();
            assert!(out.stdout.starts_with("kill\t"), "{out:?}");
        },
    ),
    (
        "mkdir -p ~/.config/elvish && ptool completions elvish >> ~/.config/elvish/rc.elv",
        |text| {
            // Elvish is not installed here: the file is checked for the script.
            let ex = sh(text);
            ex.run_home().success();
            let rc = std::fs::read_to_string(ex.path(".config/elvish/rc.elv")).unwrap();
            assert!(
                rc.contains("set edit:completion:arg-completer[ptool]"),
                "{rc}"
            );
        },
    ),
    ("ptool completions powershell >> $PROFILE", |text| {
        // Run by sh, not PowerShell (not installed here): $PROFILE is set to
        // a file, which must then hold the completer.
        let mut ex = sh(text);
        let profile = ex.path("profile.ps1");
        ex = ex.env("PROFILE", profile.to_str().unwrap());
        let out = ex.run();
        out.success();
        let script = std::fs::read_to_string(&profile).unwrap();
        assert!(
            script.contains("Register-ArgumentCompleter") && script.contains("'ptool'"),
            "{script}"
        );
    }),
    ("ptool man --dir ~/.local/share/man/man1", |text| {
        let ex = sh(text);
        ex.run_home().success();
        let dir = ex.path(".local/share/man");
        let names = std::fs::read_dir(dir.join("man1")).unwrap().count();
        assert_eq!(names, 1 + ptool::testing::page_names().len());
        if !have_tool("man") {
            return;
        }
        // As the README says: man finds them with ~/.local/bin on PATH.
        let bin = ex.path(".local/bin");
        std::fs::create_dir_all(&bin).unwrap();
        let mut man = Command::new("man");
        man.args(["-w", "ptool-kill"])
            .env("HOME", ex.dir.dir())
            .env_remove("MANPATH")
            .env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
        let out = run(man, None, BOUND);
        out.success();
        assert!(out.stdout.trim().ends_with("man1/ptool-kill.1"), "{out:?}");
    }),
    ("cargo run --release -- ls", |_| {
        // cargo run builds and runs the default binary, which must be ptool,
        // with `ls`: run here as the already built binary.
        let manifest =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
        assert!(manifest.contains("default-run = \"ptool\""));
        let v = victim(&[]);
        let out = ptool(["ls"]);
        out.success();
        assert!(first_column(&out.stdout).contains(&v.pid()));
    }),
    ("fuzz/run", |_| {
        // Fuzzing needs nightly and minutes of building: .ci/run runs this
        // very command; here, that it does and that the script is there.
        let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
        assert!(ci.lines().any(|l| l.trim() == "fuzz/run 5"), "{ci}");
        let run = concat!(env!("CARGO_MANIFEST_DIR"), "/fuzz/run");
        assert!(std::fs::metadata(run).is_ok_and(|m| m.is_file()), "{run}");
    }),
    ("fuzz/run 600 proc_stat", |_| {
        // Ten minutes of fuzzing is not a test: the target it names exists.
        let target = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fuzz/fuzz_targets/proc_stat.rs"
        );
        assert!(
            std::fs::metadata(target).is_ok_and(|m| m.is_file()),
            "{target}"
        );
    }),
    ("cargo test", |_| {
        // Running the suite from inside itself would recurse: .ci/run, which
        // the README says runs the tests, must run exactly this.
        let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
        assert!(
            ci.lines().any(|l| l.trim().starts_with("cargo test")),
            "{ci}"
        );
    }),
    ("ptool man | man -l -", |text| {
        if !have_tool("man") {
            return;
        }
        let out = sh(text)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .run();
        out.success();
        for section in crate::completions::MAN_SECTIONS {
            assert!(
                out.stdout.contains(section),
                "no {section} in\n{}",
                out.stdout
            );
        }
        assert!(out.stdout.contains("NO_COLOR") && out.stdout.contains("ptool-kill(1)"));
    }),
    ("ptool man kill | man -l -", |text| {
        if !have_tool("man") {
            return;
        }
        let out = sh(text)
            .env("MANWIDTH", "80")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .run();
        out.success();
        let words: Vec<&str> = out.stdout.split_whitespace().collect();
        assert!(
            words.join(" ").contains("ptool-kill - End processes"),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("--grace"));
    }),
    // ---- ls
    ("ptool ls", |text| {
        let v = victim(&[]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout
                .starts_with("PID\tUSER\t%CPU\t%MEM\tRSS\tSTATE\tSTART\tTIME\tCOMMAND\n")
        );
        assert!(first_column(&out.stdout).contains(&v.pid()));
    }),
    ("ptool ls -n '^python' --sort -rss", |text| {
        // A victim named python3 stands in for Python.
        let v = victim(&["--name", "python3"]);
        let out = sh(text).run();
        out.success();
        assert!(
            first_column(&out.stdout).contains(&v.pid()),
            "{}",
            out.stdout
        );
        let rss: Vec<f64> = column(&out.stdout, "RSS")
            .iter()
            .map(|r| parse_size(r))
            .collect();
        assert!(is_sorted_descending(&rss), "{rss:?}");
    }),
    ("ptool ls -f 'http.server' --pids", |text| {
        // A victim whose command line has http.server stands in for
        // `python3 -m http.server`.
        let v = victim_with("http.server", &[]);
        let out = sh(text).run();
        out.success();
        assert!(first_column(&out.stdout).contains(&v.pid()));
        assert!(out.stdout.lines().all(|l| l.parse::<i32>().is_ok()));
    }),
    (
        "ptool ls -u \"$USER\" -o pid,elapsed,cmd --sort -elapsed --limit 5",
        |text| {
            let out = sh(text).run();
            out.success();
            assert!(
                out.stdout.starts_with("PID\tELAPSED\tCOMMAND\n"),
                "{}",
                out.stdout
            );
            assert!((1..=5).contains(&(out.stdout.lines().count() - 1)));
            let pids = first_column(&out.stdout);
            let elapsed = ls_json(&pids, "elapsed");
            assert!(
                is_sorted_descending(&elapsed) || pids.len() < 2,
                "{elapsed:?}"
            );
        },
    ),
    ("ptool ls --sample 1s --sort -cpu --limit 10", |text| {
        let out = sh(text).run();
        out.success();
        assert!(out.elapsed >= Duration::from_secs(1));
        let cpu: Vec<f64> = column(&out.stdout, "%CPU")
            .iter()
            .map(|c| c.parse().unwrap())
            .collect();
        assert!(
            (1..=10).contains(&cpu.len()) && is_sorted_descending(&cpu),
            "{cpu:?}"
        );
    }),
    ("ptool ls --threads -P 1234", |text| {
        let v = victim(&["--kids", "_,_"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        let kids: Vec<i32> = v.family.kids.iter().map(|k| k.pid).collect();
        let mut tids: Vec<i32> = column(&out.stdout, "TID")
            .iter()
            .map(|t| t.parse().unwrap())
            .collect();
        tids.sort();
        assert_eq!(tids, kids, "{}", out.stdout);
    }),
    (
        "ptool ls --json | jq '.[] | select(.rss > 1e9) | .pid'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&[]);
            let out = sh(text).run();
            out.success();
            assert!(
                out.stdout.lines().all(|l| l.parse::<i32>().is_ok()),
                "{}",
                out.stdout
            );
            // The same with no threshold (changed here) lists the victim.
            let out = sh(text).sub("1e9", "0").run();
            out.success();
            assert!(first_column(&out.stdout).contains(&v.pid()));
        },
    ),
    // ---- info
    ("ptool info 1234", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        assert!(
            out.stdout.starts_with(&format!("PID {}", v.pid())),
            "{}",
            out.stdout
        );
        for section in ["Identity", "Program", "Resources", "Open files", "Signals"] {
            assert!(
                out.stdout.lines().any(|l| l.starts_with(section)),
                "no {section}"
            );
        }
    }),
    ("ptool info --files 1234", |text| {
        let ex = sh(text);
        let file = ex.file("held.txt", "");
        let v = victim(&["--open", file.to_str().unwrap()]);
        let out = ex.pid("1234", v.pid()).run();
        out.success();
        assert!(
            out.stdout.contains(file.to_str().unwrap()),
            "{}",
            out.stdout
        );
    }),
    ("ptool info --limits --env 1234", |text| {
        let m = marker("readme-env");
        let mut cmd = Command::new(victim_path());
        cmd.arg(&m).env("README_VAR", "here");
        let v = Victim::start_cmd(&m, cmd);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        assert!(out.stdout.lines().any(|l| l.starts_with("Limits")));
        assert!(out.stdout.lines().any(|l| l.starts_with("Environment")));
        assert!(
            out.stdout.contains("README_VAR=here") || out.stdout.contains("README_VAR"),
            "{}",
            out.stdout
        );
    }),
    ("ptool info -n nginx", |text| {
        // A victim named nginx stands in for nginx.
        let v = victim(&["--name", "nginx"]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.contains(&format!("PID {}  nginx", v.pid())),
            "{}",
            out.stdout
        );
    }),
    (
        "ptool info 1234 --json | jq '.open_files[] | select(.socket.state == \"LISTEN\")'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&["--listen"]);
            let out = sh(text).pid("1234", v.pid()).run();
            out.success();
            let fd: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            assert_eq!(fd["fd"], v.report["listen_fd"]);
            let port = v.report["port"].as_i64().unwrap();
            assert!(
                fd["socket"]["local"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(":{port}")),
                "{fd}"
            );
        },
    ),
    // ---- spawn
    (
        "ptool spawn --log app.log --pidfile app.pid -- ./server --port 8080",
        |text| {
            // ./server is a stand-in: a script that runs the victim.
            let m = marker("readme-server");
            let _guard = MarkerGuard::new(&m);
            let ex = sh(text);
            ex.script("server", &format!("exec ptool-victim {m} --forever"));
            let out = ex.run();
            out.success();
            let pid: i32 = out.stdout.trim().parse().unwrap();
            let mut held = Reaper::default();
            held.add(pid);
            assert_eq!(
                std::fs::read_to_string(ex.path("app.pid")).unwrap(),
                format!("{pid}\n")
            );
            wait_for_file(&ex.path("app.log"), |t| {
                t.contains(&format!("\"pid\":{pid}"))
            });
            assert_eq!(stat_fields(pid).1[3], pid.to_string(), "leads its session");
        },
    ),
    ("ptool spawn -n 4 --log worker.log -- ./worker", |text| {
        let m = marker("readme-worker");
        let _guard = MarkerGuard::new(&m);
        let ex = sh(text);
        // ./worker is a stand-in: it says its index, then runs the victim.
        ex.script(
            "worker",
            &format!("echo index=$PTOOL_INDEX; exec ptool-victim {m} --forever"),
        );
        let out = ex.run();
        out.success();
        let pids: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(pids.len(), 4);
        let log = wait_for_file(&ex.path("worker.log"), |t| t.matches("index=").count() == 4);
        for i in 0..4 {
            assert!(log.contains(&format!("index={i}\n")), "{log}");
        }
    }),
    (
        "ptool spawn --json --stdout out.log --stderr err.log -- ./job | jq .pid",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let ex = sh(text);
            // ./job is a stand-in that writes one line to each.
            ex.script("job", "echo to-stdout; echo to-stderr >&2");
            let out = ex.run();
            out.success();
            out.stdout.trim().parse::<i32>().unwrap();
            wait_for_file(&ex.path("out.log"), |t| t == "to-stdout\n");
            wait_for_file(&ex.path("err.log"), |t| t == "to-stderr\n");
        },
    ),
    (
        "ptool spawn --wait --timeout 30s --kill-after 5s -- make test",
        |text| {
            let ex = sh(text);
            // make is a stand-in that fails its tests: the code passes through.
            ex.script("make", "echo testing $1; exit 3");
            let out = ex.run();
            out.expect_code(3);
            assert_eq!(out.stdout, "testing test\n");
        },
    ),
    (
        "ptool spawn --wait --clear-env -e PATH=/usr/bin -C /srv --nice 10 --umask 027 -- ./backup",
        |text| {
            let ex = sh(text);
            let srv = TempDir::new("readme-srv");
            // /srv is this test's directory, and ./backup a script in it that
            // shows what it was given.
            let backup = srv.path("backup");
            std::fs::write(&backup, "#!/bin/sh\necho \"cwd=$(pwd)\"; echo \"home=${HOME-unset}\"; echo \"path=$PATH\"; echo \"nice=$(nice)\"; echo \"umask=$(umask)\"\n").unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&backup, std::fs::Permissions::from_mode(0o755)).unwrap();
            let out = ex.sub("/srv", srv.dir().to_str().unwrap()).run();
            out.success();
            assert_eq!(
                out.stdout,
                format!(
                    "cwd={}\nhome=unset\npath=/usr/bin\nnice=10\numask=0027\n",
                    srv.dir().display()
                )
            );
        },
    ),
    // ---- tree
    ("ptool tree", |text| {
        let v = victim(&["--name", "rdm-tree-all", "--kids", "rdm-kid,rdm-kid"]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.lines().any(|l| l.ends_with("rdm-tree-all")),
            "{}",
            out.stdout
        );
        assert!(out.stdout.contains("2*[rdm-kid]"));
        drop(v);
    }),
    ("ptool tree -p 1234", |text| {
        let v = victim(&["--name", "rdm-tree", "--kids", "rdm-kid(rdm-grandkid)"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        let kid = &v.family.kids[0];
        assert_eq!(
            out.stdout,
            format!(
                "rdm-tree({})\n`-rdm-kid({})\n  `-rdm-grandkid({})\n",
                v.pid(),
                kid.pid,
                kid.kids[0].pid
            )
        );
    }),
    ("ptool tree -s -p 1234", |text| {
        let v = victim(&["--name", "rdm-chain"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        let last = out.stdout.lines().last().unwrap();
        assert!(
            last.ends_with(&format!("rdm-chain({})", v.pid())),
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains(&format!("({})", std::process::id())),
            "the test is an ancestor"
        );
    }),
    ("ptool tree -n '^python' -d", |text| {
        // A victim named python3 stands in for Python.
        let v = victim(&["--name", "python3", "--kids", "rdm-pykid"]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.contains("python3") && out.stdout.contains("rdm-pykid"),
            "{}",
            out.stdout
        );
        drop(v);
    }),
    (
        "ptool tree -p -f http.server $(ptool ls --pids -x -n sshd)",
        |text| {
            // A victim named sshd stands in for sshd, its child (with
            // http.server in its command line) for the web server.
            let v = victim_with("http.server", &["--name", "sshd", "--kids", "rdm-web"]);
            let out = sh(text).run();
            out.success();
            let kid = v.family.kids[0].pid;
            assert!(
                out.stdout.contains(&format!("sshd({})", v.pid())),
                "{}",
                out.stdout
            );
            assert!(
                out.stdout.contains(&format!("rdm-web({kid})")),
                "{}",
                out.stdout
            );
        },
    ),
    ("ptool tree -a --owner -T 1234", |text| {
        let v = victim(&["--name", "rdm-owner", "--threads", "2"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        let first = out.stdout.lines().next().unwrap();
        assert!(first.starts_with("rdm-owner(root) "), "{}", out.stdout);
        assert!(
            first.contains(&v.marker),
            "the arguments are shown: {first}"
        );
        assert!(
            out.stdout.contains("2*[{rdm-owner}]"),
            "two threads: {}",
            out.stdout
        );
    }),
    (
        "ptool tree --json 1234 | jq '.. | objects | select(.name? == \"sleep\") | .pid'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            // Victims named sleep stand in for sleep(1).
            let v = victim(&["--kids", "sleep,_(sleep)"]);
            let out = sh(text).pid("1234", v.pid()).run();
            out.success();
            let mut got: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
            got.sort();
            let mut want = vec![v.family.kids[0].pid, v.family.kids[1].kids[0].pid];
            want.sort();
            assert_eq!(got, want);
        },
    ),
    // ---- fork
    // ---- fork
    ("ptool fork -j 4 gzip -k ::: *.log", |text| {
        if !have_tool("gzip") {
            return;
        }
        let ex = sh(text);
        ex.file("a.log", "a\n");
        ex.file("b.log", "b\n");
        ex.run().success();
        assert!(ex.path("a.log.gz").exists() && ex.path("b.log.gz").exists());
        assert!(ex.path("a.log").exists(), "-k keeps the input");
    }),
    ("ptool fork 'gzip -c {} > {}.gz' ::: *.log", |text| {
        if !have_tool("gzip") {
            return;
        }
        let ex = sh(text);
        // A name with a space and a quote: the inputs are quoted for sh.
        ex.file("it's a.log", "one\n");
        ex.file("b.log", "two\n");
        ex.run().success();
        let unzip =
            |name: &str| run_plain(Command::new("gzip").arg("-dc").arg(ex.path(name))).stdout;
        assert_eq!(unzip("it's a.log.gz"), "one\n");
        assert_eq!(unzip("b.log.gz"), "two\n");
    }),
    (
        "find . -name '*.png' -print0 | ptool fork -0 --tag optipng",
        |text| {
            let ex = sh(text);
            // optipng is a stand-in that says what it was given.
            ex.script("optipng", "echo \"optimized $1\"");
            ex.file("a b.png", "");
            ex.file("c.png", "");
            let out = ex.run();
            out.success();
            let mut lines: Vec<&str> = out.stdout.lines().collect();
            lines.sort();
            assert_eq!(
                lines,
                [
                    "./a b.png\toptimized ./a b.png",
                    "./c.png\toptimized ./c.png"
                ]
            );
        },
    ),
    ("ptool fork -k convert {} {.}.jpg ::: *.png", |text| {
        let ex = sh(text);
        // convert is a stand-in that says what it would write.
        ex.script("convert", "echo \"$1 -> $2\"");
        ex.file("a.png", "");
        ex.file("b.x.png", "");
        let out = ex.run();
        out.success();
        assert_eq!(out.stdout, "a.png -> a.jpg\nb.x.png -> b.x.jpg\n");
    }),
    ("ptool fork echo {1} {2} ::: a b ::: 1 2", |text| {
        let out = sh(text).run();
        out.success();
        let mut lines: Vec<&str> = out.stdout.lines().collect();
        lines.sort();
        assert_eq!(lines, ["a 1", "a 2", "b 1", "b 2"]);
        if have_tool("parallel") {
            let peer = sh(&text.replacen("ptool fork", "parallel", 1)).run();
            let mut theirs: Vec<&str> = peer.stdout.lines().collect();
            theirs.sort();
            assert_eq!(lines, theirs, "as GNU parallel does");
        }
    }),
    (
        "ptool fork --colsep , --header : 'echo {name} is {age}' :::: people.csv",
        |text| {
            let ex = sh(text);
            ex.file("people.csv", "name,age\nann,30\nbob,41\n");
            let out = ex.run();
            out.success();
            let mut lines: Vec<&str> = out.stdout.lines().collect();
            lines.sort();
            assert_eq!(lines, ["ann is 30", "bob is 41"]);
        },
    ),
    ("ptool fork --pipe --block 10M wc -l < big.log", |text| {
        let ex = sh(text);
        let lines: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        ex.file("big.log", &lines);
        let out = ex.run();
        out.success();
        let total: u64 = out
            .stdout
            .lines()
            .map(|l| l.trim().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 100_000);
    }),
    (
        "ptool fork --count 8 --timeout 5m -- ./worker --shard {}",
        |text| {
            let ex = sh(text);
            // ./worker is a stand-in that says which shard and job it is.
            ex.script("worker", "echo \"shard $2 job $PTOOL_JOB\"");
            let out = ex.run();
            out.success();
            let mut lines: Vec<&str> = out.stdout.lines().collect();
            lines.sort();
            let want: Vec<String> = (0..8).map(|i| format!("shard {i} job {}", i + 1)).collect();
            assert_eq!(lines, want);
        },
    ),
    (
        "ptool fork -k --json curl -sI {} ::: example.org example.com | jq -r .stdout",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let ex = sh(text);
            // curl is a stand-in (no network here) that answers like a server.
            ex.script("curl", "printf 'HTTP/1.1 200 OK\\nhost: %s\\n' \"$2\"");
            let out = ex.run();
            out.success();
            assert_eq!(
                out.stdout,
                "HTTP/1.1 200 OK\nhost: example.org\n\nHTTP/1.1 200 OK\nhost: example.com\n\nnull\n"
            );
        },
    ),
    (
        "ptool fork --halt now,fail=1 --joblog jobs.tsv make -C {} ::: lib app docs",
        |text| {
            let ex = sh(text);
            // make is a stand-in whose build fails in app.
            ex.script("make", "[ \"$2\" = app ] && exit 2; echo \"built $2\"");
            let out = ex.run();
            assert!(out.code() >= 1, "{out:?}");
            let log = std::fs::read_to_string(ex.path("jobs.tsv")).unwrap();
            assert!(
                log.starts_with("Seq\tHost\t") || log.starts_with("Seq\tSlot\t"),
                "{log}"
            );
            let app = log
                .lines()
                .find(|l| l.ends_with("make -C app"))
                .expect("app's line");
            assert!(app.split('\t').any(|f| f == "2"), "{log}");
        },
    ),
    ("ptool fork -k cmd {1} {2} ::: a b :::+ 1 2", |text| {
        let out = sh(text).sub("cmd", "echo").run();
        out.success();
        assert_eq!(out.stdout, "a 1\nb 2\n");
    }),
    ("ptool fork -k cmd {1} {2} ::: xs... ::: ys...", |text| {
        let out = sh(text)
            .sub("cmd", "echo")
            .sub("xs...", "x1 x2")
            .sub("ys...", "y1 y2")
            .run();
        out.success();
        assert_eq!(out.stdout, "x1 y1\nx1 y2\nx2 y1\nx2 y2\n");
    }),
    ("producer | ptool fork -k --pipe -N N cmd", |text| {
        let ex = sh(text).sub("-N N", "-N 2").sub("cmd", "wc -l");
        // producer is a stand-in that writes five lines.
        ex.script("producer", "printf '1\\n2\\n3\\n4\\n5\\n'");
        let out = ex.run();
        out.success();
        let counts: Vec<&str> = out.stdout.split_whitespace().collect();
        assert_eq!(counts, ["2", "2", "1"]);
    }),
    ("ptool fork -k -n 10 cmd ::: items...", |text| {
        let items: Vec<String> = (1..=12).map(|i| i.to_string()).collect();
        let out = sh(text)
            .sub("cmd", "echo")
            .sub("items...", &items.join(" "))
            .run();
        out.success();
        assert_eq!(out.stdout, "1 2 3 4 5 6 7 8 9 10\n11 12\n");
    }),
    ("ptool fork --count 8 -- cmd {}", |text| {
        let out = sh(text).sub("cmd", "echo").run();
        out.success();
        let mut got: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
        got.sort();
        assert_eq!(got, (0..8).collect::<Vec<_>>());
    }),
    ("ptool fork -k 'convert {} {.}.jpg' ::: *.png", |text| {
        let ex = sh(text);
        // convert is a stand-in that says what it would write; the string
        // is run by sh, with the inputs quoted.
        ex.script("convert", "echo \"$1 -> $2\"");
        ex.file("a b.png", "");
        ex.file("c.png", "");
        let out = ex.run();
        out.success();
        assert_eq!(out.stdout, "a b.png -> a b.jpg\nc.png -> c.jpg\n");
    }),
    ("ptool fork --pipe --block 10M wc -l < big.txt", |text| {
        let ex = sh(text);
        let lines: String = (0..100_000).map(|i| format!("line {i}\n")).collect();
        ex.file("big.txt", &lines);
        let out = ex.run();
        out.success();
        let total: u64 = out
            .stdout
            .lines()
            .map(|l| l.trim().parse::<u64>().unwrap())
            .sum();
        assert_eq!(total, 100_000);
    }),
    (
        "ptool fork --count 8 --timeout 5m --joblog jobs.tsv -- ./worker --shard {}",
        |text| {
            let ex = sh(text);
            // ./worker is a stand-in that says which shard it is.
            ex.script("worker", "echo \"shard $2\"");
            let out = ex.run();
            out.success();
            assert_eq!(out.stdout.lines().count(), 8);
            let log = std::fs::read_to_string(ex.path("jobs.tsv")).unwrap();
            assert_eq!(log.lines().count(), 9, "a header and 8 jobs: {log}");
        },
    ),
    ("exit 255", |_| {
        // fork's usage errors are GNU parallel's 255, never a count of jobs.
        let out = ptool(["fork", "--jobs", "x", "true"]);
        out.expect_code(255);
        assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    }),
    // ---- wait
    ("ptool wait 1234", |text| {
        let mut v = victim(&[]);
        let mut w = sh(text).pid("1234", v.pid()).background();
        wait_for_watcher(v.pid());
        v.tell("exit 3");
        let (code, out, err) = w.finish();
        assert_eq!(code, 0, "{out:?} {err:?}");
        assert!(
            out.iter()
                .any(|l| l.starts_with(&v.pid().to_string()) && l.ends_with("exited 3")),
            "{out:?}"
        );
        v.wait();
    }),
    ("ptool wait -f 'make -j' --timeout 10m", |text| {
        // A victim with `make -j` in its command line stands in for make.
        let mut v = victim_with("make -j", &[]);
        let mut w = sh(text).background();
        wait_for_watcher(v.pid());
        v.tell("exit 0");
        let (code, out, _) = w.finish();
        assert_eq!(code, 0, "{out:?}");
        assert!(
            out.iter()
                .any(|l| l.starts_with(&v.pid().to_string()) && l.ends_with("exited 0")),
            "{out:?}"
        );
        v.wait();
    }),
    ("ptool wait --any 1234 5678", |text| {
        let mut a = victim(&[]);
        let b = victim(&[]);
        let mut w = sh(text)
            .pid("1234", a.pid())
            .pid("5678", b.pid())
            .background();
        wait_for_watcher(a.pid());
        wait_for_watcher(b.pid());
        a.tell("exit 0");
        let (code, out, _) = w.finish();
        assert_eq!(code, 0, "{out:?}");
        assert_eq!(out.len(), 1, "only the first to end: {out:?}");
        assert!(out[0].starts_with(&a.pid().to_string()));
        a.wait();
    }),
    ("ptool wait --pidfile /run/nginx.pid", |text| {
        let mut v = victim(&[]);
        let ex = sh(text);
        // The pidfile is one this test writes, naming its victim.
        let pidfile = ex.file("nginx.pid", &format!("{}\n", v.pid()));
        let ex = ex.sub("/run/nginx.pid", pidfile.to_str().unwrap());
        let mut w = ex.background();
        wait_for_watcher(v.pid());
        v.tell("exit 0");
        let (code, out, _) = w.finish();
        assert_eq!(code, 0, "{out:?}");
        assert!(out[0].starts_with(&v.pid().to_string()), "{out:?}");
        v.wait();
    }),
    (
        "ptool wait -n '^worker' --json | jq -c 'select(.event == \"ended\")'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            // A victim named worker-... stands in for the workers.
            let mut v = victim(&["--name", "worker-readme"]);
            let mut w = sh(text).background();
            wait_for_watcher(v.pid());
            v.tell("exit 4");
            let (code, out, _) = w.finish();
            assert_eq!(code, 0, "{out:?}");
            let ended = json_lines(&out);
            assert!(
                ended
                    .iter()
                    .any(|e| e["pid"] == v.pid() && e["exit_code"] == 4),
                "{out:?}"
            );
            assert!(ended.iter().all(|e| e["event"] == "ended"));
            v.wait();
        },
    ),
    // ---- signal
    ("ptool signal HUP 1234", |text| {
        let mut v = victim(&[]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        assert_eq!(killed_by(&mut v), Some(libc::SIGHUP));
    }),
    ("ptool signal USR1 -n '^nginx$'", |text| {
        // A victim with a name of its own stands in for nginx: the pattern
        // is changed to that name, so that no real nginx is signalled.
        let mut v = victim(&["--name", "rdm-nginx-usr1"]);
        let out = sh(text).sub("^nginx$", "^rdm-nginx-usr1$").run();
        out.success();
        assert_eq!(killed_by(&mut v), Some(libc::SIGUSR1));
    }),
    ("ptool signal RTMIN+3 -f 'worker.py'", |text| {
        // The victim's marker stands in for worker.py, so that no real
        // worker.py is signalled.
        let mut v = victim(&[]);
        let out = sh(text).sub("worker.py", &v.marker.clone()).run();
        out.success();
        assert_eq!(killed_by(&mut v), Some(libc::SIGRTMIN() + 3));
    }),
    ("ptool signal 0 1234 && echo alive", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        assert!(out.stdout.ends_with("alive\n"), "{}", out.stdout);
        let out = sh(text).pid("1234", NEVER_A_PID as i32).run();
        out.expect_code(1);
        assert!(!out.stdout.contains("alive"));
    }),
    ("ptool signal list", |text| {
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with("15\tTERM\tterminate\t")),
            "{}",
            out.stdout
        );
    }),
    ("ptool signal show 1234", |text| {
        let v = victim(&["--catch", "TERM", "--ignore", "PIPE"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        let ignored = column(&out.stdout, "IGNORED");
        let caught = column(&out.stdout, "CAUGHT");
        assert!(ignored[0].split(',').any(|s| s == "PIPE"), "{}", out.stdout);
        assert!(caught[0].split(',').any(|s| s == "TERM"), "{}", out.stdout);
    }),
    // ---- kill
    ("ptool kill 1234", |text| {
        let mut v = victim(&[]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        assert!(
            out.stdout.contains("terminated by SIGTERM"),
            "{}",
            out.stdout
        );
        assert_eq!(killed_by(&mut v), Some(libc::SIGTERM));
    }),
    ("ptool kill -f 'http.server' --grace 1s", |text| {
        // The victim's marker stands in for http.server, so that no real
        // web server is killed; it ignores TERM, so KILL follows the grace.
        let mut v = victim_with("http-server", &["--ignore", "TERM"]);
        let out = sh(text).sub("http.server", &v.marker.clone()).run();
        out.success();
        assert!(out.elapsed >= Duration::from_secs(1));
        assert!(out.stdout.contains("killed by SIGKILL"), "{}", out.stdout);
        assert_eq!(killed_by(&mut v), Some(libc::SIGKILL));
    }),
    ("ptool kill --tree 1234", |text| {
        let v = victim(&["--kids", "_(_),_"]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.success();
        for pid in v.pids() {
            assert!(v.wait_gone(pid), "{pid} is still there");
        }
    }),
    ("ptool kill -s INT --grace 0 -n myjob", |text| {
        // A victim with a name of its own stands in for myjob.
        let mut v = victim(&["--name", "rdm-myjob"]);
        let out = sh(text).sub("myjob", "rdm-myjob").run();
        out.success();
        assert!(out.stdout.contains("sent SIGINT"), "{}", out.stdout);
        assert_eq!(killed_by(&mut v), Some(libc::SIGINT));
    }),
    ("ptool kill --dry-run -u alice", |text| {
        // There is no alice here: the victims are root's.
        let v = victim(&[]);
        let out = sh(text).sub("alice", "root").run();
        out.success();
        assert!(out.stdout.contains(&v.pid().to_string()), "{}", out.stdout);
        assert!(alive(v.pid()), "a dry run signals nothing");
    }),
    // ---- Coming from Python: processes
    ("ptool ls --pids", |text| {
        let v = victim(&[]);
        let out = sh(text).run();
        out.success();
        assert!(first_column(&out.stdout).contains(&v.pid()));
        assert!(out.stdout.lines().all(|l| l.parse::<i32>().is_ok()));
    }),
    ("ptool ls --json -o pid,name,user", |text| {
        let v = victim(&["--name", "rdm-iter"]);
        let out = sh(text).run();
        out.success();
        let rows = out.json();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["pid"] == v.pid())
            .expect("the victim");
        assert_eq!(
            row,
            &serde_json::json!({"pid": v.pid(), "name": "rdm-iter", "user": "root"})
        );
    }),
    ("ptool ls -f foo --json", |text| {
        let v = victim_with("foo", &[]);
        let out = sh(text).run();
        out.success();
        let rows = out.json();
        assert!(
            rows.as_array()
                .unwrap()
                .iter()
                .all(|r| r["cmd"].as_str().is_some_and(|c| c.contains("foo")))
        );
        assert!(rows.as_array().unwrap().iter().any(|r| r["pid"] == v.pid()));
    }),
    ("ptool signal -q 0 PID", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert!(out.stdout.is_empty());
        sh(text).pid("PID", NEVER_A_PID as i32).run().expect_code(1);
    }),
    ("ptool ls -o pid,ppid,pgid,sid,uid,cwd $$", |text| {
        let ex = sh(text);
        let out = ex.run();
        out.success();
        let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split('\t').collect();
        // The shell that ran it: its parent is this test.
        let pid: i32 = row[0].parse().unwrap();
        assert_eq!(row[1], std::process::id().to_string());
        assert!(pid > 0);
        assert_eq!(row[4], "0");
        assert_eq!(row[5], ex.dir.dir().to_str().unwrap());
    }),
    ("ptool ls -o pid,ppid,pgid,sid,uid,cwd PID", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let (_, stat) = stat_fields(v.pid());
        let row: Vec<String> = out
            .stdout
            .lines()
            .nth(1)
            .unwrap()
            .split('\t')
            .map(String::from)
            .collect();
        assert_eq!(
            row[..4],
            [
                v.pid().to_string(),
                stat[1].clone(),
                stat[2].clone(),
                stat[3].clone()
            ]
        );
        assert_eq!(row[4], "0");
        assert_eq!(row[5], std::env::current_dir().unwrap().to_str().unwrap());
    }),
    ("ptool ls -o pid,state,nice,user,mem PID", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let row: Vec<&str> = out.stdout.lines().nth(1).unwrap().split('\t').collect();
        assert_eq!(
            row[..4],
            [v.pid().to_string().as_str(), "S", "0", "root"],
            "{}",
            out.stdout
        );
        row[4].parse::<f64>().unwrap();
    }),
    ("ptool ls -P PID", |text| {
        let v = victim(&["--kids", "_,_"]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let mut got = first_column(&out.stdout);
        got.sort();
        let mut kids: Vec<i32> = v.family.kids.iter().map(|k| k.pid).collect();
        kids.sort();
        assert_eq!(got, kids);
    }),
    ("ptool tree --json PID", |text| {
        let v = victim(&["--kids", "_(_)"]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let tree = out.json();
        let kid = &tree[0]["children"][0];
        assert_eq!(tree[0]["pid"], v.pid());
        assert_eq!(kid["pid"], v.family.kids[0].pid);
        assert_eq!(kid["children"][0]["pid"], v.family.kids[0].kids[0].pid);
    }),
    ("ptool tree --ancestors --json PID", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        // The chain nests from the root down to the victim, through this test.
        let mut node = &out.json()[0];
        let mut chain = vec![node["pid"].as_i64().unwrap()];
        while let Some(next) = node["children"].get(0) {
            node = next;
            chain.push(node["pid"].as_i64().unwrap());
        }
        assert_eq!(chain.last(), Some(&i64::from(v.pid())));
        assert!(chain.contains(&i64::from(std::process::id())));
    }),
    ("ptool ls --threads PID", |text| {
        let v = victim(&["--threads", "2"]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert_eq!(
            column(&out.stdout, "TID").len(),
            3,
            "main thread and two: {}",
            out.stdout
        );
    }),
    ("ptool ls --sample 1s -o pid,cpu PID", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        // It sleeps: 0.0% over the second.
        assert_eq!(out.stdout, format!("PID\t%CPU\n{}\t0.0\n", v.pid()));
    }),
    ("ptool info PID --json", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let info = out.json();
        assert_eq!(info["pid"], v.pid());
        for key in ["identity", "program", "resources", "open_files", "signals"] {
            assert!(info.get(key).is_some(), "no {key}");
        }
    }),
    ("ptool info PID --json | jq .identity", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let identity = out.json();
        assert_eq!(identity["ppid"], std::process::id());
        assert_eq!((&identity["uid"], &identity["gid"]), (&0.into(), &0.into()));
        assert!(identity["groups"].is_array(), "{identity}");
    }),
    ("ptool info PID --json | jq .program", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let program = out.json();
        assert_eq!(program["exe"], victim_path());
        assert_eq!(program["cmdline"][1], v.marker.as_str());
    }),
    ("ptool info PID --json | jq .resources", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert!(out.json()["rss"].as_u64().unwrap() > 0);
    }),
    ("ptool info --files PID", |text| {
        let v = victim(&["--pipe"]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        let fd = v.report["pipe"][0].as_i64().unwrap();
        assert!(
            out.stdout
                .lines()
                .any(|l| l.split('\t').nth(1) == Some(&fd.to_string()) && l.contains("pipe")),
            "{}",
            out.stdout
        );
    }),
    (
        "ptool info --files PID --json | jq '.open_files[] | select(.socket)'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&["--listen", "--connect"]);
            let out = sh(text).pid("PID", v.pid()).run();
            out.success();
            let sockets = json_lines(split_json_stream(&out.stdout));
            let fds: Vec<&serde_json::Value> = sockets.iter().map(|s| &s["fd"]).collect();
            for key in ["listen_fd", "client_fd", "accepted_fd"] {
                assert!(fds.contains(&&v.report[key]), "{key} missing from {fds:?}");
            }
        },
    ),
    ("ptool info --env PID --json | jq .environment", |text| {
        if !have_tool("jq") {
            return;
        }
        let m = marker("readme-environ");
        let mut cmd = Command::new(victim_path());
        cmd.arg(&m).env("README_VAR", "here");
        let v = Victim::start_cmd(&m, cmd);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert_eq!(out.json()["README_VAR"], "here");
    }),
    (
        "ptool info --limits PID --json | jq '.limits[] | select(.resource == \"nofile\")'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&[]);
            let out = sh(text).pid("PID", v.pid()).run();
            out.success();
            let limit = out.json();
            let (soft, hard) =
                nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
            assert_eq!(limit["soft"], soft);
            assert_eq!(limit["hard"], hard);
        },
    ),
    ("ptool signal STOP PID", |text| {
        let v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().success();
        wait_for_state(v.pid(), "T");
    }),
    ("ptool signal CONT PID", |text| {
        let v = victim(&[]);
        ptool(["signal", "STOP", &v.pid().to_string()]).success();
        wait_for_state(v.pid(), "T");
        sh(text).pid("PID", v.pid()).run().success();
        wait_for_state(v.pid(), "S");
    }),
    // ---- Coming from Python: starting processes
    ("ptool spawn --log FILE -- CMD", |text| {
        let ex = sh(text)
            .sub("FILE", "out.log")
            .sub("CMD", "sh -c 'echo out; echo err >&2'");
        ex.run().success();
        wait_for_file(&ex.path("out.log"), |t| {
            t == "out\nerr\n" || t == "err\nout\n"
        });
    }),
    (
        "ptool spawn --wait --timeout 30s --signal KILL -- CMD",
        |text| {
            let out = sh(text).sub("30s", "300ms").sub("CMD", "sleep 60").run();
            // Changed here to 300ms: on timeout, KILL as subprocess.run does,
            // and the exit code timeout(1) gives for it.
            out.expect_code(137);
            assert!(out.elapsed < Duration::from_secs(10));
            if have_tool("timeout") {
                let peer =
                    run_plain(Command::new("timeout").args(["-s", "KILL", "0.3", "sleep", "60"]));
                assert_eq!(peer.code(), 137);
            }
        },
    ),
    (
        "ptool spawn --wait -C DIR --clear-env -e K=V -- CMD; echo $?",
        |text| {
            let dir = TempDir::new("readme-cwd");
            let out = sh(text)
                .sub("DIR", dir.dir().to_str().unwrap())
                .sub(
                    "CMD",
                    "/bin/sh -c 'echo \"$(pwd) $K ${HOME-unset}\"; exit 7'",
                )
                .run();
            out.success();
            assert_eq!(out.stdout, format!("{} V unset\n7\n", dir.dir().display()));
        },
    ),
    ("out=$(ptool spawn --wait -- CMD)", |text| {
        let out = sh(&format!("{text}; echo \"[$out] $?\""))
            .sub("CMD", "echo captured")
            .run();
        out.success();
        assert_eq!(out.stdout, "[captured] 0\n");
        let out = sh(&format!("set -e; {text}; echo not reached"))
            .sub("CMD", "false")
            .run();
        out.expect_code(1);
        assert!(out.stdout.is_empty());
    }),
    ("ptool spawn -n 4 -- CMD", |text| {
        let ex = sh(text).sub("CMD", "sh -c 'echo $PTOOL_INDEX > index.$PTOOL_INDEX'");
        let out = ex.run();
        out.success();
        assert_eq!(out.stdout.lines().count(), 4);
        for i in 0..4 {
            wait_for_file(&ex.path(&format!("index.{i}")), |t| t == format!("{i}\n"));
        }
    }),
    ("ptool spawn -- CMD", |text| {
        let m = marker("readme-pid");
        let _guard = MarkerGuard::new(&m);
        let out = sh(text)
            .sub("CMD", &format!("ptool-victim {m} --forever"))
            .run();
        out.success();
        let pid: i32 = out.stdout.trim().parse().unwrap();
        // A daemon in the Unix sense: its own session, no terminal.
        let (_, stat) = stat_fields(pid);
        assert_eq!(stat[3], pid.to_string());
        assert_eq!(stat[4], "0");
    }),
    ("ptool spawn --pidfile FILE -- CMD", |text| {
        let m = marker("readme-pidfile");
        let _guard = MarkerGuard::new(&m);
        let ex = sh(text)
            .sub("FILE", "p.pid")
            .sub("CMD", &format!("ptool-victim {m} --forever"));
        let out = ex.run();
        out.success();
        let pid = out.stdout.trim();
        assert_eq!(
            std::fs::read_to_string(ex.path("p.pid")).unwrap(),
            format!("{pid}\n")
        );
    }),
    ("ptool spawn --wait -- CMD", |text| {
        // The command ends with ptool: KILL ptool, and its command goes too.
        let m = marker("readme-daemon");
        let _guard = MarkerGuard::new(&m);
        let ex = sh(&format!("exec {text}"));
        let ex = ex.sub(
            "CMD",
            &format!("sh -c 'echo started; exec ptool-victim {m} --forever'"),
        );
        let mut p = ex.background();
        assert_eq!(p.next_line(), "started");
        let child = wait_for_marker(&m);
        let mut held = Reaper::default();
        held.add(child);
        p.signal(rustix::process::Signal::KILL);
        let (code, _, _) = p.finish();
        assert_eq!(code, 137);
        assert!(held.wait_gone(child), "the command outlived ptool");
    }),
    ("ptool spawn --nice 10 --umask 027 -- CMD", |text| {
        let ex = sh(text).sub("CMD", "sh -c 'echo $(nice) $(umask) > seen'");
        ex.run().success();
        wait_for_file(&ex.path("seen"), |t| t == "10 0027\n");
    }),
    // ---- Coming from Python: pools
    ("ptool fork -j 4 -k -- cmd ::: items...", |text| {
        let out = sh(text).sub("cmd", "echo").sub("items...", "c b a").run();
        out.success();
        assert_eq!(out.stdout, "c\nb\na\n");
    }),
    ("ptool fork -j 4 -- cmd ::: items...", |text| {
        let out = sh(text).sub("cmd", "echo").sub("items...", "c b a").run();
        out.success();
        let mut lines: Vec<&str> = out.stdout.lines().collect();
        lines.sort();
        assert_eq!(lines, ["a", "b", "c"]);
    }),
    ("ptool fork --timeout 60s -- cmd ::: items...", |text| {
        // Changed here to 300ms, and one job that takes longer.
        let out = sh(text)
            .sub("60s", "300ms")
            .sub("cmd", "sleep")
            .sub("items...", "0 60")
            .run();
        out.expect_code(1);
        assert!(out.elapsed < Duration::from_secs(10));
    }),
    ("ptool fork --json -- cmd ::: items... | jq -s", |text| {
        if !have_tool("jq") {
            return;
        }
        let out = sh(text).sub("cmd", "echo").sub("items...", "a b").run();
        out.success();
        let all = out.json();
        let events: Vec<&str> = all
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["event"].as_str().unwrap())
            .collect();
        assert_eq!(events, ["job", "job", "summary"]);
    }),
    ("producer | ptool fork -- consumer", |text| {
        let ex = sh(text);
        // producer and consumer are stand-ins: lines in, one job per line.
        ex.script("producer", "printf 'one\\ntwo\\n'");
        ex.script("consumer", "echo \"got $1\"");
        let out = ex.run();
        out.success();
        let mut lines: Vec<&str> = out.stdout.lines().collect();
        lines.sort();
        assert_eq!(lines, ["got one", "got two"]);
    }),
    // ---- Coming from Python: waiting
    ("ptool wait PID", |text| {
        let mut v = victim(&[]);
        let mut w = sh(text).pid("PID", v.pid()).background();
        wait_for_watcher(v.pid());
        v.tell("signal 9");
        let (code, out, _) = w.finish();
        assert_eq!(code, 0);
        assert!(out[0].ends_with("killed by SIGKILL"), "{out:?}");
        v.wait();
    }),
    ("ptool wait --timeout 5s PID", |text| {
        let v = victim(&[]);
        let out = sh(text).sub("5s", "200ms").pid("PID", v.pid()).run();
        // Changed here to 200ms: the victim runs on, so 124.
        out.expect_code(124);
        assert!(out.stdout.contains("still running"), "{}", out.stdout);
    }),
    ("ptool wait --timeout 5s PID...", |text| {
        let mut a = victim(&[]);
        let mut b = victim(&[]);
        a.tell("exit 0");
        b.tell("exit 1");
        let out = sh(text)
            .sub("PID...", &format!("{} {}", a.pid(), b.pid()))
            .run();
        out.success();
        assert_eq!(out.stdout.lines().count(), 2, "{}", out.stdout);
        a.wait();
        b.wait();
    }),
    ("ptool wait --any PID...", |text| {
        let a = victim(&[]);
        let mut b = victim(&[]);
        b.tell("exit 5");
        let out = sh(text)
            .sub("PID...", &format!("{} {}", a.pid(), b.pid()))
            .run();
        out.success();
        assert!(
            out.stdout.starts_with(&b.pid().to_string()) && out.stdout.contains("exited 5"),
            "{}",
            out.stdout
        );
        b.wait();
    }),
    ("ptool ls -q --state R,S,D,T,t,I PID", |text| {
        let mut v = victim(&[]);
        let pid = v.pid();
        let out = sh(text).pid("PID", pid).run();
        out.success();
        assert!(out.stdout.is_empty());
        // Ended but not collected yet: a zombie, not alive.
        v.tell("exit 0");
        wait_for_state(pid, "Z");
        sh(text).pid("PID", pid).run().expect_code(1);
        v.wait();
    }),
    (
        "ptool wait --json PID | jq 'select(.event == \"ended\") | {exit_code, signal}'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let mut v = victim(&[]);
            v.tell("exit 3");
            let out = sh(text).pid("PID", v.pid()).run();
            out.success();
            assert_eq!(
                out.json(),
                serde_json::json!({"exit_code": 3, "signal": null})
            );
            v.wait();
            let mut v = victim(&[]);
            v.tell("signal 15");
            let out = sh(text).pid("PID", v.pid()).run();
            assert_eq!(
                out.json(),
                serde_json::json!({"exit_code": null, "signal": 15})
            );
            v.wait();
        },
    ),
    ("ptool spawn --wait -- CMD; echo $?", |text| {
        let out = sh(text).sub("CMD", "sh -c 'exit 9'").run();
        out.success();
        assert_eq!(out.stdout, "9\n");
        let out = sh(text).sub("CMD", "sh -c 'kill -TERM $$'").run();
        assert_eq!(out.stdout, "143\n");
    }),
    // ---- Coming from Python: signals
    ("ptool signal HUP PID", |text| {
        let mut v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().success();
        assert_eq!(killed_by(&mut v), Some(libc::SIGHUP));
    }),
    ("ptool signal TERM --pgid PGID", |text| {
        // Victims lead their own process group: the group is the family.
        let v = victim(&["--kids", "_,_"]);
        sh(text).pid("PGID", v.pid()).run().success();
        for pid in v.pids() {
            assert!(v.wait_gone(pid), "{pid} is still there");
        }
    }),
    ("ptool signal show PID", |text| {
        let v = victim(&["--block", "USR2"]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert_eq!(column(&out.stdout, "BLOCKED"), ["USR2"]);
    }),
    ("ptool signal USR1 PID", |text| {
        // The victim blocks USR1, so the signal stays pending where the
        // kernel shows it, and it lives on.
        let v = victim(&["--block", "USR1"]);
        sh(text).pid("PID", v.pid()).run().success();
        let status = std::fs::read_to_string(format!("/proc/{}/status", v.pid())).unwrap();
        let pending = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|hex| u64::from_str_radix(hex.trim(), 16).unwrap())
                .unwrap()
        };
        let usr1 = 1u64 << (libc::SIGUSR1 - 1);
        assert_ne!(
            (pending("ShdPnd:") | pending("SigPnd:")) & usr1,
            0,
            "{status}"
        );
        assert!(alive(v.pid()));
    }),
    ("ptool kill --grace 5s PID", |text| {
        let mut v = victim(&["--ignore", "TERM"]);
        // Changed here to 300ms, for a victim that ignores TERM.
        let out = sh(text).sub("5s", "300ms").pid("PID", v.pid()).run();
        out.success();
        assert_eq!(killed_by(&mut v), Some(libc::SIGKILL));
    }),
    ("ptool kill --grace 0 PID", |text| {
        let mut v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.success();
        assert!(out.stdout.contains("sent SIGTERM"), "{}", out.stdout);
        assert_eq!(killed_by(&mut v), Some(libc::SIGTERM));
    }),
    ("ptool kill --grace 3s PID...", |text| {
        let mut a = victim(&[]);
        let mut b = victim(&["--ignore", "TERM"]);
        let out = sh(text)
            .sub("3s", "300ms")
            .sub("PID...", &format!("{} {}", a.pid(), b.pid()))
            .run();
        // Changed here to 300ms.
        out.success();
        assert_eq!(killed_by(&mut a), Some(libc::SIGTERM));
        assert_eq!(killed_by(&mut b), Some(libc::SIGKILL));
    }),
    ("ptool kill --tree -s KILL PID", |text| {
        let mut v = victim(&["--kids", "_(_)"]);
        sh(text).pid("PID", v.pid()).run().success();
        for pid in v.pids() {
            assert!(v.wait_gone(pid), "{pid} is still there");
        }
        assert_eq!(killed_by(&mut v), Some(libc::SIGKILL));
    }),
    // ---- top: the screen in tmux (quit with q: exit 0), batch and JSON
    ("ptool top", |text| {
        let v = victim(&["--name", "rdm-top"]);
        let Some(screen) = on_screen(text, |s| s.contains("Tasks:") && s.contains("PID")) else {
            return;
        };
        assert!(
            screen.contains("%CPU") && screen.contains("COMMAND"),
            "{screen}"
        );
        drop(v);
    }),
    ("ptool top -u \"$USER\" -f worker", |text| {
        // A victim with worker in its command line stands in for a worker;
        // the kernel's kworker threads match too, and may fill the screen.
        let v = victim_with("worker", &[]);
        let rows = |s: &str| -> Vec<String> {
            s.lines()
                .filter(|l| {
                    l.split_whitespace()
                        .next()
                        .is_some_and(|w| w.parse::<i32>().is_ok())
                })
                .map(String::from)
                .collect()
        };
        // A screen caught mid-redraw may show a row cut short: wait for
        // one whose rows all match.
        on_screen(text, |s| {
            let rows = rows(s);
            s.contains("Tasks:")
                && !rows.is_empty()
                && rows
                    .iter()
                    .all(|l| l.contains("worker") && l.contains(" root "))
        });
        drop(v);
    }),
    ("ptool top -o +nice,threads -s -rss", |text| {
        let Some(screen) = on_screen(text, |s| s.contains(" NI ") && s.contains("THR")) else {
            return;
        };
        // The defaults and the two added before COMMAND, sorted by RSS down.
        let header = screen
            .lines()
            .find(|l| l.trim_start().starts_with("PID"))
            .unwrap();
        let words: Vec<&str> = header.split_whitespace().collect();
        assert_eq!(words.first(), Some(&"PID"), "{header}");
        assert_eq!(
            words[words.len() - 3..],
            ["NI", "THR", "COMMAND"],
            "{header}"
        );
        assert!(words.contains(&"RSS▼"), "{header}");
    }),
    ("ptool top -t", |text| {
        // In the tree view, children are drawn under their parents.
        on_screen(text, |s| {
            s.contains("Tasks:") && ["├─", "└─", "`-", "|-"].iter().any(|g| s.contains(g))
        });
    }),
    ("ptool top -b --iterations 3 -d 500ms", |text| {
        let out = sh(text).run();
        out.success();
        assert_eq!(out.stdout.matches("\nTasks: ").count(), 3, "{}", out.stdout);
        assert!(
            out.elapsed >= Duration::from_millis(1000),
            "{:?}",
            out.elapsed
        );
    }),
    (
        "ptool top --json --iterations 2 | jq -c '.processes[0]'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let out = sh(text).run();
            out.success();
            let rows = out.json_lines();
            assert_eq!(rows.len(), 2, "{}", out.stdout);
            assert!(
                rows.iter()
                    .all(|r| r["pid"].as_i64().is_some() && r.get("cpu").is_some())
            );
        },
    ),
    (
        "ptool top --json --iterations 2 | jq '.processes[0]'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let out = sh(text).run();
            out.success();
            let rows = split_json_stream(&out.stdout);
            assert_eq!(rows.len(), 2, "{}", out.stdout);
        },
    ),
    (
        "ptool top --json --iterations 2 -d 1s | tail -1 | jq .system.cpu",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let out = sh(text).run();
            out.success();
            let cpu: f64 = out.stdout.trim().parse().unwrap();
            assert!((0.0..=100.0).contains(&cpu), "{cpu}");
            assert!(out.elapsed >= Duration::from_secs(1));
        },
    ),
    (
        "ptool top --json --iterations 2 -d 1s | tail -1 | jq .system.cpus",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let out = sh(text).run();
            out.success();
            let cpus = out.json();
            let online = std::thread::available_parallelism().map_or(1, |n| n.get());
            assert_eq!(cpus.as_array().map(Vec::len), Some(online), "{cpus}");
        },
    ),
    (
        "ptool top --json --iterations 1 | jq '.system | {memory, swap}'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let out = sh(text).run();
            out.success();
            let system = out.json();
            let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
            let total_kib: u64 = meminfo
                .lines()
                .next()
                .unwrap()
                .split_whitespace()
                .nth(1)
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                system["memory"]["total"].as_u64(),
                Some(total_kib * 1024),
                "{system}"
            );
            assert!(system["swap"]["total"].is_u64());
        },
    ),
    (
        "ptool top --json --iterations 1 | jq .system.load",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let proc_load = || -> f64 {
                let text = std::fs::read_to_string("/proc/loadavg").unwrap();
                text.split_whitespace().next().unwrap().parse().unwrap()
            };
            let before = proc_load();
            let out = sh(text).run();
            let after = proc_load();
            out.success();
            let load = out.json();
            assert_eq!(load.as_array().map(Vec::len), Some(3));
            // The 1-minute load, read while it ran (it moves every 5s).
            let (low, high) = (before.min(after), before.max(after));
            let got = load[0].as_f64().unwrap();
            assert!(
                (low - 0.5..=high + 0.5).contains(&got),
                "{got} not within {low}..{high}"
            );
        },
    ),
    (
        "ptool top --json --iterations 1 | jq .system.uptime",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let proc_uptime = || -> f64 {
                let text = std::fs::read_to_string("/proc/uptime").unwrap();
                text.split_whitespace().next().unwrap().parse().unwrap()
            };
            let before = proc_uptime();
            let out = sh(text).run();
            let after = proc_uptime();
            out.success();
            let uptime: f64 = out.stdout.trim().parse().unwrap();
            // Whole seconds, read while it ran.
            assert!(
                (before - 1.0..=after + 1.0).contains(&uptime),
                "{uptime} not within {before}..{after}"
            );
        },
    ),
    // ---- lock. Plain lock names live in one directory for all of root's
    // processes on the machine: a name of this run's own stands in for
    // each name the README uses (deploy, gpu, ...), so that no other run
    // holds it.
    ("ptool lock deploy -- ./deploy.sh", |text| {
        let name = lock_name("deploy");
        let ex = sh(text).sub(" deploy ", &format!(" {name} "));
        // ./deploy.sh is a stand-in: inside the lock, a second deploy cannot
        // get it.
        ex.script(
            "deploy.sh",
            &format!("echo deploying; ptool lock --no-wait {name} -- true; echo \"second=$?\""),
        );
        let out = ex.run();
        out.expect_code(0);
        assert_eq!(out.stdout, "deploying\nsecond=124\n");
    }),
    ("ptool lock --max 3 gpu -- ./train.sh", |text| {
        let name = lock_name("gpu");
        let ex = sh(text).sub("gpu", &name);
        // ./train.sh is a stand-in that says its slot, and takes the next.
        ex.script(
            "train.sh",
            &format!("echo \"slot=$PTOOL_SLOT\"; ptool lock --max 3 {name} -- sh -c 'echo \"inner=$PTOOL_SLOT\"'"),
        );
        let out = ex.run();
        out.expect_code(0);
        assert_eq!(out.stdout, "slot=0\ninner=1\n");
    }),
    (
        "ptool lock --timeout 10s /var/lock/db.lock -- ./migrate",
        |text| {
            let ex = sh(text);
            // The lock file is this test's; ./migrate is a stand-in that asks
            // flock(1), which shares ptool's locks, whether it can take it.
            let file = ex.path("db.lock");
            ex.script(
                "migrate",
                &format!("flock -n {} true; echo \"flock=$?\"", file.display()),
            );
            let ex = ex.sub("/var/lock/db.lock", file.to_str().unwrap());
            if !have_tool("flock") {
                return;
            }
            let out = ex.run();
            out.expect_code(0);
            assert_eq!(out.stdout, "flock=1\n");
        },
    ),
    (
        "ptool lock --no-wait nightly -- ./backup || echo \"another backup is running\"",
        |text| {
            let name = lock_name("nightly");
            let ex = sh(text).sub("nightly", &name);
            // ./backup is a stand-in.
            ex.script("backup", "echo backed up");
            let out = ex.run();
            out.expect_code(0);
            assert_eq!(out.stdout, "backed up\n");
            // The same line while another holds the lock.
            let held = format!(
                "ptool lock {name} -- sh -c '{}'",
                ex.text.replace('\'', "'\\''")
            );
            let busy = sh(&held);
            busy.script("backup", "echo backed up");
            let out = busy.run();
            out.expect_code(0);
            assert_eq!(out.stdout, "another backup is running\n");
        },
    ),
    ("ptool lock --shared config -- ./read-config", |text| {
        let name = lock_name("config");
        let ex = sh(text).sub(" config ", &format!(" {name} "));
        // ./read-config is a stand-in: another reader gets in, a writer not.
        ex.script(
            "read-config",
            &format!("ptool lock --shared --no-wait {name} -- echo reader; ptool lock --no-wait {name} -- true; echo \"writer=$?\""),
        );
        let out = ex.run();
        out.expect_code(0);
        assert_eq!(out.stdout, "reader\nwriter=124\n");
    }),
    ("ptool lock show", |text| {
        let name = lock_name("held");
        let m = marker("readme-lock");
        let _guard = MarkerGuard::new(&m);
        // A holder this test started: ptool lock around the victim.
        let holder = sh(&format!(
            "exec ptool lock {name} -- ptool-victim {m} --forever"
        ))
        .background();
        // Both carry the marker: the victim is the one that is not ptool.
        wait_for_marker(&m);
        let deadline = Instant::now() + BOUND;
        let held = loop {
            if let Some(pid) = carrying(&m).into_iter().find(|p| *p != holder.pid()) {
                break pid;
            }
            assert!(Instant::now() < deadline, "the victim never started");
            std::thread::sleep(Duration::from_millis(10));
        };
        let out = sh(text).run();
        out.expect_code(0);
        let row: Vec<&str> = out
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} not shown: {}", out.stdout))
            .split('\t')
            .collect();
        // LOCK SLOT STATE MODE PID SINCE CMD-PID COMMAND: held by ptool
        // lock, around the victim.
        assert_eq!(
            row[2..5],
            ["held", "exclusive", &holder.pid().to_string()],
            "{row:?}"
        );
        assert_eq!(row[6], held.to_string(), "{row:?}");
    }),
    ("ptool lock --shared cfg -- cat config", |text| {
        let name = lock_name("cfg");
        let ex = sh(text).sub("cfg", &name);
        ex.file("config", "key=value\n");
        let out = ex.run();
        out.expect_code(0);
        assert_eq!(out.stdout, "key=value\n");
    }),
    ("ptool lock NAME -- CMD", |text| {
        let name = lock_name("py");
        let out = sh(text)
            .sub("NAME", &name)
            .sub(
                "CMD",
                &format!("sh -c 'ptool lock --no-wait {name} -- true; echo $?'"),
            )
            .run();
        out.expect_code(0);
        assert_eq!(out.stdout, "124\n", "held while CMD runs");
    }),
    ("ptool lock --timeout 5s NAME -- CMD", |text| {
        let name = lock_name("py-timeout");
        // Changed here to 200ms, inside a holder of the same lock.
        let inner = sh(text)
            .sub("5s", "200ms")
            .sub("NAME", &name)
            .sub("CMD", "echo ran")
            .text
            .clone();
        let out = sh(&format!("ptool lock {name} -- sh -c '{inner}; echo $?'")).run();
        out.expect_code(0);
        assert_eq!(out.stdout, "124\n", "CMD not run: {out:?}");
    }),
    ("ptool lock --no-wait NAME -- CMD", |text| {
        let name = lock_name("py-nowait");
        let out = sh(text).sub("NAME", &name).sub("CMD", "echo ran").run();
        out.expect_code(0);
        assert_eq!(out.stdout, "ran\n");
    }),
    ("ptool lock --max 3 NAME -- CMD", |text| {
        let name = lock_name("py-sem");
        let out = sh(text)
            .sub("NAME", &name)
            .sub("CMD", "sh -c 'echo $PTOOL_SLOT'")
            .run();
        out.expect_code(0);
        assert_eq!(out.stdout, "0\n");
    }),
    ("ptool lock --shared NAME -- READER", |text| {
        let name = lock_name("py-rw");
        let out = sh(text)
            .sub("NAME", &name)
            .sub(
                "READER",
                &format!("ptool lock --shared --no-wait {name} -- echo second-reader"),
            )
            .run();
        out.expect_code(0);
        assert_eq!(out.stdout, "second-reader\n");
    }),
    ("ptool lock NAME -- WRITER", |text| {
        let name = lock_name("py-rw2");
        let out = sh(text)
            .sub("NAME", &name)
            .sub(
                "WRITER",
                &format!("sh -c 'ptool lock --shared --no-wait {name} -- true; echo $?'"),
            )
            .run();
        out.expect_code(0);
        assert_eq!(out.stdout, "124\n", "no reader while the writer holds it");
    }),
    // ---- set
    ("ptool set --nice 10 1234", |text| {
        let v = victim(&["--threads", "2"]);
        sh(text).pid("1234", v.pid()).run().ok_with_notes();
        assert_eq!(thread_field(v.pid(), 19), ["10", "10", "10"]);
    }),
    ("ptool set --nice +5 -f 'make -j'", |text| {
        // The victim's marker stands in for make -j, so that no real make
        // is reniced.
        let v = victim(&["--threads", "1"]);
        sh(text)
            .sub("make -j", &v.marker.clone())
            .run()
            .ok_with_notes();
        assert_eq!(thread_field(v.pid(), 19), ["5", "5"]);
    }),
    ("ptool set --cpus 0-3 --io idle 1234", |text| {
        // This machine may have fewer than 4 CPUs: 0 stands in for 0-3.
        let v = victim(&[]);
        sh(text)
            .sub("0-3", "0")
            .pid("1234", v.pid())
            .run()
            .ok_with_notes();
        let status = std::fs::read_to_string(format!("/proc/{}/status", v.pid())).unwrap();
        assert!(
            status.lines().any(|l| l == "Cpus_allowed_list:\t0"),
            "{status}"
        );
        let io = run_plain(Command::new("ionice").args(["-p", &v.pid().to_string()]));
        assert_eq!(io.stdout.trim(), "idle");
    }),
    ("ptool set --sched fifo:10 --thread 1240", |text| {
        let v = victim(&["--threads", "1"]);
        let tid = thread_ids(v.pid())[1];
        let out = sh(text).pid("1240", tid).run();
        out.ok_with_notes();
        let (_, stat) = stat_fields(tid);
        assert_eq!(
            (stat[38].as_str(), stat[37].as_str()),
            ("1", "10"),
            "policy FIFO, priority 10"
        );
    }),
    (
        "ptool set --limit nofile=4096:8192 --limit core=unlimited 1234",
        |text| {
            let v = victim(&[]);
            sh(text).pid("1234", v.pid()).run().ok_with_notes();
            let limits = std::fs::read_to_string(format!("/proc/{}/limits", v.pid())).unwrap();
            let row = |name: &str| {
                limits
                    .lines()
                    .find(|l| l.starts_with(name))
                    .unwrap()
                    .split_whitespace()
                    .rev()
                    .skip(1)
                    .take(2)
                    .collect::<Vec<_>>()
            };
            assert!(
                limits.contains("Max open files            4096                 8192"),
                "{limits}"
            );
            let _ = row;
        },
    ),
    ("ptool renice --nice 19 --dry-run -u build", |text| {
        // There is no user build here: the victims are root's.
        let v = victim(&[]);
        let out = sh(text).sub("build", "root").run();
        out.ok_with_notes();
        assert!(out.stdout.contains(&v.pid().to_string()), "{}", out.stdout);
        assert_eq!(
            thread_field(v.pid(), 19),
            ["0"],
            "a dry run changes nothing"
        );
    }),
    ("ptool info --memory 1234", |text| {
        let v = victim(&[]);
        let out = sh(text).pid("1234", v.pid()).run();
        out.ok_with_notes();
        assert!(
            out.stdout.contains("USS") && out.stdout.contains("PSS"),
            "{}",
            out.stdout
        );
    }),
    ("ptool info PID --json | jq .scheduling", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.ok_with_notes();
        assert!(
            out.json().as_object().is_some_and(|o| !o.is_empty()),
            "{}",
            out.stdout
        );
    }),
    (
        "ptool info --memory PID --json | jq .resources.uss",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&[]);
            let out = sh(text).pid("PID", v.pid()).run();
            out.ok_with_notes();
            assert!(
                out.stdout.trim().parse::<u64>().unwrap() > 0,
                "{}",
                out.stdout
            );
        },
    ),
    ("ptool set --nice 10 PID", |text| {
        let v = victim(&["--threads", "1"]);
        sh(text).pid("PID", v.pid()).run().ok_with_notes();
        assert_eq!(thread_field(v.pid(), 19), ["10", "10"]);
    }),
    ("ptool info PID --json | jq .program.nice", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).pid("PID", v.pid()).run();
        out.ok_with_notes();
        assert_eq!(out.stdout.trim(), stat_fields(v.pid()).1[16]);
    }),
    ("ptool set --io idle PID", |text| {
        let v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().ok_with_notes();
        let io = run_plain(Command::new("ionice").args(["-p", &v.pid().to_string()]));
        assert_eq!(io.stdout.trim(), "idle");
    }),
    ("ptool set --io best-effort:2 PID", |text| {
        let v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().ok_with_notes();
        let io = run_plain(Command::new("ionice").args(["-p", &v.pid().to_string()]));
        assert_eq!(io.stdout.trim(), "best-effort: prio 2");
    }),
    ("ptool set --cpus 0,1 PID", |text| {
        let v = victim(&[]);
        let online = std::thread::available_parallelism().map_or(1, |n| n.get());
        // One CPU stands in for 0,1 where there is only one.
        let ex = if online < 2 {
            sh(text).sub("0,1", "0")
        } else {
            sh(text)
        };
        ex.pid("PID", v.pid()).run().ok_with_notes();
        let status = std::fs::read_to_string(format!("/proc/{}/status", v.pid())).unwrap();
        let want = if online < 2 { "0" } else { "0-1" };
        assert!(
            status
                .lines()
                .any(|l| l == format!("Cpus_allowed_list:\t{want}")),
            "{status}"
        );
    }),
    ("ptool set --sched fifo:10 PID", |text| {
        let v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().ok_with_notes();
        let (_, stat) = stat_fields(v.pid());
        assert_eq!(
            (stat[38].as_str(), stat[37].as_str()),
            ("1", "10"),
            "policy FIFO, priority 10"
        );
    }),
    ("ptool set --limit nofile=1024:4096 PID", |text| {
        let v = victim(&[]);
        sh(text).pid("PID", v.pid()).run().ok_with_notes();
        let limits = std::fs::read_to_string(format!("/proc/{}/limits", v.pid())).unwrap();
        let row: Vec<&str> = limits
            .lines()
            .find(|l| l.starts_with("Max open files"))
            .unwrap()
            .split_whitespace()
            .collect();
        assert_eq!(row[3..5], ["1024", "4096"], "{limits}");
    }),
    // ---- Only in --help (and the man pages)
    ("ptool ls -u \"$USER\" --json | jq '.[].cmd'", |text| {
        if !have_tool("jq") {
            return;
        }
        let v = victim(&[]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.lines().any(|l| l.contains(&v.marker)),
            "{}",
            out.stdout
        );
    }),
    ("ptool info -n nginx --limits", |text| {
        // A victim named nginx stands in for nginx.
        let v = victim(&["--name", "nginx"]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.contains(&format!("PID {}  nginx", v.pid())),
            "{}",
            out.stdout
        );
        assert!(out.stdout.lines().any(|l| l.starts_with("Limits")));
    }),
    (
        "ptool info 1234 --json | jq '.open_files[] | select(.socket) | .socket'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&["--listen"]);
            let out = sh(text).pid("1234", v.pid()).run();
            out.success();
            let socket: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
            assert_eq!(socket["state"], "LISTEN", "{socket}");
        },
    ),
    ("ptool tree -n '^sleep$' -d", |text| {
        // Victims named sleep stand in for sleep(1).
        let v = victim(&["--name", "sleep", "--kids", "rdm-sleepkid"]);
        let out = sh(text).run();
        out.success();
        assert!(
            out.stdout.contains("sleep") && out.stdout.contains("rdm-sleepkid"),
            "{}",
            out.stdout
        );
        drop(v);
    }),
    (
        "ptool tree --json 1234 | jq '.[0].children[].pid'",
        |text| {
            if !have_tool("jq") {
                return;
            }
            let v = victim(&["--kids", "_,_"]);
            let out = sh(text).pid("1234", v.pid()).run();
            out.success();
            let got: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
            let kids: Vec<i32> = v.family.kids.iter().map(|k| k.pid).collect();
            assert_eq!(got, kids);
        },
    ),
    ("ptool wait --pidfile /run/nginx.pid --json", |text| {
        let mut v = victim(&[]);
        let ex = sh(text);
        // The pidfile is one this test writes, naming its victim.
        let pidfile = ex.file("nginx.pid", &format!("{}\n", v.pid()));
        let ex = ex.sub("/run/nginx.pid", pidfile.to_str().unwrap());
        let mut w = ex.background();
        wait_for_watcher(v.pid());
        v.tell("exit 6");
        let (code, out, _) = w.finish();
        assert_eq!(code, 0, "{out:?}");
        let lines = json_lines(&out);
        assert_eq!(lines[0]["pid"], v.pid());
        assert_eq!(lines[0]["exit_code"], 6);
        assert_eq!(lines[1]["event"], "summary");
        v.wait();
    }),
    // ---- Exit codes
    ("exit 0", |_| {
        let v = victim(&[]);
        ptool(["signal", "0", &v.pid().to_string()]).expect_code(0);
    }),
    ("exit 1", |_| {
        ptool(["ls", "-n", &marker("readme-nothing")]).expect_code(1);
    }),
    ("exit 2", |_| {
        ptool(["signal", "TREM", "1"]).usage_error();
        ptool(["wait", "--timeout", "5x", "1"]).usage_error();
    }),
    ("exit 3", |_| {
        let v = victim(&[]);
        let out = ptool(["info", &v.pid().to_string(), &NEVER_A_PID.to_string()]);
        out.expect_code(3);
        assert!(out.stdout.contains(&format!("PID {}", v.pid())));
    }),
    ("exit 124", |_| {
        let v = victim(&[]);
        ptool(["wait", "--timeout", "100ms", &v.pid().to_string()]).expect_code(124);
    }),
    ("exit 125", |_| {
        let out = ptool(["spawn", "--wait", "-C", "/nonexistent-readme", "--", "true"]);
        out.expect_code(125);
    }),
    ("exit 126 / 127", |_| {
        ptool(["spawn", "--wait", "--", "/etc/hostname"]).expect_code(126);
        ptool(["spawn", "--wait", "--", "no-such-command-readme"]).expect_code(127);
    }),
    ("exit 128+N", |_| {
        ptool(["spawn", "--wait", "--", "sh", "-c", "kill -USR1 $$"])
            .expect_code(128 + libc::SIGUSR1);
    }),
];
