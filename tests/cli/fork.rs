//! `ptool fork`: output kept whole and ordered, timeouts, halting, retries,
//! Ctrl-C, joblog, JSON and exit codes, on jobs the tests start through it.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

/// True when `pid` is neither running nor a zombie: reaped.
fn reaped(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // A recycled PID would be some other program, not a victim zombie.
        Ok(stat) => {
            !(stat.contains(") Z ") && (stat.contains("(exe)") || stat.contains("(ptool-victim)")))
        }
    }
}

/// The shell loop every output test runs: 200 numbered lines, each written
/// with its own write(2), padded so the pipes fill up.
const TWO_HUNDRED_LINES: &str = "i=0; while [ $i -lt 200 ]; do echo \"job $1 line $i ..........................................................\"; i=$((i+1)); done";

fn parse_line(line: &str) -> (u32, u32) {
    let rest = line
        .strip_prefix("job ")
        .unwrap_or_else(|| panic!("mangled line {line:?}"));
    let mut words = rest.split(' ');
    let job = words.next().and_then(|w| w.parse().ok());
    let kw = words.next();
    let n = words.next().and_then(|w| w.parse().ok());
    let pad = words.next();
    match (job, kw, n, pad) {
        (Some(job), Some("line"), Some(n), Some(pad))
            if words.next().is_none() && pad.len() == 58 && pad.bytes().all(|b| b == b'.') =>
        {
            (job, n)
        }
        _ => panic!("mangled line {line:?}"),
    }
}

fn fifty_inputs() -> Vec<String> {
    (1..=50).map(|i| i.to_string()).collect()
}

fn fork_args<'a>(flags: &[&'a str], cmd: &[&'a str], inputs: &'a [String]) -> Vec<&'a str> {
    let mut args = vec!["fork"];
    args.extend_from_slice(flags);
    args.push("--");
    args.extend_from_slice(cmd);
    args.push(":::");
    args.extend(inputs.iter().map(String::as_str));
    args
}

#[test]
fn fifty_jobs_keep_every_line_whole_and_together() {
    let inputs = fifty_inputs();
    let out = ptool(fork_args(
        &["-j", "8"],
        &["sh", "-c", TWO_HUNDRED_LINES, "_"],
        &inputs,
    ));
    out.success();
    let lines: Vec<(u32, u32)> = out.stdout.lines().map(parse_line).collect();
    assert_eq!(lines.len(), 50 * 200);
    // Each job's 200 lines form one block, in order.
    let mut seen = HashMap::new();
    for block in lines.chunks(200) {
        let job = block[0].0;
        for (i, &(j, n)) in block.iter().enumerate() {
            assert_eq!((j, n), (job, i as u32), "job {job}'s lines are split up");
        }
        assert!(seen.insert(job, ()).is_none(), "job {job} printed twice");
    }
    assert_eq!(seen.len(), 50);
}

#[test]
fn keep_order_prints_in_input_order() {
    let inputs = fifty_inputs();
    let out = ptool(fork_args(
        &["-j", "8", "--keep-order"],
        &["sh", "-c", TWO_HUNDRED_LINES, "_"],
        &inputs,
    ));
    out.success();
    let lines: Vec<(u32, u32)> = out.stdout.lines().map(parse_line).collect();
    let want: Vec<(u32, u32)> = (1..=50)
        .flat_map(|j| (0..200).map(move |n| (j, n)))
        .collect();
    assert_eq!(lines, want);
}

#[test]
fn line_buffer_streams_whole_lines() {
    let inputs = fifty_inputs();
    let out = ptool(fork_args(
        &["-j", "8", "--line-buffer", "--tag"],
        &["sh", "-c", TWO_HUNDRED_LINES, "_"],
        &inputs,
    ));
    out.success();
    let mut next = HashMap::new();
    let mut count = 0;
    for line in out.stdout.lines() {
        let (tag, rest) = line.split_once('\t').expect("tagged");
        let (job, n) = parse_line(rest);
        assert_eq!(tag, job.to_string(), "tag of {line:?}");
        let expect = next.entry(job).or_insert(0);
        assert_eq!(n, *expect, "job {job}'s lines out of order");
        *expect += 1;
        count += 1;
    }
    assert_eq!(count, 50 * 200);
}

#[test]
fn an_unfinished_last_line_passes_through_unchanged() {
    let out = ptool([
        "fork", "-j", "4", "-k", "--", "printf", "%s", ":::", "a", "b", "c",
    ]);
    out.success();
    assert_eq!(out.stdout, "abc");
}

#[test]
fn placeholders_and_environment() {
    let out = ptool([
        "fork",
        "-j",
        "1",
        "-k",
        "--",
        "sh",
        "-c",
        "echo \"$0 {#} {%} $PTOOL_JOB $PTOOL_SLOT\"",
        "in-{}",
        ":::",
        "a",
        "b",
    ]);
    out.success();
    assert_eq!(out.stdout, "in-a 1 1 1 1\nin-b 2 1 2 1\n");
    // Without {}, the input is the last argument; -n gives indexes, not appended.
    let out = ptool(["fork", "-k", "--", "echo", "x", ":::", "1", "2"]);
    out.success();
    assert_eq!(out.stdout, "x 1\nx 2\n");
    let out = ptool(["fork", "-k", "--count", "3", "--", "echo", "i={}"]);
    out.success();
    assert_eq!(out.stdout, "i=0\ni=1\ni=2\n");
}

#[test]
fn inputs_from_stdin() {
    let mut cmd = ptool_cmd(["fork", "-k", "--tag", "--", "echo", "got"]);
    cmd.env("LC_ALL", "C");
    let out = run(cmd, Some(b"one\ntwo words\n\nlast"), BOUND);
    out.success();
    assert_eq!(
        out.stdout,
        "one\tgot one\ntwo words\tgot two words\n\tgot \nlast\tgot last\n"
    );
    let out = run(
        ptool_cmd(["fork", "-k", "-0", "--", "printf", "[%s]\\n"]),
        Some(b"a\nb\0c\0"),
        BOUND,
    );
    out.success();
    assert_eq!(out.stdout, "[a\nb]\n[c]\n");
}

#[test]
fn timeout_kills_the_job_and_its_grandchild() {
    let m = marker("fork-timeout");
    let _guard = MarkerGuard::new(&m);
    let out = ptool([
        "fork",
        "--count",
        "1",
        "--timeout",
        "300ms",
        "--grace",
        "200ms",
        "--json",
        "--",
        victim_path(),
        &m,
        "--kids",
        "_(_)",
        "--ignore",
        "TERM",
        "--forever",
    ]);
    out.expect_code(124);
    let records = out.json_lines();
    assert_eq!(records.len(), 2, "{out:#?}");
    let job = &records[0];
    assert_eq!(job["status"], "timeout");
    assert_eq!(job["signal"], 9, "TERM is ignored, so KILL ends it");
    // The victim printed its family before it was stopped.
    let family = job["stdout"].as_str().unwrap();
    let pids = family_pids(family.lines());
    assert_eq!(pids.len(), 3, "the victim, its kid and grandkid: {family}");
    assert!(out.elapsed >= Duration::from_millis(500), "{out:#?}");
    assert_eq!(carrying(&m), Vec::<i32>::new(), "survivors");
    for pid in pids {
        assert!(reaped(pid), "{pid} is left as a zombie");
    }
}

#[test]
fn leftover_background_processes_are_stopped_with_their_job() {
    let m = marker("fork-leftover");
    let _guard = MarkerGuard::new(&m);
    // The victim's ready line (if it gets to print it before it is
    // stopped) goes to stderr, which it keeps open, so that stdout is
    // exactly the job's own line.
    let script = format!("{} {m} --forever >&2 & echo started", victim_path());
    let out = ptool([
        "fork", "--count", "1", "--grace", "300ms", "--", "sh", "-c", &script,
    ]);
    // The job itself (sh) succeeded; what it left running was stopped.
    out.expect_code(0);
    assert_eq!(out.stdout, "started\n", "{out:#?}");
    assert_eq!(carrying(&m), Vec::<i32>::new(), "survivors");
}

#[test]
fn halt_on_error_stops_starting_jobs() {
    let out = ptool([
        "fork",
        "-j",
        "1",
        "--halt-on-error",
        "--json",
        "--",
        "sh",
        "-c",
        "echo ran $1; exit $1",
        "_",
        ":::",
        "0",
        "3",
        "0",
        "0",
    ]);
    // As GNU parallel: a halt on failure exits with the failing job's code.
    out.expect_code(3);
    let records = out.json_lines();
    assert_eq!(records.len(), 3, "{out:#?}");
    assert_eq!(records[0]["stdout"], "ran 0\n");
    assert_eq!(records[1]["stdout"], "ran 3\n");
    assert_eq!(records[1]["status"], "failed");
    let summary = &records[2];
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["skipped"], 2);
    assert_eq!(summary["failed"], 1);
}

#[test]
fn halt_on_error_now_stops_running_jobs() {
    let m = marker("fork-halt-now");
    let _guard = MarkerGuard::new(&m);
    let script = format!(
        "if [ \"$1\" = fail ]; then exit 4; fi; exec {} {m} --forever",
        victim_path()
    );
    let out = ptool([
        "fork",
        "-j",
        "2",
        "-k",
        "--halt-on-error=now",
        "--grace",
        "300ms",
        "--json",
        "--",
        "sh",
        "-c",
        &script,
        "_",
        ":::",
        "forever",
        "fail",
        "never",
    ]);
    out.expect_code(4);
    let records = out.json_lines();
    assert_eq!(records[0]["status"], "killed", "{out:#?}");
    assert_eq!(records[0]["signal"], 15);
    assert_eq!(records[1]["status"], "failed");
    assert_eq!(records[1]["exit"], 4);
    assert_eq!(records[2]["event"], "summary");
    assert_eq!(records[2]["skipped"], 1);
    assert_eq!(carrying(&m), Vec::<i32>::new(), "survivors");
}

#[test]
fn retries_rerun_a_flaky_job() {
    let dir = TempDir::new("fork-flaky");
    let flag = dir.path("failed-once");
    let flag = flag.to_str().unwrap();
    let script = "if [ -e \"$1\" ]; then echo ok; else : > \"$1\"; echo bad >&2; exit 3; fi";
    let out = ptool([
        "fork",
        "--retries",
        "2",
        "--json",
        "--",
        "sh",
        "-c",
        script,
        "_",
        ":::",
        flag,
    ]);
    out.expect_code(0);
    let records = out.json_lines();
    assert_eq!(records[0]["attempts"], 2);
    assert_eq!(records[0]["stdout"], "ok\n");
    assert_eq!(records[0]["stderr"], "", "only the last attempt's output");
    std::fs::remove_file(flag).unwrap();
    let out = ptool(["fork", "--", "sh", "-c", script, "_", ":::", flag]);
    out.expect_code(1);
    assert_eq!(out.stderr, "bad\n");
}

#[test]
fn ctrl_c_stops_every_job_and_grandchild() {
    let m = marker("fork-int");
    let _guard = MarkerGuard::new(&m);
    // Half the jobs ignore TERM (their families too), so KILL must follow.
    let script = format!(
        "if [ $(($1 % 2)) = 0 ]; then exec {v} {m} --kids '_(_),_' --ignore TERM --forever; \
         else exec {v} {m} --kids '_(_),_' --forever; fi",
        v = victim_path()
    );
    let mut bg = Background::start(ptool_cmd([
        "fork",
        "-j",
        "8",
        "--count",
        "8",
        "--line-buffer",
        "--grace",
        "300ms",
        "--",
        "sh",
        "-c",
        &script,
        "_",
        "{}",
    ]));
    // Each victim prints its family once everything is set up.
    let pids = family_pids(bg.next_lines(8));
    assert_eq!(pids.len(), 8 * 4);
    // ptool's own command line has the marker too (in the script).
    let ptool_pid = bg.pid();
    let running: Vec<i32> = carrying(&m)
        .into_iter()
        .filter(|&p| p != ptool_pid)
        .collect();
    assert_eq!(running.len(), 8 * 4);
    bg.signal(rustix::process::Signal::INT);
    let (code, _, stderr) = bg.finish();
    assert_eq!(code, 130, "stderr: {stderr:?}");
    assert_eq!(carrying(&m), Vec::<i32>::new(), "survivors");
    for pid in pids {
        assert!(reaped(pid), "{pid} is left as a zombie");
    }
}

#[test]
fn term_to_ptool_exits_143() {
    let m = marker("fork-term");
    let _guard = MarkerGuard::new(&m);
    let mut bg = Background::start(ptool_cmd([
        "fork",
        "--count",
        "2",
        "--line-buffer",
        "--",
        victim_path(),
        &m,
        "--forever",
    ]));
    bg.next_lines(2);
    bg.signal(rustix::process::Signal::TERM);
    let (code, _, _) = bg.finish();
    assert_eq!(code, 143);
    assert_eq!(carrying(&m), Vec::<i32>::new(), "survivors");
}

#[test]
fn a_closed_stdout_stops_the_run_quietly() {
    // 100,000 jobs would take minutes; a reader that goes away ends it.
    let mut bg = Background::start(ptool_cmd([
        "fork", "-j", "2", "--count", "100000", "--", "echo", "x{}",
    ]));
    bg.next_lines(1);
    bg.close_stdout();
    let (code, _, stderr) = bg.finish();
    assert_eq!(code, 0, "{stderr:?}");
    assert!(stderr.is_empty(), "{stderr:?}");
}

#[test]
fn joblog_and_json_have_the_right_fields() {
    let dir = TempDir::new("fork-joblog");
    let log = dir.path("jobs.tsv");
    let out = ptool([
        "fork",
        "-j",
        "2",
        "-k",
        "--json",
        "--joblog",
        log.to_str().unwrap(),
        "--",
        "sh",
        "-c",
        "if [ $1 = kill ]; then kill -9 $$; fi; exit $1",
        "_",
        ":::",
        "0",
        "3",
        "kill",
    ]);
    out.expect_code(2);
    let records = out.json_lines();
    assert_eq!(records.len(), 4);
    for (i, (status, exit, signal)) in [
        ("ok", Value::from(0), Value::Null),
        ("failed", Value::from(3), Value::Null),
        ("failed", Value::Null, Value::from(9)),
    ]
    .into_iter()
    .enumerate()
    {
        let r = &records[i];
        assert_eq!(r["event"], "job");
        assert_eq!(r["seq"], i as u64 + 1);
        assert_eq!(r["status"], status, "{r}");
        assert_eq!(r["exit"], exit);
        assert_eq!(r["signal"], signal);
        assert!(r["pid"].as_i64().unwrap() > 0);
        assert!(r["slot"].as_u64().unwrap() >= 1 && r["slot"].as_u64().unwrap() <= 2);
        assert!(r["start"].as_f64().unwrap() > 1.6e9);
        assert!(r["runtime"].as_f64().unwrap() >= 0.0);
        assert_eq!(r["attempts"], 1);
        assert_eq!(r["command"][0], "sh");
        assert_eq!(r["command"][4], r["input"]);
    }
    let summary = &records[3];
    assert_eq!(summary["event"], "summary");
    assert_eq!(summary["jobs"], 3);
    assert_eq!(summary["ok"], 1);
    assert_eq!(summary["failed"], 2);
    assert_eq!(summary["exit"], 2);

    let text = std::fs::read_to_string(&log).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand")
    );
    let mut rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    rows.sort_by_key(|r| r[0].parse::<u64>().unwrap());
    assert_eq!(rows.len(), 3);
    for (row, record) in rows.iter().zip(&records) {
        assert_eq!(row.len(), 9, "{row:?}");
        assert_eq!(row[0], record["seq"].to_string());
        assert_eq!(row[1], ":");
        assert!(row[2].parse::<f64>().unwrap() > 1.6e9);
        assert_eq!(
            row[3].len(),
            10,
            "runtime right-aligned in 10 columns: {row:?}"
        );
        assert!(row[3].trim().parse::<f64>().unwrap() >= 0.0);
        assert_eq!(row[4], "0");
        assert_eq!(row[5], "0", "nothing on stdout");
        assert!(row[8].starts_with("sh -c "), "{row:?}");
    }
    assert_eq!((rows[0][6], rows[0][7]), ("0", "0"));
    assert_eq!((rows[1][6], rows[1][7]), ("3", "0"));
    assert_eq!((rows[2][6], rows[2][7]), ("0", "9"));
}

#[test]
fn exit_codes() {
    ptool(["fork", "--", "true", ":::", "a", "b"]).success();
    let out = ptool([
        "fork", "--", "sh", "-c", "exit $1", "_", ":::", "0", "1", "2", "0", "5",
    ]);
    out.expect_code(3);
    let many: Vec<String> = (0..105).map(|i| i.to_string()).collect();
    let mut args = vec!["fork", "-j", "4", "--", "false", ":::"];
    args.extend(many.iter().map(String::as_str));
    ptool(&args).expect_code(101);
    // -n 1 passes the job's own code through.
    ptool(["fork", "--count", "1", "--", "sh", "-c", "exit 7"]).expect_code(7);
    ptool(["fork", "--count", "1", "--", "sh", "-c", "kill -9 $$"]).expect_code(137);
    let out = ptool(["fork", "--count", "1", "--", "ptool-no-such-command-xyz"]);
    out.expect_code(127);
    assert!(out.stderr.contains("command not found"), "{out:#?}");
    let out = ptool(["fork", "--", "ptool-no-such-command-xyz", ":::", "a", "b"]);
    out.expect_code(2);
    assert_eq!(out.stderr.lines().count(), 2, "{out:#?}");
    // No inputs, no jobs: nothing failed.
    ptool(["fork", "--", "false", ":::"]).success();
    ptool(["fork", "--count", "0", "--", "false"]).success();
}

/// Usage errors are refused before any job starts, with 255: never a count
/// of failed jobs (1 to 101), so scripts can tell them apart.
fn refused(args: &[&str]) {
    let out = ptool(args);
    if out.code() != 255 || out.stderr.lines().count() != 1 || !out.stderr.starts_with("ptool: ") {
        panic!("{args:?}: {out:#?}");
    }
    assert!(out.stdout.is_empty(), "{args:?}: {out:#?}");
}

#[test]
fn bad_arguments_are_refused_with_255() {
    for args in [
        &["fork", "-j", "x", "--", "true"][..],
        &["fork", "-j", "99999999999", "--", "true"],
        &["fork", "-j", "0%", "--", "true"],
        &["fork", "--count", "-1", "--", "true"],
        &["fork", "--count", "5x", "--", "true"],
        &["fork", "-n", "x", "--", "true"],
        &["fork", "--timeout", "5x", "--", "true"],
        &["fork", "--timeout", "0", "--", "true"],
        &["fork", "--timeout", "-5%", "--", "true"],
        &["fork", "--retries", "-1", "--", "true"],
        &["fork", "--grace", "-1", "--", "true"],
        &["fork", "--halt-on-error=later", "--", "true"],
        &["fork", "--halt", "sometimes", "--", "true"],
        &["fork", "--halt", "now,fail=0", "--", "true"],
        &["fork", "--block", "1X", "--pipe", "--", "true"],
        &["fork", "--memfree", "lots", "--", "true"],
        &["fork", "--count", "2", "--", "echo", ":::", "a"],
        &["--json", "fork", "--line-buffer", "--", "echo", ":::", "a"],
        &["--json", "fork", "--tag", "--", "echo", ":::", "a"],
        &["fork", "--colsep", "(", "--", "echo", ":::", "a"],
        &["fork", "--header", "x", "--", "echo", ":::", "a"],
        &["fork", "-I", "", "--", "echo", ":::", "a"],
        &["fork", "--", "echo", "{=s/a/b/=}", ":::", "a"],
        &["fork", "--pipepart", "--", "wc"],
        &["fork", "--pipepart", "-a", "/dev/null", "--", "wc"],
        &["fork", "--pipe", "--", "wc", ":::", "a"],
        &["fork", "--", "echo", "::::", "/nonexistent/ptool-inputs"],
        &[
            "fork",
            "--retry-failed",
            "--joblog",
            "/nonexistent/x",
            "--",
            "echo",
        ],
        &["fork", "--results", "out.csv", "--", "echo", ":::", "a"],
        &["fork", "-u", "--tag", "--", "echo", ":::", "a"],
        // GNU parallel options ptool does not support are refused, never run.
        &["fork", "--sshlogin", "host", "--", "echo", ":::", "a"],
        &["fork", "-S", "host", "--", "echo", ":::", "a"],
        &["fork", "--transfer", "--", "echo", ":::", "a"],
        &["fork", "--semaphore", "--", "echo", ":::", "a"],
        &["fork", "--fg", "--", "echo", ":::", "a"],
        &["fork", "--plus", "--", "echo", ":::", "a"],
        &["fork", "--csv", "--", "echo", ":::", "a"],
        &["fork", "--tmux", "--", "echo", ":::", "a"],
        &["fork", "--env", "X", "--", "echo", ":::", "a"],
        &["fork", "--nice", "5", "--", "echo", ":::", "a"],
        &["fork", "--xapply", "--", "echo", ":::", "a"],
        &["fork", "--link", "--", "echo", ":::", "a"],
        &["fork", "--recstart", "x", "--pipe", "--", "wc"],
        &["fork", "--roundrobin", "--pipe", "--", "wc"],
        &["fork", "--cat", "--pipe", "--", "wc"],
        &["fork", "--fifo", "--pipe", "--", "wc"],
        &["fork", "--shebang", "--", "echo"],
        &["fork", "--no-such-option", "--", "echo", ":::", "a"],
    ] {
        refused(args);
    }
}

/// Item 12 of the hostile-input issue: a usage error (255) and two failed
/// jobs (2) can never be confused.
#[test]
fn failed_job_counts_and_usage_errors_never_collide() {
    let out = ptool([
        "fork", "--", "sh", "-c", "exit $1", "_", ":::", "0", "1", "1",
    ]);
    out.expect_code(2);
    assert!(out.stderr.is_empty(), "{out:#?}");
    let out = ptool([
        "fork", "--", "sh", "-c", "exit $1", "_", ":::", "0", "1", "1", "1",
    ]);
    out.expect_code(3);
    refused(&["fork", "-j", "two", "--", "true", ":::", "a"]);
    // Refused before any job started: the job would have made a file.
    let dir = TempDir::new("fork-refused");
    let file = dir.path("made");
    let made = file.to_str().unwrap();
    refused(&["fork", "--colsep", "[", "--", "touch", made, ":::", "a"]);
    assert!(!file.exists());
}

// ---------------------------------------------------------------------
// Differential tests against GNU parallel. The cases are translated from
// GNU parallel's own test suite (testsuite/tests-to-run/parallel-local-*.sh:
// replacement strings, input sources, -X/-m/-N, --colsep/--header, --pipe,
// --halt, exit codes, joblog and --results layout); each runs the same
// arguments through `parallel --will-cite` and `ptool fork` and compares
// stdout and the exit code.
// ---------------------------------------------------------------------

/// GNU parallel, if installed. Missing under `CI=true` fails the test
/// (`.ci/run` installs it); elsewhere the test says why and skips.
pub(crate) fn gnu_parallel() -> Option<&'static str> {
    static FOUND: OnceLock<bool> = OnceLock::new();
    let found = *FOUND.get_or_init(|| {
        std::process::Command::new("parallel")
            .args(["--will-cite", "--version"])
            .stdin(std::process::Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success() && o.stdout.starts_with(b"GNU parallel"))
    });
    if found {
        return Some("parallel");
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "GNU parallel is not installed (.ci/run installs it under CI=true)"
    );
    eprintln!("skipped: GNU parallel is not installed");
    None
}

pub(crate) fn parallel_cmd(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new("parallel");
    // parallel runs commands with $SHELL; ptool with /bin/sh.
    cmd.env("PARALLEL_SHELL", "/bin/sh")
        .env("LC_ALL", "C.UTF-8")
        .arg("--will-cite")
        .args(args);
    cmd
}

pub(crate) fn ptool_fork_cmd(args: &[&str]) -> std::process::Command {
    let mut cmd = ptool_cmd(["fork"]);
    cmd.env("LC_ALL", "C.UTF-8").args(args);
    cmd
}

/// Run `args` through both; assert the same stdout and exit code.
fn same_as_parallel(args: &[&str], stdin: Option<&[u8]>) {
    if gnu_parallel().is_none() {
        return;
    }
    let theirs = run(parallel_cmd(args), stdin, BOUND);
    let ours = run(ptool_fork_cmd(args), stdin, BOUND);
    assert_eq!(
        (ours.code(), &ours.stdout),
        (theirs.code(), &theirs.stdout),
        "ptool fork {args:?} differs from parallel\nptool stderr: {}\nparallel stderr: {}",
        ours.stderr,
        theirs.stderr
    );
}

#[test]
fn parallel_replacement_strings() {
    let paths = [
        ":::",
        "/a/b.c/d.tar.gz",
        "x",
        "dir/",
        "a.",
        ".bashrc",
        "/",
        "a//b",
        "sub/dir/f.txt",
    ];
    let mut args = vec![
        "-k", "-j", "1", "echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", "{%}",
    ];
    args.extend(paths);
    same_as_parallel(&args, None);
    same_as_parallel(
        &[
            "-k", "echo", "{1}", "{2.}", "{1/}", "{2//}", "{2/.}", "{-1}", ":::", "/x/y.z", ":::",
            "/p/q.r",
        ],
        None,
    );
    same_as_parallel(
        &["-k", "-I", ",,", "echo", ",,", "{}", ":::", "a", "b"],
        None,
    );
    same_as_parallel(&["-k", "echo", "{#}", ":::", "a", "b"], None);
    same_as_parallel(&["-k", "echo", "x{}y", "{}.{}", ":::", "a", "b"], None);
}

#[test]
fn parallel_input_sources() {
    let dir = TempDir::new("fork-sources");
    let f = dir.path("f");
    let g = dir.path("g");
    std::fs::write(&f, "f1\nf2\n").unwrap();
    std::fs::write(&g, "g1\ng2\ng3").unwrap();
    let (f, g) = (f.to_str().unwrap(), g.to_str().unwrap());
    same_as_parallel(&["-k", "echo", ":::", "a", "b", ":::", "1", "2"], None);
    same_as_parallel(
        &[
            "-k", "echo", ":::", "a", "b", "c", ":::+", "1", "2", ":::", "x", "y",
        ],
        None,
    );
    same_as_parallel(&["-k", "echo", "::::", f, g], None);
    same_as_parallel(&["-k", "echo", "::::", f, "::::+", g], None);
    same_as_parallel(&["-k", "-a", f, "-a", g, "echo"], None);
    same_as_parallel(&["-k", "-a", f, "echo", ":::", "x", "y"], None);
    same_as_parallel(&["-k", "echo", ":::", "x", "::::", f], None);
    same_as_parallel(&["-k", "echo"], Some(b"s1\ns2\n\ns4"));
    same_as_parallel(&["-k", "echo", "::::", "-", ":::", "x"], Some(b"s1\ns2\n"));
    same_as_parallel(&["-k", "-0", "echo"], Some(b"a\nb\0c d\0"));
    same_as_parallel(&["-k", "-d", ":", "echo"], Some(b"a:b:c"));
    same_as_parallel(&["-k", "-d", "\\t", "echo"], Some(b"a\tb"));
    same_as_parallel(&["echo", ":::"], None);
}

#[test]
fn parallel_columns_and_headers() {
    same_as_parallel(
        &["-k", "--colsep", "\\t", "echo", "{2}", "{1}"],
        Some(b"a\tb\nc\td\n"),
    );
    same_as_parallel(&["-k", "--colsep", ",", "echo"], Some(b"a,b\nc,d\n"));
    same_as_parallel(
        &["-k", "--colsep", " +", "echo", "{3}-{1}"],
        Some(b"a  b   c\n1 2 3\n"),
    );
    same_as_parallel(
        &["-k", "--header", ":", "--colsep", ",", "echo", "{y}", "{x}"],
        Some(b"x,y\n1,2\n3,4\n"),
    );
    same_as_parallel(
        &[
            "-k", "--header", ":", "echo", "{f}", "{g}", ":::", "f", "1", "2", ":::", "g", "3",
        ],
        None,
    );
}

#[test]
fn parallel_inputs_per_job() {
    let abcde = [":::", "a", "b", "c", "d", "e"];
    for flags in [
        &["-k", "-n", "2", "echo"][..],
        &["-k", "-n2", "echo", "{}"],
        &["-k", "-N", "2", "echo", "{1}-{2}"],
        &["-k", "-N0", "echo", "x"],
        &["-k", "-n", "0", "echo", "x"],
        &["-k", "-j", "2", "-X", "echo", "pre-{}-post"],
        &["-k", "-j", "2", "-m", "echo", "pre-{}-post"],
        &["-k", "-j", "1", "-X", "echo"],
        &["-k", "-j", "3", "-X", "echo", "{#}:{}"],
    ] {
        let args: Vec<&str> = flags.iter().chain(abcde.iter()).copied().collect();
        same_as_parallel(&args, None);
    }
    same_as_parallel(
        &["-k", "-s", "12", "-X", "echo"],
        Some(b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n"),
    );
    same_as_parallel(&["-k", "-j", "2", "-X", "echo"], Some(b"1\n2\n3\n4\n5\n"));
    same_as_parallel(&["-k", "-N", "2", "echo"], Some(b"1\n2\n3\n"));
}

/// Hostile inputs: spaces, quotes, newlines, unicode, leading dashes,
/// command substitutions, shell operators. Substituted into a shell string
/// they stay data; as separate words they are passed as they are.
#[test]
fn parallel_quotes_every_input() {
    let nasty: &[&str] = &[
        "a b",
        "it's",
        "\"double\"",
        "$(echo pwned)",
        "`echo pwned`",
        "$HOME",
        "; echo pwned",
        "a|b&c>d<e",
        "-n",
        "--",
        "-e \\x41",
        "ünï©ødé",
        "*",
        "~",
        "back\\slash",
        "tab\there",
        "",
    ];
    // (Command words free of shell syntax: GNU parallel would hand them to
    // a shell, ptool passes them as they are.)
    let mut args = vec!["-k", "printf", "%s@@", ":::"];
    args.extend(nasty);
    same_as_parallel(&args, None);
    let mut args = vec!["-k", "printf '<%s>\\n' {} {.}", ":::"];
    args.extend(nasty);
    same_as_parallel(&args, None);
    let mut args = vec!["-k", "--dry-run", "echo {}", ":::"];
    args.extend(nasty);
    same_as_parallel(&args, None);
    let mut args = vec!["-k", "echo", ":::"];
    args.extend(nasty);
    same_as_parallel(&args, None);
    // Newlines inside inputs (NUL-separated on stdin).
    let input = b"line1\nline2\0 lead\0trail \0$(id)\n;x\0";
    same_as_parallel(&["-k", "-0", "printf", "%s@@"], Some(input));
    same_as_parallel(&["-k", "-0", "printf '<%s>\\n' {}"], Some(input));
    // Nothing pwned: no command ran from an input.
    let mut args = vec!["-k", "echo {} | wc -c", ":::"];
    args.extend(nasty);
    same_as_parallel(&args, None);
}

#[test]
fn parallel_shell_strings_and_no_command() {
    same_as_parallel(
        &[
            "-k",
            "echo {} | tr a-z A-Z; echo done {#}",
            ":::",
            "a b",
            "c",
        ],
        None,
    );
    same_as_parallel(&["-k", "echo hi", ":::", "a", "b c"], None);
    same_as_parallel(&["-k"], Some(b"echo hi\necho \"a b\"\nprintf '%s-' x y\n"));
    same_as_parallel(&["-k", ":::", "echo 1", "echo 2 && echo 3"], None);
    same_as_parallel(
        &[
            "-k",
            "--dry-run",
            "gzip -c {} > {.}.gz",
            ":::",
            "a b.log",
            "c.log",
        ],
        None,
    );
    same_as_parallel(&["-k", "--dry-run", "echo", "{}", ":::", "a b", "c"], None);
}

#[test]
fn parallel_tags_and_grouping() {
    same_as_parallel(&["-k", "--tag", "printf 'x\\ny'", ":::", "a", "b"], None);
    same_as_parallel(&["-k", "--tag", "echo", ":::", "a", ":::", "b", "c"], None);
    same_as_parallel(
        &["-k", "--tagstring", "{#}-{}:", "echo", ":::", "a", "b"],
        None,
    );
    same_as_parallel(&["-k", "printf", "%s", ":::", "no", "new", "line"], None);
    same_as_parallel(
        &["-k", "--line-buffer", "printf '%s\\n'", ":::", "a", "b"],
        None,
    );
    same_as_parallel(&["-j", "1", "-u", "echo", ":::", "a", "b"], None);
}

#[test]
fn parallel_exit_codes_and_halt() {
    same_as_parallel(&["exit {}", ":::", "0", "1", "1"], None);
    same_as_parallel(&["exit {}", ":::", "0", "0"], None);
    same_as_parallel(
        &[
            "-j",
            "1",
            "--halt",
            "now,fail=1",
            "exit {}",
            ":::",
            "0",
            "3",
            "0",
        ],
        None,
    );
    same_as_parallel(
        &[
            "-j",
            "1",
            "--halt",
            "soon,fail=1",
            "exit {}",
            ":::",
            "0",
            "4",
            "0",
        ],
        None,
    );
    same_as_parallel(
        &["-j", "1", "--halt", "2", "exit {}", ":::", "0", "5", "0"],
        None,
    );
    same_as_parallel(
        &[
            "-j",
            "1",
            "--halt",
            "now,success=1",
            "exit {}",
            ":::",
            "1",
            "0",
            "1",
        ],
        None,
    );
    same_as_parallel(
        &[
            "-j", "1", "--halt", "never", "exit {}", ":::", "1", "0", "1",
        ],
        None,
    );
    let many: Vec<String> = (0..103).map(|_| "1".to_string()).collect();
    let mut args = vec!["-j", "4", "exit {}", ":::"];
    args.extend(many.iter().map(String::as_str));
    same_as_parallel(&args, None);
}

#[test]
fn parallel_pipe_blocks() {
    let data: Vec<u8> = (0..20000)
        .flat_map(|i| format!("{i}\n").into_bytes())
        .collect();
    same_as_parallel(&["--pipe", "--block", "10k", "-k", "wc", "-l"], Some(&data));
    same_as_parallel(&["--pipe", "--block", "10K", "-k", "wc", "-c"], Some(&data));
    same_as_parallel(&["--pipe", "-k", "wc", "-l"], Some(&data));
    same_as_parallel(
        &["--pipe", "-N", "3", "-k", "cat; echo --"],
        Some(b"1\n2\n3\n4\n5\n6\n7\n"),
    );
    same_as_parallel(
        &["--pipe", "--block", "2", "-k", "echo {#}; cat"],
        Some(b"1\n2\n3\n"),
    );
    same_as_parallel(
        &["--pipe", "--recend", ";", "--block", "1", "-k", "cat; echo"],
        Some(b"a;b;c;"),
    );
    same_as_parallel(&["--pipe", "-k", "md5sum"], Some(&data));
    let dir = TempDir::new("fork-pipepart");
    let file = dir.path("data");
    std::fs::write(&file, &data).unwrap();
    let file = file.to_str().unwrap();
    same_as_parallel(
        &["--pipepart", "-a", file, "--block", "10k", "-k", "wc", "-l"],
        None,
    );
    same_as_parallel(
        &["--pipepart", "-a", file, "--block", "7K", "-k", "md5sum"],
        None,
    );
}

/// Every record reaches exactly one job, whole, whatever the block size.
#[test]
fn pipe_never_cuts_records() {
    let data: Vec<u8> = (0..600)
        .flat_map(|i| format!("record-{i}-{}\n", "x".repeat(i % 97)).into_bytes())
        .collect();
    let dir = TempDir::new("fork-pipe-records");
    let file = dir.path("data");
    std::fs::write(&file, &data).unwrap();
    for block in ["1", "500", "4k", "10M"] {
        let out = run(
            ptool_fork_cmd(&["--pipe", "--block", block, "-j", "3", "-k", "cat"]),
            Some(&data),
            BOUND,
        );
        out.success();
        assert!(out.stdout.as_bytes() == &data[..], "--pipe --block {block}");
        let out = run(
            ptool_fork_cmd(&[
                "--pipepart",
                "-a",
                file.to_str().unwrap(),
                "--block",
                block,
                "-j",
                "3",
                "-k",
                "cat",
            ]),
            None,
            BOUND,
        );
        out.success();
        assert!(
            out.stdout.as_bytes() == &data[..],
            "--pipepart --block {block}"
        );
        let out = run(
            ptool_fork_cmd(&[
                "--pipe",
                "--block",
                block,
                "-j",
                "3",
                "sh",
                "-c",
                "grep -vc '^record-[0-9]*-x*$' || true",
            ]),
            Some(&data),
            BOUND,
        );
        out.success();
        assert!(out.stdout.lines().all(|l| l == "0"), "{block}: {out:#?}");
    }
}

#[test]
fn binary_output_concatenates_into_a_valid_stream() {
    let dir = TempDir::new("fork-gzip");
    for name in ["a", "b"] {
        std::fs::write(dir.path(name), format!("content of {name}\n").repeat(1000)).unwrap();
    }
    let out = ptool_fork_cmd(&["-k", "--", "gzip", "-c", ":::", "a", "b"])
        .current_dir(dir.dir())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unzip = |bytes: &[u8]| {
        let mut child = std::process::Command::new("gzip")
            .arg("-dc")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let bytes = bytes.to_vec();
        let writer = std::thread::spawn(move || {
            use std::io::Write;
            let _ = stdin.write_all(&bytes);
        });
        let done = child.wait_with_output().unwrap();
        writer.join().unwrap();
        done
    };
    let unzipped = unzip(&out.stdout);
    assert!(unzipped.status.success(), "not a valid gzip stream");
    let want = format!(
        "{}{}",
        "content of a\n".repeat(1000),
        "content of b\n".repeat(1000)
    );
    assert_eq!(String::from_utf8_lossy(&unzipped.stdout), want);
    if gnu_parallel().is_some() {
        let theirs = parallel_cmd(&["-k", "gzip", "-c", ":::", "a", "b"])
            .current_dir(dir.dir())
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_eq!(unzip(&theirs.stdout).stdout, unzipped.stdout);
    }
}

/// The joblog's columns, and a joblog written by GNU parallel read back by
/// `ptool fork --resume` (and the other way round).
#[test]
fn parallel_joblogs_and_resume() {
    let Some(_) = gnu_parallel() else { return };
    let dir = TempDir::new("fork-resume");
    let theirs = dir.path("theirs.log");
    let ours = dir.path("ours.log");
    let args = |log: &std::path::Path| -> Vec<String> {
        [
            "--joblog",
            log.to_str().unwrap(),
            "-k",
            "exit {}",
            ":::",
            "0",
            "1",
            "2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let a: Vec<String> = args(&theirs);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    run(parallel_cmd(&a), None, BOUND).expect_code(2);
    let b: Vec<String> = args(&ours);
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    run(ptool_fork_cmd(&b), None, BOUND).expect_code(2);
    let read = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let (t, o) = (read(&theirs), read(&ours));
    let shape = |text: &str| -> Vec<(usize, String, String, String)> {
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split('\t').collect();
                (
                    f.len(),
                    f[0].to_string(),
                    f.get(6).unwrap_or(&"").to_string(),
                    f.get(8).unwrap_or(&"").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(shape(&o), shape(&t), "ours:\n{o}\ntheirs:\n{t}");
    assert_eq!(o.lines().next(), t.lines().next());
    // Runtime right-aligned in 10 columns, as parallel prints it.
    for line in o.lines().skip(1) {
        assert_eq!(line.split('\t').nth(3).unwrap().len(), 10, "{line}");
    }
    // --resume skips what either log lists; --resume-failed reruns failures.
    for log in [&theirs, &ours] {
        let l = log.to_str().unwrap();
        same_as_parallel_with_log(
            &[
                "--resume", "--joblog", l, "-k", "echo", ":::", "0", "1", "2", "3",
            ],
            log,
        );
        same_as_parallel_with_log(
            &[
                "--resume-failed",
                "--joblog",
                l,
                "-k",
                "echo",
                ":::",
                "0",
                "1",
                "2",
                "3",
            ],
            log,
        );
        same_as_parallel_with_log(&["--retry-failed", "--joblog", l], log);
    }
}

/// Like [`same_as_parallel`] for commands that append to a joblog: each
/// tool runs on its own copy of it.
fn same_as_parallel_with_log(args: &[&str], log: &std::path::Path) {
    let text = std::fs::read(log).unwrap();
    let l = log.to_str().unwrap();
    let copy = format!("{l}.copy");
    std::fs::write(&copy, &text).unwrap();
    let swapped: Vec<&str> = args
        .iter()
        .map(|a| if *a == l { copy.as_str() } else { a })
        .collect();
    let theirs = run(parallel_cmd(&swapped), None, BOUND);
    std::fs::write(&copy, &text).unwrap();
    let ours = run(ptool_fork_cmd(&swapped), None, BOUND);
    assert_eq!(
        (ours.code(), &ours.stdout),
        (theirs.code(), &theirs.stdout),
        "{args:?}\n{}\n{}",
        ours.stderr,
        theirs.stderr
    );
}

#[test]
fn parallel_results_layout() {
    let Some(_) = gnu_parallel() else { return };
    let dir = TempDir::new("fork-results");
    let listing = |root: &std::path::Path| -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![root.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                    out.push((rel, std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        out.sort();
        out
    };
    let (t, o) = (dir.path("theirs"), dir.path("ours"));
    for (root, parallel) in [(&t, true), (&o, false)] {
        let args = [
            "--results",
            root.to_str().unwrap(),
            "-k",
            "echo {1}-{2}; echo err >&2",
            ":::",
            "a",
            "b/c",
            ":::",
            "x",
        ];
        let out = if parallel {
            run(parallel_cmd(&args), None, BOUND)
        } else {
            run(ptool_fork_cmd(&args), None, BOUND)
        };
        out.expect_code(0);
        assert_eq!(out.stdout, "", "--results keeps stdout in the files");
    }
    assert_eq!(listing(&o), listing(&t));
}

/// `--timeout 200%`: a job far slower than the median is stopped.
#[test]
fn parallel_timeout_as_a_share_of_the_median() {
    same_as_parallel(
        &[
            "-k",
            "-j",
            "1",
            "--timeout",
            "300%",
            "sleep {}; echo {}",
            ":::",
            "0.1",
            "0.1",
            "0.1",
            "0.1",
            "3",
        ],
        None,
    );
}

#[test]
fn scheduling_flags_work() {
    // -j forms: N% and +N/-N of the CPUs, 0 for as many as possible.
    for j in ["50%", "+1", "-1", "0", "200%"] {
        let out = ptool(["fork", "-k", "-j", j, "echo", ":::", "a", "b", "c"]);
        out.success();
        assert_eq!(out.stdout, "a\nb\nc\n", "-j {j}");
    }
    // --delay spaces starts out.
    let out = ptool([
        "fork", "-j", "4", "--delay", "150ms", "true", ":::", "1", "2", "3",
    ]);
    out.success();
    assert!(out.elapsed >= Duration::from_millis(300), "{out:#?}");
    // A --load or --memfree nobody can meet holds jobs back until a Ctrl-C.
    let mut cmd = ptool_cmd(["fork", "--memfree", "1000T", "echo", ":::", "x"]);
    cmd.stdin(std::process::Stdio::null());
    let mut bg = Background::start(cmd);
    assert!(bg.next_err_line(Duration::from_millis(300)).is_none());
    assert!(bg.running());
    bg.signal(rustix::process::Signal::INT);
    let (code, out, _) = bg.finish();
    assert_eq!(code, 130);
    assert!(out.is_empty(), "nothing ran: {out:?}");
    let out = ptool([
        "fork",
        "-k",
        "--load",
        "100000",
        "--memfree",
        "1k",
        "echo",
        ":::",
        "ok",
    ]);
    out.success();
    assert_eq!(out.stdout, "ok\n");
    // --shuf runs every input, once.
    let inputs: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let mut args = vec!["fork", "--shuf", "-j", "1", "echo", ":::"];
    args.extend(inputs.iter().map(String::as_str));
    let out = ptool(&args);
    out.success();
    let mut got: Vec<u32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..50).collect::<Vec<_>>());
}

#[test]
fn dry_run_runs_nothing_and_pastes_back() {
    let dir = TempDir::new("fork-dry-run");
    let made = dir.path("made");
    let out = ptool([
        "fork",
        "--dry-run",
        "touch",
        made.to_str().unwrap(),
        ":::",
        "it's $(x)",
        "-n",
    ]);
    out.success();
    assert!(!made.exists());
    // Pasted into a shell, each line runs the same command.
    let out = ptool([
        "fork",
        "-k",
        "--dry-run",
        "printf",
        "<%s>\\n",
        ":::",
        "it's $(x)",
        "a\nb",
        "-n",
        "ü",
    ]);
    out.success();
    let shell = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(&out.stdout)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&shell.stdout),
        "<it's $(x)>\n<a\nb>\n<-n>\n<ü>\n"
    );
}

/// On a terminal, `--bar` draws a progress bar with the time left on
/// stderr, and the summary follows the jobs' output.
#[test]
fn bar_shows_the_time_left_on_a_terminal() {
    let Some(text) = on_terminal(
        "fork --bar -j 1 sleep ::: 0.3 0.3 0.3 0.3",
        &[("COLUMNS", "120"), ("NO_COLOR", "1")],
    ) else {
        return;
    };
    assert!(text.contains("ETA"), "{text}");
    assert!(text.contains("4 jobs in"), "{text}");
}

/// `--results` keeps each job's output in files and prints none of it;
/// `--ungroup` lets the jobs write straight to ptool's stdout.
#[test]
fn results_and_ungrouped_output() {
    let dir = TempDir::new("fork-results-own");
    let root = dir.path("r");
    let out = ptool([
        "fork",
        "--results",
        root.to_str().unwrap(),
        "printf '%s' {}; echo oops >&2",
        ":::",
        "x y",
        "..",
    ]);
    out.success();
    assert_eq!(out.stdout, "");
    let read = |rel: &str| std::fs::read_to_string(root.join(rel)).unwrap();
    assert_eq!(read("1/x y/stdout"), "x y");
    assert_eq!(read("1/x y/stderr"), "oops\n");
    assert_eq!(read("1/\\.\\./stdout"), "..");
    assert_eq!(read("1/\\.\\./seq"), "2");
    let out = ptool(["fork", "-j", "1", "-u", "printf", "%s-", ":::", "a", "b"]);
    out.success();
    assert_eq!(out.stdout, "a-b-");
}

/// Files fork opens by name never block it: a joblog FIFO that nothing
/// reads is an error at once (open(2) used to wait for a reader forever),
/// a directory as `-a` is refused, and a FIFO as `-a` streams what its
/// writer sends.
#[test]
fn fifos_never_block_fork() {
    let dir = TempDir::new("fork-fifo");
    let fifo = dir.path("fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o644)).unwrap();
    let fifo = fifo.to_str().unwrap().to_string();
    let out = ptool(["fork", "--joblog", &fifo, "true", ":::", "a"]);
    assert_ne!(out.code(), 0);
    assert!(
        out.stderr.contains("a FIFO that nothing is reading"),
        "{}",
        out.stderr
    );
    let out = ptool(["fork", "-a", dir.dir().to_str().unwrap(), "echo"]);
    assert_ne!(out.code(), 0);
    assert!(out.stderr.contains("(a directory)"), "{}", out.stderr);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::write(fifo, "a\nb\n"))
    };
    let out = ptool(["fork", "-k", "-a", &fifo, "echo"]);
    // Should ptool not have opened the FIFO, a reader of our own lets the
    // writer's open return, so the join below is bounded.
    let _unblock = {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&fifo)
    };
    let written = writer.join().expect("writer thread");
    out.success();
    assert_eq!(out.stdout, "a\nb\n");
    written.expect("the writer wrote");
}
