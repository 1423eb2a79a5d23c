//! `ptool fork`: output kept whole and ordered, timeouts, halting, retries,
//! Ctrl-C, joblog, JSON and exit codes, on jobs the tests start through it.

use std::collections::HashMap;
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
        assert_eq!(row[3].len(), 10, "runtime right-aligned in 10 columns: {row:?}");
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
        &["fork", "-X", "-n", "2", "--", "echo", ":::", "a"],
        &["fork", "--pipepart", "--", "wc"],
        &["fork", "--pipepart", "-a", "/dev/null", "--", "wc"],
        &["fork", "--pipe", "--", "wc", ":::", "a"],
        &["fork", "--", "echo", "::::", "/nonexistent/ptool-inputs"],
        &["fork", "--retry-failed", "--joblog", "/nonexistent/x", "--", "echo"],
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
    let out = ptool(["fork", "--", "sh", "-c", "exit $1", "_", ":::", "0", "1", "1"]);
    out.expect_code(2);
    assert!(out.stderr.is_empty(), "{out:#?}");
    let out = ptool(["fork", "--", "sh", "-c", "exit $1", "_", ":::", "0", "1", "1", "1"]);
    out.expect_code(3);
    refused(&["fork", "-j", "two", "--", "true", ":::", "a"]);
    // Refused before any job started: the job would have made a file.
    let dir = TempDir::new("fork-refused");
    let file = dir.path("made");
    let made = file.to_str().unwrap();
    refused(&["fork", "--colsep", "[", "--", "touch", made, ":::", "a"]);
    assert!(!file.exists());
}
