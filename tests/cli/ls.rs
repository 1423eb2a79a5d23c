//! `ptool ls` against victims, with `/proc` and `ps` as oracles.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// The `ls --json` objects for the processes whose command line has `marker`.
fn listed(marker: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["ls", "--json", "-f", marker];
    args.extend_from_slice(extra);
    let out = ptool(&args);
    out.success();
    out.json().as_array().expect("array").clone()
}

fn pids_of(rows: &[Value]) -> Vec<i32> {
    let mut pids: Vec<i32> = rows
        .iter()
        .map(|r| r["pid"].as_i64().unwrap() as i32)
        .collect();
    pids.sort_unstable();
    pids
}

fn sorted(mut pids: Vec<i32>) -> Vec<i32> {
    pids.sort_unstable();
    pids
}

#[test]
fn json_agrees_with_proc_and_ps() {
    let m = marker("ls-oracle");
    let v = Victim::start(&m, &["--kids", "_,_"]);
    let rows = listed(
        &m,
        &[
            "-o",
            "pid,ppid,state,name,user,uid,rss,cmd,pgid,sid,threads,nice",
        ],
    );
    assert_eq!(pids_of(&rows), sorted(v.pids()));
    for row in &rows {
        let pid = row["pid"].as_i64().unwrap() as i32;
        let (name, f) = stat_fields(pid);
        // f[0] is field 3
        assert_eq!(row["state"], f[0].as_str());
        assert_eq!(row["ppid"].as_i64().unwrap().to_string(), f[1]);
        assert_eq!(row["pgid"].as_i64().unwrap().to_string(), f[2]);
        assert_eq!(row["sid"].as_i64().unwrap().to_string(), f[3]);
        assert_eq!(row["nice"].as_i64().unwrap().to_string(), f[16]);
        assert_eq!(row["threads"].as_i64().unwrap().to_string(), f[17]);
        assert_eq!(row["name"], name.as_str());
        assert!(row["cmd"].as_str().unwrap().contains(&m));

        let ps = Command::new("ps")
            .args(["-o", "user=,ppid=,rss=", "-p", &pid.to_string()])
            .output()
            .unwrap();
        let ps = String::from_utf8_lossy(&ps.stdout);
        let ps: Vec<&str> = ps.split_whitespace().collect();
        assert_eq!(row["user"], ps[0], "user of {pid}");
        assert_eq!(row["ppid"].as_i64().unwrap().to_string(), ps[1]);
        // RSS moves a little between two reads; ps reports KiB.
        let ps_rss: i64 = ps[2].parse().unwrap();
        let rss_kib = row["rss"].as_i64().unwrap() / 1024;
        assert!(
            (rss_kib - ps_rss).abs() <= 512,
            "rss {rss_kib} KiB vs ps {ps_rss} KiB"
        );
    }
    assert_eq!(
        rows[0]["ppid"].as_i64(),
        Some(i64::from(std::process::id()))
    );
}

#[test]
fn default_columns_are_like_ps_aux() {
    let m = marker("ls-default");
    let v = Victim::start(&m, &[]);
    let out = ptool(["ls", "-f", &m]);
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        "PID\tUSER\t%CPU\t%MEM\tRSS\tSTATE\tSTART\tTIME\tCOMMAND"
    );
    let row: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(row[0], v.pid().to_string());
    assert_eq!(row[5], "S");
    assert!(row[8].ends_with(&m), "{row:?}");
    assert_eq!(lines.next(), None);
}

#[test]
fn selectors_pick_exactly_the_right_victims() {
    let m = marker("ls-select");
    let family = Victim::start(&m, &["--kids", "alpha,beta(gamma,gamma)"]);
    let other = Victim::start(&m, &["--name", "loner"]);
    let f = &family.family;
    let (alpha, beta) = (f.kids[0].pid, f.kids[1].pid);
    let gammas: Vec<i32> = f.kids[1].kids.iter().map(|k| k.pid).collect();

    let all = sorted([family.pids(), other.pids()].concat());
    assert_eq!(pids_of(&listed(&m, &[])), all);
    assert_eq!(pids_of(&listed(&m, &["-n", "^gam"])), gammas);
    assert_eq!(
        pids_of(&listed(&m, &["-n", "gamma|alpha"])),
        sorted([gammas.clone(), vec![alpha]].concat())
    );
    // -x anchors both patterns, so select the family by parent here
    let parent = family.pid().to_string();
    ptool(["ls", "--pids", "-P", &parent, "-n", "alph", "-x"]).expect_code(1);
    let out = ptool(["ls", "--pids", "-P", &parent, "-n", "ALPHA", "-x", "-i"]);
    out.success();
    assert_eq!(out.stdout, format!("{alpha}\n"));
    assert_eq!(pids_of(&listed(&m, &["-P", &beta.to_string()])), gammas);
    assert_eq!(
        pids_of(&listed(&m, &["--pgid", &family.pid().to_string()])),
        sorted(family.pids())
    );
    assert_eq!(
        pids_of(&listed(&m, &["--state", "S", "-n", "loner"])),
        vec![other.pid()]
    );
    let me = nix::unistd::getuid().as_raw().to_string();
    assert_eq!(pids_of(&listed(&m, &["-u", &me])), all);
    assert_eq!(pids_of(&listed(&m, &["--newest"])), vec![other.pid()]);
    assert_eq!(pids_of(&listed(&m, &["--oldest"])), vec![family.pid()]);
    assert_eq!(pids_of(&listed(&m, &["--younger", "1h"])), all);
    // nothing of ours is a day old
    let out = ptool(["ls", "--json", "-f", &m, "--older", "1d"]);
    out.expect_code(1);
    assert_eq!(out.json(), serde_json::json!([]));
    // explicit PIDs, combined with a pattern
    let out = ptool([
        "ls",
        "--pids",
        &alpha.to_string(),
        &beta.to_string(),
        "-n",
        "beta",
    ]);
    out.success();
    assert_eq!(out.stdout, format!("{beta}\n"));
}

#[test]
fn pids_mode_is_like_pgrep() {
    let m = marker("ls-pids");
    let v = Victim::start(&m, &["--kids", "_"]);
    let out = ptool(["ls", "--pids", "-f", &m]);
    out.success();
    let listed: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(listed, sorted(v.pids()));

    let pgrep = Command::new("pgrep").args(["-f", &m]).output().unwrap();
    let pgrep: Vec<i32> = String::from_utf8_lossy(&pgrep.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(listed, pgrep);

    let out = ptool(["ls", "--pids", "-f", &marker("nothing-has-this")]);
    out.expect_code(1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");

    let out = ptool(["ls", "-q", "-f", &m]);
    out.success();
    assert!(out.stdout.is_empty());
    ptool(["ls", "-q", "-f", &marker("nothing-has-this")]).expect_code(1);
}

#[test]
fn sort_and_limit() {
    let m = marker("ls-sort");
    let v = Victim::start(&m, &["--kids", "_,_,_"]);
    let out = ptool(["ls", "--pids", "-f", &m, "--sort", "-pid", "--limit", "2"]);
    out.success();
    let mut expected = sorted(v.pids());
    expected.reverse();
    expected.truncate(2);
    let got: Vec<i32> = out.stdout.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(got, expected);

    // By parent, then PID descending: each parent's children together,
    // newest PID first, whatever order PIDs were handed out in.
    let rows = listed(&m, &["--sort", "ppid,-pid", "-o", "pid,ppid"]);
    let got: Vec<(i64, i64)> = rows
        .iter()
        .map(|r| (r["ppid"].as_i64().unwrap(), r["pid"].as_i64().unwrap()))
        .collect();
    let mut expected = got.clone();
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    assert_eq!(got, expected);
    assert_eq!(got.len(), 4);
}

#[test]
fn hostile_names_never_reach_the_terminal_raw() {
    let m = marker("ls-evil");
    let evil = OsStr::from_bytes(b"\x1b]0;pwned\x07\xff");
    let v = Victim::start_os(&m, [OsStr::new("--name"), evil]);
    for args in [
        vec!["ls", "-f", m.as_str(), "-o", "pid,name,cmd"],
        vec!["ls", "--json", "-f", m.as_str(), "-o", "pid,name"],
    ] {
        let out = ptool(&args);
        out.success();
        assert!(!out.stdout.contains('\x1b'), "raw ESC in {args:?}");
        assert!(!out.stdout.contains('\x07'), "raw BEL in {args:?}");
    }
    let out = ptool(["ls", "-f", &m, "-o", "name", "--no-header"]);
    assert_eq!(out.stdout.trim_end(), "\\e]0;pwned\\x07\\xff");
    let rows = listed(&m, &["-o", "pid,name"]);
    assert_eq!(rows[0]["name"], "\u{1b}]0;pwned\u{7}\\xff");
    assert_eq!(rows[0]["pid"].as_i64(), Some(i64::from(v.pid())));
}

#[test]
fn names_with_parens_and_spaces_parse() {
    let m = marker("ls-parens");
    let v = Victim::start(&m, &["--name", "a) (b c"]);
    let rows = listed(&m, &["-o", "pid,name,state,ppid"]);
    assert_eq!(rows[0]["name"], "a) (b c");
    assert_eq!(rows[0]["state"], "S");
    assert_eq!(
        rows[0]["ppid"].as_i64(),
        Some(i64::from(std::process::id()))
    );
    assert_eq!(pids_of(&rows), vec![v.pid()]);
}

#[test]
fn threads_are_listed_one_a_row() {
    let m = marker("ls-threads");
    let v = Victim::start(&m, &["--threads", "3"]);
    let rows = listed(&m, &["--threads", "-o", "pid,tid,name"]);
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|r| r["pid"].as_i64() == Some(i64::from(v.pid())))
    );
    let mut tids: Vec<i64> = rows.iter().map(|r| r["tid"].as_i64().unwrap()).collect();
    tids.dedup();
    assert_eq!(tids.len(), 4);
    let from_proc = std::fs::read_dir(format!("/proc/{}/task", v.pid()))
        .unwrap()
        .count();
    assert_eq!(from_proc, 4);
}

#[test]
fn sample_measures_cpu_over_an_interval() {
    let m = marker("ls-sample");
    let _v = Victim::start(&m, &[]);
    let rows = listed(&m, &["--sample", "200ms", "-o", "pid,cpu"]);
    // An idle victim uses (almost) no CPU in the interval.
    assert!(rows[0]["cpu"].as_f64().unwrap() < 5.0, "{rows:?}");
}

#[test]
fn zombies_and_exe_cwd() {
    let m = marker("ls-zombie");
    let v = Victim::start(&m, &["--zombie"]);
    let zombie = v.family.zombie.unwrap();
    let out = ptool([
        "ls",
        "--json",
        &zombie.to_string(),
        "-o",
        "pid,state,cmd,exe,cwd",
    ]);
    out.success();
    let row = &out.json()[0];
    assert_eq!(row["state"], "Z");
    assert_eq!(row["cmd"], Value::Null);
    let out = ptool(["ls", &zombie.to_string(), "-o", "cmd", "--no-header"]);
    assert_eq!(out.stdout.trim(), "[ptool-victim] <defunct>");

    let rows = listed(&m, &["-o", "pid,exe,cwd"]);
    assert!(rows[0]["exe"].as_str().unwrap().ends_with("ptool-victim"));
    assert_eq!(
        rows[0]["cwd"].as_str().unwrap(),
        std::env::current_dir().unwrap().to_str().unwrap()
    );
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    for args in [
        vec!["ls", "-o", "bogus"],
        vec!["ls", "--sort", "nope"],
        vec!["ls", "--older", "5x"],
        vec!["ls", "--sample", "soon"],
        vec!["ls", "-1"],
        vec!["ls", "0"],
        vec!["ls", "99999999999"],
        vec!["ls", "5x"],
        vec!["ls", "--state", "Q"],
        vec!["ls", "-n", "("],
        vec!["ls", "-u", "no-such-user-for-ptool"],
        vec!["ls", "-x"],
        vec!["ls", "--limit", "-3"],
        vec!["ls", "--newest", "--oldest"],
    ] {
        let out = ptool(&args);
        out.usage_error();
    }
    let out = ptool(["ls", "-n", "("]);
    assert!(out.stderr.contains("invalid pattern"), "{out:#?}");
    // /proc shows 0 for a leader outside the PID namespace; it selects nothing.
    for flag in ["--sid", "--pgid", "--parent"] {
        let out = ptool(["ls", flag, "0"]);
        out.usage_error();
        assert!(out.stderr.contains("names no process"), "{out:#?}");
    }
}

#[test]
fn a_missing_pid_matches_nothing() {
    let out = ptool(["ls", &NEVER_A_PID.to_string()]);
    out.expect_code(1);
    assert!(out.stderr.is_empty());
}

#[test]
fn closed_pipe_mid_listing_is_success() {
    use std::process::Stdio;
    let m = marker("ls-pipe");
    let _v = Victim::start(&m, &["--threads", "300"]);
    let (reader, writer) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC).unwrap();
    let _ = rustix::pipe::fcntl_setpipe_size(&writer, 4096);
    let child = ChildGuard::new(
        ptool_cmd(["ls", "--threads", "-f", &m, "-o", "pid,tid,cmd"])
            .stdout(Stdio::from(writer))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut first = [0u8; 16];
    rustix::io::read(&reader, &mut first).unwrap();
    drop(reader);
    let out = child.wait_with_output();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn terminal_tables_fit_the_width_by_cutting_the_command() {
    let m = marker("ls-terminal");
    let v = Victim::start(&m, &[]);
    let args = format!("ls -f {m} -o pid,user,cmd");
    let Some(text) = on_terminal(&args, &[("COLUMNS", "40"), ("NO_COLOR", "1")]) else {
        return;
    };
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].trim_start().starts_with("PID USER"), "{text}");
    assert!(
        lines[1].trim_start().starts_with(&v.pid().to_string()),
        "{text}"
    );
    assert!(lines[1].ends_with('…'), "command not cut: {text}");
    assert!(lines.iter().all(|l| l.chars().count() <= 40), "{text}");
    assert!(
        !text.contains('\x1b'),
        "NO_COLOR must turn colour off: {text:?}"
    );

    // Wide enough: nothing is cut.
    let text = on_terminal(&args, &[("COLUMNS", "300"), ("NO_COLOR", "1")]).unwrap();
    assert!(text.lines().nth(1).unwrap().ends_with(&m), "{text}");
}

#[test]
fn colour_follows_terminal_no_color_and_the_flag() {
    let m = marker("ls-colour");
    let _v = Victim::start(&m, &[]);
    let args = format!("ls -f {m}");
    if let Some(text) = on_terminal(&args, &[("COLUMNS", "200")]) {
        assert!(
            text.contains("\x1b["),
            "colour expected on a terminal: {text:?}"
        );
        let text = on_terminal(&format!("{args} --color never"), &[("COLUMNS", "200")]).unwrap();
        assert!(!text.contains('\x1b'), "{text:?}");
    }
    // In a pipe: no colour unless forced.
    assert!(!ptool(["ls", "-f", &m]).stdout.contains('\x1b'));
    let forced = ptool(["ls", "-f", &m, "--color", "always", "-o", "pid,state"]);
    forced.success();
    assert!(forced.stdout.contains("\x1b["), "{forced:#?}");
}

#[test]
fn listing_everything_includes_ptools_ancestors() {
    // This test process started ptool: one of its ancestors, as PID 1 is.
    let me = std::process::id().to_string();
    let out = ptool(["ls", "--pids"]);
    out.success();
    let pids: Vec<&str> = out.stdout.lines().collect();
    assert!(pids.contains(&me.as_str()), "{me} not listed");
    assert!(pids.contains(&"1"), "PID 1 not listed");
    // A criterion that matches it (its owner) still leaves it out. Not its
    // session: inside a PID namespace that can read as 0, which is refused.
    let uid = nix::unistd::getuid().as_raw().to_string();
    let out = ptool(["ls", "--pids", "-u", &uid]);
    assert!(
        matches!(out.code(), 0 | 1) && out.stderr.is_empty(),
        "{out:#?}"
    );
    assert!(!out.stdout.lines().any(|l| l == me), "{out:#?}");
}

/// RSS and %MEM are exact: what `statm` and `status` say (`/proc/PID/stat`'s
/// field 24 is an approximate per-CPU sum), what `info`, `ps` and psutil
/// say for the same idle processes.
#[test]
fn rss_and_mem_agree_with_info_ps_and_psutil() {
    let m = marker("ls-rss");
    let v = Victim::start(&m, &["--kids", "_,_", "--threads", "3"]);
    let rows = listed(&m, &["-o", "pid,rss,mem"]);
    assert_eq!(pids_of(&rows), sorted(v.pids()));
    let page = rustix::param::page_size() as u64;
    let mem_total: u64 = std::fs::read_to_string("/proc/meminfo")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .expect("MemTotal")
        * 1024;
    for row in &rows {
        let pid = row["pid"].as_i64().unwrap().to_string();
        let rss = row["rss"].as_u64().unwrap();
        let statm: u64 = std::fs::read_to_string(format!("/proc/{pid}/statm"))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(rss, statm * page, "statm of {pid}");
        let info = ptool(["info", "--json", &pid]);
        info.success();
        assert_eq!(info.json()["resources"]["rss"], rss, "info about {pid}");
        let ps = Command::new("ps")
            .args(["-o", "rss=", "-p", &pid])
            .output()
            .expect("run ps");
        let ps_kib: u64 = String::from_utf8_lossy(&ps.stdout)
            .trim()
            .parse()
            .expect("ps rss");
        assert_eq!(rss, ps_kib * 1024, "ps about {pid}");
        let expected_mem = (rss as f64 * 1000.0 / mem_total as f64).round() / 10.0;
        assert_eq!(row["mem"].as_f64().unwrap(), expected_mem, "%MEM of {pid}");
        if let Some(out) = psutil(
            "print(psutil.Process(int(sys.argv[1])).memory_info().rss)",
            &[&pid],
        ) {
            assert_eq!(out.trim(), rss.to_string(), "psutil about {pid}");
        }
    }
}

/// A name longer than the 15 bytes the kernel keeps: matched and shown
/// whole, as killall and psutil see it, when argv[0] carries it.
#[test]
fn names_longer_than_15_bytes_match_whole() {
    let m = marker("ls-long");
    let dir = TempDir::new_in(env!("CARGO_TARGET_TMPDIR"), "ls-long");
    // Unique to this test run: nothing else matches it, with killall too.
    let name = format!("ptool-long-{}-victim", std::process::id());
    assert!(name.len() > 15);
    let exe = dir.path(&name);
    std::fs::hard_link(victim_path(), &exe).unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg(&m);
    let v = Victim::start_cmd(&m, cmd);
    let pid = v.pid().to_string();
    let (comm, _) = stat_fields(v.pid());
    assert_eq!(comm, name[..15], "the kernel cut the name");

    for args in [
        vec!["ls", "--pids", "-x", "-n", name.as_str()],
        vec!["ls", "--pids", "-n", &format!("{}$", &name[11..])],
    ] {
        let out = ptool(&args);
        out.success();
        assert_eq!(out.stdout, format!("{pid}\n"), "{args:?}");
    }
    // The cut name is not the name any more, exactly.
    ptool(["ls", "--pids", "-x", "-n", &name[..15]]).expect_code(1);
    let out = ptool(["ls", "--json", "-o", "pid,name", &pid]);
    out.success();
    assert_eq!(out.json()[0]["name"], name.as_str());
    let out = ptool(["ls", "--no-header", "-o", "name", &pid]);
    out.success();
    assert_eq!(out.stdout.trim_end(), name);

    if let Some(out) = psutil("print(psutil.Process(int(sys.argv[1])).name())", &[&pid]) {
        assert_eq!(out.trim(), name, "psutil");
    }
    if have_tool("killall") {
        // Signal 0: checks that killall finds it, and changes nothing.
        let status = Command::new("killall")
            .args(["-s", "0", "-e", &name])
            .status()
            .expect("run killall");
        assert!(status.success(), "killall -e finds {name}");
    }
}

/// A removed executable and working directory: the path without the
/// kernel's " (deleted)", a `*_deleted` flag in JSON, a marker in tables,
/// and `ls` and `info` agree.
#[test]
fn deleted_exe_and_cwd_are_flagged() {
    let m = marker("ls-deleted");
    let dir = TempDir::new_in(env!("CARGO_TARGET_TMPDIR"), "ls-deleted");
    let exe = dir.path(&m);
    std::fs::hard_link(victim_path(), &exe).unwrap();
    let cwd = dir.path("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg(&m).current_dir(&cwd);
    let v = Victim::start_cmd(&m, cmd);
    let pid = v.pid().to_string();
    // A live one, for contrast.
    let plain = Victim::start(&m, &[]);
    std::fs::remove_file(&exe).unwrap();
    std::fs::remove_dir(&cwd).unwrap();
    let (exe, cwd) = (exe.to_str().unwrap(), cwd.to_str().unwrap());

    let out = ptool(["ls", "--json", "-o", "pid,exe,cwd", &pid]);
    out.success();
    let row = &out.json()[0];
    assert_eq!(row["exe"], exe);
    assert_eq!(row["exe_deleted"], true);
    assert_eq!(row["cwd"], cwd);
    assert_eq!(row["cwd_deleted"], true);
    let out = ptool([
        "ls",
        "--json",
        "-o",
        "pid,exe,cwd",
        &plain.pid().to_string(),
    ]);
    out.success();
    let row = &out.json()[0];
    assert_eq!(row["exe"], victim_path());
    assert_eq!(row["exe_deleted"], false);
    assert_eq!(row["cwd_deleted"], false);

    let out = ptool(["ls", "--no-header", "-o", "exe,cwd", &pid]);
    out.success();
    assert_eq!(
        out.stdout.split_whitespace().collect::<Vec<_>>(),
        [exe, "(deleted)", cwd, "(deleted)"]
    );

    let out = ptool(["info", "--json", &pid]);
    out.success();
    let p = &out.json()["program"];
    assert_eq!(p["exe"], exe);
    assert_eq!(p["exe_deleted"], true);
    assert_eq!(p["cwd"], cwd);
    assert_eq!(p["cwd_deleted"], true);
    let out = ptool(["info", &pid]);
    out.success();
    let line = |key: &str| {
        out.stdout
            .lines()
            .find_map(|l| {
                l.trim_start()
                    .strip_prefix(key)
                    .filter(|r| r.starts_with(' '))
            })
            .map(str::trim)
            .unwrap_or_else(|| panic!("{key} in {}", out.stdout))
            .to_string()
    };
    assert_eq!(line("exe"), format!("{exe} (deleted)"));
    assert_eq!(line("cwd"), format!("{cwd} (deleted)"));
}

/// `ls --pids` (pgrep's job) prints each match as it is found and keeps
/// none: two thousand more matches cost no memory to speak of.
#[test]
fn pids_are_streamed_in_flat_memory() {
    let m = marker("ls-flat");
    let kids = vec!["_"; 2000].join(",");
    let v = Victim::start(&m, &["--kids", &kids]);
    assert_eq!(v.pids().len(), 2001);
    // The baseline matches one process, so that both runs go through the
    // same code (a debug binary's code pages count in its peak too): only
    // the number of matches differs.
    let one = marker("ls-flat-one");
    let _single = Victim::start(&one, &[]);
    // `-f` reads every process's command line, so another test's process
    // with a huge one (fork's -X fills the argument limit) raises the peak
    // of whichever run meets it: the least of five alternating runs each.
    // (The peaks are measured by ptool-victim, not as this process's
    // children, whose peak would count this test binary's own memory.)
    let (mut idle, mut busy) = (u64::MAX, u64::MAX);
    for _ in 0..5 {
        let (code, kib) = ptool_peak_kib(&["ls", "--pids", "-f", &one]);
        assert_eq!(code, 0);
        idle = idle.min(kib);
        let (code, kib) = ptool_peak_kib(&["ls", "--pids", "-f", &m]);
        assert_eq!(code, 0);
        busy = busy.min(kib);
    }
    // Streamed, the two differ by less than 100 KiB either way alone, and
    // by up to about 170 KiB under the whole suite (other tests' processes
    // come and go between runs); keeping every match (a clone of each
    // process read) adds about 630 KiB for these two thousand.
    assert!(
        busy <= idle + 320,
        "2001 matches: {busy} KiB, one: {idle} KiB"
    );
}

#[test]
fn wchan_and_thread_times_agree_with_ps_and_proc() {
    let m = marker("ls-wchan");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid().to_string();
    let out = ptool([
        "ls",
        "--threads",
        "--json",
        "-o",
        "tid,wchan,utime,stime",
        &pid,
    ]);
    out.success();
    let rows = out.json();
    let rows = rows.as_array().expect("array");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let ps = Command::new("ps")
        .args(["-L", "-o", "tid=,wchan:64=", "-p", &pid])
        .output();
    let ps = match ps {
        Ok(ps) if ps.status.success() => String::from_utf8_lossy(&ps.stdout).into_owned(),
        _ => {
            cannot_run("ps (procps) is not installed: no comparison with it");
            String::new()
        }
    };
    for row in rows {
        let tid = row["tid"].as_i64().expect("tid");
        // Idle: every thread sleeps somewhere in the kernel.
        let wchan = row["wchan"]
            .as_str()
            .expect("a sleeping thread has a wchan");
        let own = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/wchan")).expect("wchan");
        assert_eq!(wchan, own.trim());
        if !ps.is_empty() {
            let line = ps
                .lines()
                .find(|l| l.split_whitespace().next() == Some(&tid.to_string()))
                .unwrap_or_else(|| panic!("ps has no thread {tid}: {ps}"));
            assert_eq!(line.split_whitespace().nth(1), Some(wchan), "{ps}");
        }
        let (_, fields) = stat_fields_of_thread(v.pid(), tid);
        let ticks = |n: usize| fields[n - 3].parse::<f64>().expect("ticks") / 100.0;
        assert!((row["utime"].as_f64().expect("utime") - ticks(14)).abs() < 0.02);
        assert!((row["stime"].as_f64().expect("stime") - ticks(15)).abs() < 0.02);
    }
    // --threads shows the times by default.
    let out = ptool(["ls", "--threads", &pid]);
    out.success();
    let header = out.stdout.lines().next().expect("header");
    assert!(header.contains("\tUTIME\tSTIME\t"), "{header}");
}

/// `/proc/PID/task/TID/stat`: name and fields from field 3 on.
fn stat_fields_of_thread(pid: i32, tid: i64) -> (String, Vec<String>) {
    let raw = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).expect("thread stat");
    let close = raw.iter().rposition(|&b| b == b')').expect(")");
    let open = raw.iter().position(|&b| b == b'(').expect("(");
    let name = String::from_utf8_lossy(&raw[open + 1..close]).into_owned();
    let rest = String::from_utf8_lossy(&raw[close + 2..]).into_owned();
    (name, rest.split_whitespace().map(String::from).collect())
}
