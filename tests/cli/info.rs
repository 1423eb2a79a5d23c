//! `ptool info` against victims that hold files, pipes, sockets, an
//! environment and signal dispositions, with `/proc` as the oracle.

use std::process::Command;

use serde_json::Value;

use crate::support::*;

/// The value after `label` on a page line (`  label    value`).
fn line<'a>(page: &'a str, label: &str) -> &'a str {
    page.lines()
        .find_map(|l| {
            let rest = l.strip_prefix("  ")?.strip_prefix(label)?;
            rest.starts_with("  ").then(|| rest.trim_start())
        })
        .unwrap_or_else(|| panic!("no {label} line in\n{page}"))
}

/// The cells of the open-files row for `fd` on a page.
fn fd_row(page: &str, fd: i64) -> Vec<String> {
    let section = page
        .split("\nOpen files")
        .nth(1)
        .unwrap_or_else(|| panic!("no open files in\n{page}"));
    section
        .lines()
        .map(|l| l.split_whitespace().map(String::from).collect::<Vec<_>>())
        .find(|cells| cells.first().map(String::as_str) == Some(fd.to_string().as_str()))
        .unwrap_or_else(|| panic!("no row for fd {fd} in\n{section}"))
}

fn fd_json(v: &Value, fd: i64) -> &Value {
    v["open_files"]
        .as_array()
        .expect("open_files")
        .iter()
        .find(|f| f["fd"] == fd)
        .unwrap_or_else(|| panic!("fd {fd} not in {v:#}"))
}

/// The inode in a `pipe:[N]` link of the victim.
fn link(pid: i32, fd: i64) -> String {
    std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// A victim holding a file at offset 11, a pipe, a listening TCP socket and
/// a connection to it, with USR1 ignored, USR2 caught and marked variables
/// in its environment. Also the directory holding the file (removed on
/// drop) and the file's path.
fn rich_victim(tag: &str) -> (Victim, TempDir, String) {
    let m = marker(tag);
    let dir = TempDir::new_in(env!("CARGO_TARGET_TMPDIR"), "info-file");
    let file = dir.file("file", b"hello world");
    let mut cmd = Command::new(victim_path());
    cmd.arg(&m)
        .args(["--open", &file, "--pipe", "--listen", "--connect"])
        .args(["--ignore", "USR1", "--catch", "USR2"])
        .env("PTOOL_TEST_MARK", &m)
        .env("PTOOL_TEST_EVIL", "a\x1b]0;pwned\x07b");
    (Victim::start_cmd(&m, cmd), dir, file)
}

#[test]
fn the_page_shows_what_the_victim_holds() {
    let (v, _dir, file) = rich_victim("info-page");
    let pid = v.pid();
    let r = &v.report;
    let out = ptool(["info", "--env", &pid.to_string()]);
    out.success();
    let page = &out.stdout;
    assert!(
        page.starts_with(&format!("PID {pid}  ptool-victim\n")),
        "{page}"
    );
    assert_eq!(
        line(page, "parent"),
        format!("{} ({})", std::process::id(), own_name())
    );
    assert_eq!(line(page, "process group"), format!("{pid} (leader)"));
    assert!(line(page, "exe").ends_with("/ptool-victim"), "{page}");
    assert!(line(page, "command").ends_with("--connect --ignore USR1 --catch USR2"));
    assert!(line(page, "command").contains(&v.marker));
    // Sleeping on its stdin, or just about to.
    assert!(["S (sleeping)", "R (running)"].contains(&line(page, "state")));
    assert_eq!(line(page, "namespaces"), "same as ptool's");
    // The Rust runtime ignores PIPE too.
    let ignored: Vec<&str> = line(page, "ignored").split(' ').collect();
    assert!(
        ignored.contains(&"USR1") && !ignored.contains(&"USR2"),
        "{page}"
    );
    assert!(
        line(page, "caught").split(' ').any(|s| s == "USR2"),
        "{page}"
    );
    assert_eq!(line(page, "pending"), "none");
    assert!(line(page, "user").starts_with("root (uid 0)"));

    let file_row = fd_row(page, r["open_fd"].as_i64().unwrap());
    assert_eq!(file_row[1..], ["file", "rw,cloexec", "11", file.as_str()]);
    let [read, write] = [0, 1].map(|i| r["pipe"][i].as_i64().unwrap());
    let pipe = link(pid, read);
    assert!(pipe.starts_with("pipe:["));
    assert_eq!(fd_row(page, read)[1..], ["pipe", "r,cloexec", "-", &pipe]);
    assert_eq!(fd_row(page, write)[1..], ["pipe", "w,cloexec", "-", &pipe]);
    let port = r["port"].as_i64().unwrap();
    let listen = fd_row(page, r["listen_fd"].as_i64().unwrap());
    assert_eq!(
        listen[1..],
        [
            "tcp",
            "rw,cloexec",
            "-",
            &format!("127.0.0.1:{port}"),
            "(LISTEN)"
        ]
    );
    let client_port = r["client_port"].as_i64().unwrap();
    let client = fd_row(page, r["client_fd"].as_i64().unwrap());
    assert_eq!(
        client[4..],
        [
            format!("127.0.0.1:{client_port}->127.0.0.1:{port}"),
            "(ESTABLISHED)".to_string()
        ]
    );
    let accepted = fd_row(page, r["accepted_fd"].as_i64().unwrap());
    assert_eq!(
        accepted[4],
        format!("127.0.0.1:{port}->127.0.0.1:{client_port}")
    );

    assert!(
        page.lines()
            .any(|l| l == format!("  PTOOL_TEST_MARK={}", v.marker)),
        "{page}"
    );
    assert!(
        page.contains("\n  PTOOL_TEST_EVIL=a\\e]0;pwned\\x07b\n"),
        "{page}"
    );
    assert!(!page.contains('\x1b') && !page.contains('\x07'));
}

/// The name of this test process, as its children see their parent.
fn own_name() -> String {
    stat_fields(std::process::id() as i32).0
}

#[test]
fn json_says_the_same_and_agrees_with_proc() {
    let (v, _dir, file) = rich_victim("info-json");
    let pid = v.pid();
    let r = &v.report;
    let out = ptool(["info", "--json", "--env", "--limits", &pid.to_string()]);
    out.success();
    let j = out.json();
    assert!(j.is_object(), "one PID gives one object");
    assert_eq!(j["pid"], pid);
    assert_eq!(j["name"], "ptool-victim");

    // /proc/PID/stat fields after the name; f[0] is field 3.
    let (_, f) = stat_fields(pid);
    let id = &j["identity"];
    assert_eq!(id["ppid"].to_string(), f[1]);
    assert_eq!(id["pgid"].to_string(), f[2]);
    assert_eq!(id["sid"].to_string(), f[3]);
    assert_eq!(id["group_leader"], true);
    assert_eq!(id["uid"], 0);
    assert_eq!(id["user"], "root");
    let p = &j["program"];
    assert!(p["state"] == "S" || p["state"] == "R", "{p}");
    assert_eq!(
        p["state_name"],
        if p["state"] == "S" {
            "sleeping"
        } else {
            "running"
        }
    );
    assert_eq!(p["threads"].to_string(), f[17]);
    assert_eq!(p["nice"].to_string(), f[16]);
    assert_eq!(p["policy"], "SCHED_OTHER");
    assert_eq!(p["exe"], victim_path());
    assert_eq!(p["exe_deleted"], false);
    assert_eq!(p["cmdline"][1], v.marker.as_str());
    assert_eq!(
        p["cwd"].as_str().unwrap(),
        std::env::current_dir().unwrap().to_str().unwrap()
    );
    assert_eq!(p["root"], "/");
    assert!(
        p["namespaces"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["same_as_ptool"] == true)
    );
    assert!(p["elapsed"].as_f64().unwrap() < 600.0);
    let res = &j["resources"];
    assert!(res["rss"].as_u64().unwrap() > 0);
    assert!(res["vsz"].as_u64().unwrap() >= res["rss"].as_u64().unwrap());
    assert!(res["read_chars"].is_u64(), "root reads io: {res}");

    let opened = fd_json(&j, r["open_fd"].as_i64().unwrap());
    assert_eq!(opened["type"], "file");
    assert_eq!(opened["target"], file.as_str());
    assert_eq!(opened["mode"], "rw");
    assert_eq!(opened["offset"], 11);
    assert_eq!(opened["size"], 11);
    assert_eq!(opened["deleted"], false);
    let read = fd_json(&j, r["pipe"][0].as_i64().unwrap());
    assert_eq!(read["type"], "pipe");
    assert_eq!(read["mode"], "r");
    assert_eq!(read["target"], link(pid, r["pipe"][0].as_i64().unwrap()));
    assert_eq!(fd_json(&j, r["pipe"][1].as_i64().unwrap())["mode"], "w");
    let port = r["port"].as_i64().unwrap();
    let listen = fd_json(&j, r["listen_fd"].as_i64().unwrap());
    assert_eq!(listen["type"], "socket");
    assert_eq!(
        listen["socket"],
        serde_json::json!({
            "protocol": "tcp",
            "local": format!("127.0.0.1:{port}"),
            "remote": null,
            "state": "LISTEN",
            "type": null,
        })
    );
    let client = fd_json(&j, r["client_fd"].as_i64().unwrap());
    assert_eq!(
        client["socket"]["local"],
        format!("127.0.0.1:{}", r["client_port"])
    );
    assert_eq!(client["socket"]["remote"], format!("127.0.0.1:{port}"));
    assert_eq!(client["socket"]["state"], "ESTABLISHED");

    let ignored = j["signals"]["ignored"].as_array().unwrap();
    assert!(ignored.contains(&Value::from("USR1")));
    assert!(!ignored.contains(&Value::from("USR2")));
    assert!(
        j["signals"]["caught"]
            .as_array()
            .unwrap()
            .contains(&Value::from("USR2"))
    );
    assert_eq!(j["environment"]["PTOOL_TEST_MARK"], v.marker.as_str());
    assert_eq!(j["environment"]["PTOOL_TEST_EVIL"], "a\u{1b}]0;pwned\u{7}b");
    let nofile = j["limits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["resource"] == "nofile")
        .expect("nofile limit");
    assert!(nofile["soft"].is_u64());
    assert_eq!(j["denied"], serde_json::json!([]));
}

#[test]
fn files_is_the_lsof_view() {
    let (v, _dir, file) = rich_victim("info-files");
    let pid = v.pid();
    let out = ptool(["info", "--files", &pid.to_string()]);
    out.success();
    let mut lines = out.stdout.lines();
    assert_eq!(lines.next(), Some("PID\tFD\tTYPE\tMODE\tOFFSET\tTARGET"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split('\t').collect()).collect();
    // Every descriptor /proc lists, and nothing else.
    let mut listed: Vec<i64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    let mut oracle: Vec<i64> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().parse().unwrap())
        .collect();
    listed.sort_unstable();
    oracle.sort_unstable();
    assert_eq!(listed, oracle);
    assert!(rows.iter().all(|r| r[0] == pid.to_string()));
    let open_fd = v.report["open_fd"].to_string();
    assert!(rows.contains(&vec![
        &pid.to_string(),
        open_fd.as_str(),
        "file",
        "rw,cloexec",
        "11",
        file.as_str()
    ]));
    // Nothing but the list.
    assert!(!out.stdout.contains("Identity") && !out.stdout.contains("Signals"));

    let out = ptool(["info", "--files", "--json", &pid.to_string()]);
    out.success();
    let j = out.json();
    let keys: Vec<&String> = j.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["pid", "name", "open_files", "denied"]);
    assert_eq!(j["open_files"].as_array().unwrap().len(), oracle.len());
}

#[test]
fn a_deleted_executable_is_marked() {
    // A hard link next to the real binary (same filesystem), run, then
    // removed: the kernel shows "(deleted)" although the inode lives on.
    let m = marker("info-deleted");
    let dir = TempDir::new_in(env!("CARGO_TARGET_TMPDIR"), "info-deleted");
    let exe = dir.path(&m);
    std::fs::hard_link(victim_path(), &exe).unwrap();
    let mut cmd = Command::new(&exe);
    cmd.arg(&m);
    let v = Victim::start_cmd(&m, cmd);
    drop(dir);
    assert!(!exe.exists(), "the link is removed");
    let out = ptool(["info", &v.pid().to_string()]);
    out.success();
    assert_eq!(
        line(&out.stdout, "exe"),
        format!("{} (deleted)", exe.display())
    );
    let out = ptool(["info", "--json", &v.pid().to_string()]);
    out.success();
    let j = out.json();
    assert_eq!(j["program"]["exe"], exe.to_str().unwrap());
    assert_eq!(j["program"]["exe_deleted"], true);
}

#[test]
fn a_zombie_has_a_page_too() {
    let m = marker("info-zombie");
    let v = Victim::start(&m, &["--zombie"]);
    let zombie = v.family.zombie.expect("zombie pid").to_string();
    let out = ptool(["info", &zombie]);
    out.success();
    assert_eq!(line(&out.stdout, "state"), "Z (zombie)");
    // Its status, read from the zombie (the victim's child calls `_exit(0)`).
    assert_eq!(
        line(&out.stdout, "ended"),
        "exited 0, not yet collected by its parent"
    );
    assert_eq!(line(&out.stdout, "command"), "-");
    let json = ptool(["info", "--json", &zombie]);
    json.success();
    let ended = &json.json()["program"]["ended"];
    assert_eq!(
        (&ended["exit_code"], &ended["signal"]),
        (&0.into(), &Value::Null)
    );
    // A live process has no such line.
    let live = ptool(["info", &v.pid().to_string()]);
    live.success();
    assert!(!live.stdout.contains("\n  ended "), "{live:#?}");
    assert_eq!(
        line(&out.stdout, "parent"),
        format!("{} (ptool-victim)", v.pid())
    );
}

#[test]
fn a_missing_pid_is_one_line_and_exit_1() {
    let missing = NEVER_A_PID.to_string();
    let out = ptool(["info", &missing]);
    out.expect_code(1);
    assert_eq!(
        out.stderr,
        format!("ptool: no process with PID {missing}\n")
    );
    assert!(out.stdout.is_empty());
    let out = ptool(["info", "--json", &missing]);
    out.expect_code(1);
    assert!(out.stdout.is_empty());
    assert_eq!(out.stderr.lines().count(), 1);

    // Mixed with a real one: its page, one line for the other, exit 3.
    let m = marker("info-mixed");
    let v = Victim::start(&m, &[]);
    let out = ptool(["info", &v.pid().to_string(), &missing]);
    out.expect_code(3);
    assert!(out.stdout.starts_with(&format!("PID {}  ", v.pid())));
    assert_eq!(
        out.stderr,
        format!("ptool: no process with PID {missing}\n")
    );

    let out = ptool(["info", "-f", &marker("info-nobody")]);
    out.expect_code(1);
    assert_eq!(out.stderr, "ptool: no process matched\n");
    let out = ptool(["info", "--json", "-f", &marker("info-nobody")]);
    out.expect_code(1);
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn bad_input_is_a_usage_error() {
    for args in [
        vec!["info"],
        vec!["info", "0"],
        vec!["info", "-1"],
        vec!["info", "--", "-7"],
        vec!["info", "5x"],
        vec!["info", "99999999999"],
        vec!["info", "--files", "--env", "1"],
        vec!["info", "--bogus", "1"],
    ] {
        ptool(&args).usage_error();
    }
}

#[test]
fn a_selector_gives_one_page_each() {
    let m = marker("info-select");
    let a = Victim::start(&m, &[]);
    let b = Victim::start(&m, &["--name", "other-victim"]);
    let out = ptool(["info", "-f", &m]);
    out.success();
    let titles: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("PID "))
        .collect();
    assert_eq!(
        titles,
        [
            format!("PID {}  ptool-victim", a.pid().min(b.pid())),
            format!(
                "PID {}  {}",
                a.pid().max(b.pid()),
                if b.pid() > a.pid() {
                    "other-victim"
                } else {
                    "ptool-victim"
                }
            )
        ]
    );
    let out = ptool(["info", "--json", "-f", &m]);
    out.success();
    let mut pids: Vec<i64> = out
        .json()
        .as_array()
        .expect("a selector gives an array")
        .iter()
        .map(|j| j["pid"].as_i64().unwrap())
        .collect();
    pids.sort_unstable();
    let mut want = vec![i64::from(a.pid()), i64::from(b.pid())];
    want.sort_unstable();
    assert_eq!(pids, want);
    // Two PIDs named: also an array.
    let out = ptool(["info", "--json", &a.pid().to_string(), &b.pid().to_string()]);
    out.success();
    assert_eq!(out.json().as_array().map(Vec::len), Some(2));
}

#[test]
fn another_users_process_shows_public_parts_and_says_denied() {
    let (v, _dir, _file) = rich_victim("info-nobody");
    let pid = v.pid().to_string();
    let Some(out) = as_nobody(&["info", "--env", "--limits", &pid]) else {
        return;
    };
    out.success();
    let page = &out.stdout;
    // Public: status, stat, cmdline, cgroup, limits.
    assert!(line(page, "command").contains(&v.marker));
    // Sleeping on its stdin, or just about to.
    assert!(["S (sleeping)", "R (running)"].contains(&line(page, "state")));
    assert!(line(page, "user").starts_with("root (uid 0)"));
    assert!(line(page, "ignored").split(' ').any(|s| s == "USR1"));
    assert!(page.contains("\nLimits\n  LIMIT "), "{page}");
    // Private: said so, not left out.
    for label in [
        "exe",
        "cwd",
        "root",
        "namespaces",
        "I/O",
        "waiting in",
        "system call",
    ] {
        assert_eq!(line(page, label), "permission denied", "{label}");
    }
    assert!(
        page.contains("\nOpen files\n  permission denied\n"),
        "{page}"
    );
    assert!(
        page.contains("\nEnvironment\n  permission denied\n"),
        "{page}"
    );
    assert!(!page.contains(&format!("PTOOL_TEST_MARK={}", v.marker)));

    let out = as_nobody(&["info", "--json", "--env", &pid]).expect("ran before");
    out.success();
    let j = out.json();
    assert_eq!(j["program"]["cmdline"][1], v.marker.as_str());
    assert_eq!(j["program"]["exe"], Value::Null);
    assert_eq!(j["open_files"], Value::Null);
    assert_eq!(j["environment"], Value::Null);
    assert_eq!(
        j["denied"],
        serde_json::json!([
            "exe",
            "cwd",
            "root",
            "namespaces",
            "io",
            "wchan",
            "syscall",
            "open_files",
            "environment"
        ])
    );
    assert_eq!(j["identity"]["uid"], 0);
    assert!(j["resources"]["rss"].as_u64().unwrap() > 0);

    // --files has nothing else to show: one line and exit 3.
    let out = as_nobody(&["info", "--files", &pid]).expect("ran before");
    out.expect_code(3);
    assert_eq!(
        out.stderr,
        format!("ptool: PID {pid} (ptool-victim): open files: permission denied\n")
    );
}

/// `/proc/PID/task/TID/stat` field `n` (counted as in proc_pid_stat(5)).
fn task_field(pid: i32, tid: i32, n: usize) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/task/{tid}/stat")).expect("stat");
    let close = raw.iter().rposition(|&b| b == b')').expect(")");
    String::from_utf8_lossy(&raw[close + 2..])
        .split_whitespace()
        .nth(n - 3)
        .expect("field")
        .to_string()
}

fn task_ids(pid: i32) -> Vec<i32> {
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .expect("task")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    tids
}

#[test]
fn scheduling_shows_every_thread_and_what_differs() {
    let m = marker("info-sched");
    let v = Victim::start(&m, &["--threads", "2"]);
    let pid = v.pid();
    let tids = task_ids(pid);
    let odd = tids[2].to_string();
    ptool([
        "set", "-q", "--nice", "6", "--sched", "batch", "--thread", &odd,
    ])
    .expect_code(0);
    let out = ptool(["info", "--json", &pid.to_string()]);
    out.success();
    let s = &out.json()["scheduling"];
    assert_eq!(s["threads_differ"], true, "{s:#}");
    assert_eq!(s["policy"], "other");
    let threads = s["threads"].as_array().expect("threads");
    assert_eq!(threads.len(), 3);
    assert_eq!(threads[0]["tid"], pid, "the main thread first");
    for t in threads {
        let tid = t["tid"].as_i64().expect("tid") as i32;
        assert_eq!(
            t["nice"].as_i64().map(|n| n.to_string()),
            Some(task_field(pid, tid, 19)),
            "{t}"
        );
        assert_eq!(
            t["last_cpu"].as_i64().map(|n| n.to_string()),
            Some(task_field(pid, tid, 39))
        );
        let status =
            std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status")).expect("status");
        let allowed = status
            .lines()
            .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
            .expect("Cpus_allowed_list")
            .trim();
        assert_eq!(t["cpus"], allowed, "{t}");
    }
    assert_eq!(threads[2]["policy"], "batch");
    assert_eq!(threads[2]["nice"], 6);
    // chrt and ionice agree with the main thread's.
    if let Ok(chrt) = Command::new("chrt").args(["-p", &pid.to_string()]).output() {
        assert!(String::from_utf8_lossy(&chrt.stdout).contains("SCHED_OTHER"));
    }
    if let Ok(ionice) = Command::new("ionice")
        .args(["-p", &pid.to_string()])
        .output()
    {
        let text = String::from_utf8_lossy(&ionice.stdout).into_owned();
        assert_eq!(
            s["io_priority"] == "none",
            text.starts_with("none"),
            "{text}"
        );
    }
    // The page says which thread differs and how.
    let out = ptool(["info", &pid.to_string()]);
    out.success();
    assert_eq!(
        line(&out.stdout, "threads differ"),
        format!("TID {odd}: policy batch, nice 6")
    );
}

#[test]
fn now_shows_the_blocking_call_and_its_descriptor() {
    let m = marker("info-now");
    // Its main thread reads commands from stdin: blocked in read(0).
    let v = Victim::start(&m, &[]);
    let pid = v.pid();
    let out = ptool(["info", "--json", &pid.to_string()]);
    out.success();
    let a = &out.json()["activity"];
    let stdin = link(pid, 0);
    assert_eq!(a["syscall_name"], "read", "{a:#}");
    assert_eq!(a["syscall"], format!("read(0 → {stdin})"));
    let wchan = std::fs::read_to_string(format!("/proc/{pid}/wchan")).expect("wchan");
    assert_eq!(a["wchan"], wchan.trim());
    let out = ptool(["info", &pid.to_string()]);
    assert_eq!(
        line(&out.stdout, "system call"),
        format!("read(0 → {stdin})")
    );
}

#[test]
fn memory_details_agree_with_proc() {
    let m = marker("info-mem");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["info", "--json", &pid]);
    out.success();
    let r = out.json()["resources"].clone();
    assert!(
        r["uss"].is_null() && r["pss"].is_null(),
        "only with --memory"
    );
    let page = rustix::param::page_size() as u64;
    let statm: Vec<u64> = std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .expect("statm")
        .split_whitespace()
        .map(|n| n.parse().expect("pages"))
        .collect();
    assert_eq!(r["text"].as_u64(), Some(statm[3] * page));
    assert_eq!(r["data"].as_u64(), Some(statm[5] * page));
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("io");
    let syscr = io
        .lines()
        .find_map(|l| l.strip_prefix("syscr: "))
        .expect("syscr");
    assert_eq!(
        r["read_calls"].as_u64().map(|n| n.to_string()).as_deref(),
        Some(syscr)
    );
    assert_eq!(r["children_user_time"], 0.0);
    let out = ptool(["info", "--json", "--memory", &pid]);
    out.success();
    let r = &out.json()["resources"];
    let (uss, pss) = (
        r["uss"].as_u64().expect("uss"),
        r["pss"].as_u64().expect("pss"),
    );
    assert!(uss > 0 && pss >= uss, "{r}");
    assert!(pss <= r["rss"].as_u64().expect("rss"), "{r}");
    let out = ptool(["info", "--memory", &pid]);
    assert!(
        line(&out.stdout, "unique, shared").starts_with("USS "),
        "{out:#?}"
    );
    ptool(["info", "--memory", "--files", &pid]).usage_error();
}
