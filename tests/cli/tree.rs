//! `ptool tree` against victim families, with `/proc` as the oracle for
//! names, parents and the order children started in.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use serde_json::Value;

use crate::support::*;

/// The family every drawing test uses: three kinds of leaf, one child with
/// two identical grandchildren, and four identical leaves.
const KIDS: &str = "a,b(c,c),d,e,e,e,e";

/// `/proc/PID/stat`: (name, ppid, start time in ticks).
fn stat(pid: i32) -> (String, i32, u64) {
    let (name, fields) = stat_fields(pid);
    // fields[0] is field 3 (state): ppid is field 4, starttime field 22
    (
        name,
        fields[1].parse().unwrap(),
        fields[19].parse().unwrap(),
    )
}

/// The expected drawing of a victim family, in ASCII: names from `/proc`,
/// children in the order they started (start time, then PID), identical
/// leaves compacted at the place of the first unless `pids`.
fn expected(f: &Family, pids: bool) -> String {
    let label = |pid: i32| {
        let name = stat(pid).0;
        if pids { format!("{name}({pid})") } else { name }
    };
    fn below(
        f: &Family,
        prefix: &str,
        pids: bool,
        label: &dyn Fn(i32) -> String,
        out: &mut String,
    ) {
        let mut kids: Vec<&Family> = f.kids.iter().collect();
        kids.sort_by_key(|k| (stat(k.pid).2, k.pid));
        // (text, count, family to descend into)
        let mut entries: Vec<(String, usize, Option<&Family>)> = Vec::new();
        for kid in kids {
            let text = label(kid.pid);
            if kid.kids.is_empty() && !pids {
                if let Some(e) = entries.iter_mut().find(|e| e.0 == text && e.2.is_none()) {
                    e.1 += 1;
                    continue;
                }
                entries.push((text, 1, None));
            } else {
                entries.push((text, 1, (!kid.kids.is_empty()).then_some(kid)));
            }
        }
        let n = entries.len();
        for (i, (text, count, kid)) in entries.into_iter().enumerate() {
            let last = i + 1 == n;
            let shown = if count > 1 {
                format!("{count}*[{text}]")
            } else {
                text
            };
            out.push_str(&format!(
                "{prefix}{}{shown}\n",
                if last { "`-" } else { "|-" }
            ));
            if let Some(kid) = kid {
                let deeper = format!("{prefix}{}", if last { "  " } else { "| " });
                below(kid, &deeper, pids, label, out);
            }
        }
    }
    let mut out = format!("{}\n", label(f.pid));
    below(f, "", pids, &label, &mut out);
    out
}

/// The chain of `pid`'s ancestors from `/proc`, root first, `pid` last.
fn chain(pid: i32) -> Vec<i32> {
    let mut out = vec![pid];
    let mut at = pid;
    loop {
        let ppid = stat(at).1;
        if ppid <= 0 || std::fs::metadata(format!("/proc/{ppid}")).is_err() {
            break;
        }
        out.push(ppid);
        at = ppid;
    }
    out.reverse();
    out
}

fn me() -> i32 {
    std::process::id() as i32
}

fn my_user() -> String {
    let uid = nix::unistd::geteuid();
    nix::unistd::User::from_uid(uid)
        .unwrap()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

#[test]
fn a_family_is_drawn_exactly() {
    let m = marker("tree-family");
    let v = Victim::start(&m, &["--kids", KIDS]);
    let f = &v.family;
    let names: Vec<String> = f.kids.iter().map(|k| stat(k.pid).0).collect();
    assert_eq!(names, ["a", "b", "d", "e", "e", "e", "e"]);
    let pid = v.pid().to_string();

    let compacted = expected(f, false);
    // the shape the family was built to have, whatever order it started in
    assert_eq!(compacted.lines().count(), 6, "{compacted}");
    assert!(
        compacted.contains("| `-2*[c]\n") && compacted.contains("4*[e]\n"),
        "{compacted}"
    );
    let out = ptool(["tree", "--ascii", &pid]);
    out.success();
    assert_eq!(out.stdout, compacted);
    // ASCII is the default in a pipe, even with a UTF-8 locale
    assert_eq!(ptool(["tree", &pid]).stdout, compacted);

    let with_pids = expected(f, true);
    assert_eq!(with_pids.lines().count(), 10, "{with_pids}");
    let out = ptool(["tree", "--pids", "--ascii", &pid]);
    out.success();
    assert_eq!(out.stdout, with_pids);
    // --no-compact without --pids: one line per process
    let out = ptool(["tree", "--no-compact", &pid]);
    out.success();
    let strip = |s: &str| -> String {
        s.lines()
            .map(|l| l.split('(').next().unwrap().to_string() + "\n")
            .collect()
    };
    assert_eq!(out.stdout, strip(&with_pids));

    let out = ptool(["tree", "--unicode", &pid]);
    out.success();
    assert_eq!(
        out.stdout,
        compacted
            .replace("|-", "├─")
            .replace("`-", "└─")
            .replace("| ", "│ ")
    );
}

#[test]
fn ancestors_draw_the_chain_from_the_root() {
    let m = marker("tree-ancestors");
    let v = Victim::start(&m, &["--kids", KIDS]);
    let b = &v.family.kids[1];
    let c = b.kids[0].pid;
    let out = ptool(["tree", "--ancestors", "--pids", "--ascii", &c.to_string()]);
    out.success();

    let pids = chain(c);
    let n = pids.len();
    // the tail is this test process, the victim, b and c
    assert_eq!(&pids[n - 4..], &[me(), v.pid(), b.pid, c]);
    let mut want = String::new();
    for (depth, pid) in pids.iter().enumerate() {
        let gutter = if *pid == c { "* " } else { "  " };
        let connector = if depth == 0 {
            String::new()
        } else {
            format!("{}`-", "  ".repeat(depth - 1))
        };
        want.push_str(&format!("{gutter}{connector}{}({pid})\n", stat(*pid).0));
    }
    assert_eq!(out.stdout, want);
    let lines: Vec<&str> = out.stdout.lines().collect();
    let indent = "  ".repeat(n - 4);
    assert_eq!(
        lines[n - 3..].to_vec(),
        [
            format!("  {indent}`-ptool-victim({})", v.pid()),
            format!("  {indent}  `-b({})", b.pid),
            format!("* {indent}    `-c({c})"),
        ]
    );

    // with --descendants, the match's subtree comes along (unmarked)
    let out = ptool(["tree", "-s", "-d", "--ascii", &b.pid.to_string()]);
    out.success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[n - 3..].to_vec(),
        [
            format!("  {indent}`-ptool-victim"),
            format!("* {indent}  `-b"),
            format!("  {indent}    `-2*[c]"),
        ]
    );
}

#[test]
fn a_name_filter_keeps_the_branch() {
    let m = marker("tree-filter");
    let v = Victim::start(&m, &["--kids", KIDS]);
    let pid = v.pid().to_string();
    // within the victim's subtree: c's ancestors are context, c is marked
    let out = ptool(["tree", "--ascii", "-x", "-n", "c", &pid]);
    out.success();
    assert_eq!(out.stdout, "  ptool-victim\n  `-b\n*   `-2*[c]\n");

    let out = ptool(["tree", "--ascii", "-p", "-n", "^[ad]$", &pid]);
    out.success();
    let (a, d) = (v.family.kids[0].pid, v.family.kids[2].pid);
    let mut kids = [(stat(a).2, a, "a"), (stat(d).2, d, "d")];
    kids.sort();
    assert_eq!(
        out.stdout,
        format!(
            "  ptool-victim({pid})\n* |-{}({})\n* `-{}({})\n",
            kids[0].2, kids[0].1, kids[1].2, kids[1].1
        )
    );

    let out = ptool(["tree", "--ascii", "--descendants", "-x", "-n", "b", &pid]);
    out.success();
    assert_eq!(out.stdout, "  ptool-victim\n* `-b\n    `-2*[c]\n");

    // over the whole system: the chain down from the root is drawn, not
    // marked; ptool itself (whose command line has the marker) is not drawn
    let out = ptool(["tree", "--json", "-f", &m, "-n", "^c$"]);
    out.success();
    let roots = out.json();
    assert_eq!(roots.as_array().unwrap().len(), 1, "{roots:#}");
    let mut node = &roots[0];
    let b = &v.family.kids[1];
    let pids = chain(b.pid);
    for (i, pid) in pids.iter().enumerate() {
        assert_eq!(node["pid"], *pid, "{node:#}");
        assert_eq!(node["matched"], false);
        if i + 1 < pids.len() {
            assert_eq!(node["children"].as_array().unwrap().len(), 1, "{node:#}");
            node = &node["children"][0];
        }
    }
    let cs: Vec<&Value> = node["children"].as_array().unwrap().iter().collect();
    assert_eq!(cs.len(), 2, "{node:#}");
    for (c, want) in cs.iter().zip(&b.kids) {
        assert_eq!(c["ppid"], b.pid);
        assert_eq!(c["matched"], true);
        assert_eq!(c["children"], serde_json::json!([]));
        assert!(
            b.kids.iter().any(|k| c["pid"] == k.pid),
            "{c:#} vs {want:?}"
        );
    }
    assert!(!out.stdout.contains("\"name\":\"ptool\""), "{}", out.stdout);

    let out = ptool(["tree", "-f", &marker("nothing-has-this")]);
    out.expect_code(1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
    // the owner criterion holds for the victims, not for another user
    let uid = nix::unistd::geteuid().to_string();
    let other = if uid == "65534" { "0" } else { "65534" };
    let out = ptool(["tree", "-n", "^c$", &pid, "-u", &uid]);
    out.success();
    assert_eq!(out.stdout, "  ptool-victim\n  `-b\n*   `-2*[c]\n");
    let out = ptool(["tree", "--json", "-n", "^c$", &pid, "-u", other]);
    out.expect_code(1);
    assert_eq!(out.json(), serde_json::json!([]));
}

#[test]
fn ptool_and_its_ancestors_are_context_never_matches() {
    let m = marker("tree-protected");
    let v = Victim::start(&m, &[]);
    // this test process's name matches nothing else here; as ptool's
    // parent it is never a match, so nothing is drawn
    let my_name = regex::escape(&stat(me()).0);
    let out = ptool(["tree", "-x", "-n", &my_name, &me().to_string()]);
    out.expect_code(1);
    // named by PID with --ancestors, it is selected
    let out = ptool(["tree", "--json", "-s", &me().to_string()]);
    out.success();
    assert!(out.stdout.contains(&format!("\"pid\":{},", me())));
    // the marker is in ptool's own command line too: only the victim matches
    let out = ptool(["tree", "--json", "-p", "-f", &m]);
    out.success();
    let text = out.stdout;
    assert_eq!(text.matches("\"matched\":true").count(), 1, "{text}");
    assert!(text.contains(&format!("\"pid\":{},", v.pid())));
    assert!(!text.contains("\"name\":\"ptool\""), "{text}");
}

#[test]
fn json_nests_children_and_agrees_with_proc() {
    let m = marker("tree-json");
    let v = Victim::start(&m, &["--kids", KIDS]);
    let out = ptool(["tree", "--json", &v.pid().to_string()]);
    out.success();
    let roots = out.json();
    assert_eq!(roots.as_array().unwrap().len(), 1);
    let top = &roots[0];
    assert_eq!(top["pid"], v.pid());
    assert_eq!(top["ppid"], me());
    assert_eq!(top["name"], "ptool-victim");
    assert_eq!(top["user"], my_user().as_str());
    assert!(
        top["cmd"]
            .as_str()
            .unwrap()
            .ends_with(&format!("{m} --kids {KIDS}"))
    );
    assert!(top.get("matched").is_none());
    let names = |n: &Value| -> Vec<String> {
        n["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(top), ["a", "b", "d", "e", "e", "e", "e"]);
    assert_eq!(names(&top["children"][1]), ["c", "c"]);
    let mut seen = Vec::new();
    check_pairs(top, &mut seen);
    seen.sort_unstable();
    let mut want = v.pids();
    want.sort_unstable();
    assert_eq!(seen, want);

    // the whole system: every parent/child pair is a real one, each PID once,
    // and the victim hangs below this test process
    let out = ptool(["tree", "--json"]);
    out.success();
    let mut all = Vec::new();
    let mut found = false;
    for root in out.json().as_array().unwrap() {
        walk_consistent(root, &mut all, &mut found, v.pid());
    }
    assert!(found, "victim not below the test process");
    let n = all.len();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), n, "a PID appears twice");
}

/// Every child's ppid is its parent, in the JSON and in `/proc`.
fn check_pairs(node: &Value, seen: &mut Vec<i32>) {
    let pid = node["pid"].as_i64().unwrap() as i32;
    seen.push(pid);
    for child in node["children"].as_array().unwrap() {
        let cpid = child["pid"].as_i64().unwrap() as i32;
        assert_eq!(child["ppid"], pid);
        assert_eq!(stat(cpid).1, pid, "/proc/{cpid}/stat disagrees");
        check_pairs(child, seen);
    }
}

fn walk_consistent(node: &Value, all: &mut Vec<i64>, found: &mut bool, victim: i32) {
    let pid = node["pid"].as_i64().unwrap();
    all.push(pid);
    for child in node["children"].as_array().unwrap() {
        assert_eq!(child["ppid"].as_i64(), Some(pid), "{child}");
        if pid == i64::from(me()) && child["pid"] == victim {
            *found = true;
        }
        walk_consistent(child, all, found, victim);
    }
}

#[test]
fn threads_owner_and_args() {
    let m = marker("tree-threads");
    let v = Victim::start(&m, &["--name", "thr", "--threads", "3"]);
    let pid = v.pid().to_string();
    let out = ptool(["tree", "--threads", &pid]);
    out.success();
    assert_eq!(out.stdout, "thr\n`-3*[{thr}]\n");
    let mut tids: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().parse().unwrap())
        .filter(|&t| t != v.pid())
        .collect();
    tids.sort_unstable();
    let out = ptool(["tree", "-T", "-p", &pid]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "thr({pid})\n|-{{thr}}({})\n|-{{thr}}({})\n`-{{thr}}({})\n",
            tids[0], tids[1], tids[2]
        )
    );
    let out = ptool(["tree", "--json", "-T", &pid]);
    out.success();
    let threads: Vec<i64> = out.json()[0]["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tid"].as_i64().unwrap())
        .collect();
    assert_eq!(
        threads,
        tids.iter().map(|&t| i64::from(t)).collect::<Vec<_>>()
    );

    let m = marker("tree-args");
    let v = Victim::start(&m, &["--kids", "a"]);
    let out = ptool(["tree", "--owner", "--args", &v.pid().to_string()]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "ptool-victim({}) {m} --kids a\n`-a /proc/self/exe {m} --child --name a\n",
            my_user()
        )
    );
}

#[test]
fn hostile_names_are_escaped() {
    let m = marker("tree-evil");
    let evil = OsStr::from_bytes(b"\x1b]0;pwned\x07\xff");
    let v = Victim::start_os(&m, [OsStr::new("--name"), evil]);
    let pid = v.pid().to_string();
    let out = ptool(["tree", "-a", &pid]);
    out.success();
    assert_eq!(
        out.stdout,
        format!(
            "\\e]0;pwned\\x07\\xff {} {m} --name \\e]0;pwned\\x07\\xff\n",
            victim_path()
        )
    );
    let out = ptool(["tree", "--json", &pid]);
    out.success();
    assert!(!out.stdout.contains('\x1b'));
    assert_eq!(out.json()[0]["name"], "\u{1b}]0;pwned\u{7}\\xff");
}

#[test]
fn quiet_and_missing_pids() {
    let m = marker("tree-quiet");
    let v = Victim::start(&m, &[]);
    let out = ptool(["tree", "-q", &v.pid().to_string()]);
    out.success();
    assert!(out.stdout.is_empty());
    let missing = NEVER_A_PID.to_string();
    let out = ptool(["tree", &missing]);
    out.expect_code(1);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:#?}");
    // a missing PID next to a real one is ignored
    let out = ptool(["tree", &missing, &v.pid().to_string()]);
    out.success();
    assert_eq!(out.stdout, "ptool-victim\n");
}

#[test]
fn usage_errors_are_one_line_and_exit_2() {
    for args in [
        vec!["tree", "--ancestors"],
        vec!["tree", "--ascii", "--unicode"],
        vec!["tree", "0"],
        vec!["tree", "-1"],
        vec!["tree", "5x"],
        vec!["tree", "99999999999"],
        vec!["tree", "-n", "("],
        vec!["tree", "-x"],
        vec!["tree", "--state", "Q"],
        vec!["tree", "-u", "no-such-user-for-ptool"],
    ] {
        ptool(&args).usage_error();
    }
    let out = ptool(["tree", "--ancestors"]);
    assert!(out.stderr.contains("--ancestors needs a PID"), "{out:#?}");
}

#[test]
fn terminals_get_unicode_bold_matches_and_cut_lines() {
    let m = marker("tree-terminal");
    let v = Victim::start(&m, &["--kids", "b(c,c)"]);
    let args = format!("tree -n ^c$ {}", v.pid());
    let Some(text) = on_terminal(&args, &[("COLUMNS", "200")]) else {
        return;
    };
    // bold instead of the gutter
    assert_eq!(
        text, "ptool-victim\n└─b\n  └─\x1b[1m2*[c]\x1b[0m\n",
        "{text:?}"
    );
    let text = on_terminal(&args, &[("COLUMNS", "200"), ("NO_COLOR", "1")]).unwrap();
    assert_eq!(text, "  ptool-victim\n  └─b\n*   └─2*[c]\n", "{text:?}");
    // cut at the width, only on a terminal
    let args = format!("tree -a {}", v.pid());
    let text = on_terminal(&args, &[("COLUMNS", "30"), ("NO_COLOR", "1")]).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // With -a, as with pstree -a, the two c's are not compacted.
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines.iter().all(|l| l.chars().count() <= 30), "{text}");
    assert_eq!(lines[0], format!("ptool-victim {}…", &m[..16]));
    assert!(lines[2].starts_with("  ├─c /proc/self/exe"), "{text}");
    assert!(lines[3].starts_with("  └─c /proc/self/exe"), "{text}");
    let piped = ptool(["tree", "-a", &v.pid().to_string()]);
    piped.success();
    assert!(
        piped
            .stdout
            .lines()
            .next()
            .unwrap()
            .ends_with("--kids b(c,c)")
    );
}

/// The labels of a drawing, each line without its tree lines, sorted: the
/// layouts of `pstree` and `ptool tree` differ (indents, child order), the
/// labels must not.
fn labels(drawing: &str) -> Vec<String> {
    let mut out: Vec<String> = drawing
        .lines()
        .map(|l| l.trim_start_matches([' ', '|', '`', '-', '+']).to_string())
        .collect();
    out.sort();
    out
}

/// `tree -a` is `pstree -a`: every process on its own line (identical ones
/// are not compacted, threads still are), and a process without a command
/// line, here a zombie, in parentheses.
#[test]
fn args_draw_like_pstree_a() {
    let m = marker("tree-args");
    let v = Victim::start(&m, &["--kids", "_,_,_", "--zombie", "--threads", "2"]);
    let pid = v.pid().to_string();
    let out = ptool(["tree", "-a", "-T", "--ascii", &pid]);
    out.success();
    let ours = labels(&out.stdout);
    let args = format!("{m} --child");
    assert_eq!(
        ours.iter()
            .filter(|l| l.starts_with("exe ") && l.ends_with(&args))
            .count(),
        3,
        "three identical children, each on its line:\n{}",
        out.stdout
    );
    assert!(
        ours.contains(&"(ptool-victim)".to_string()),
        "the zombie:\n{}",
        out.stdout
    );
    assert!(
        ours.iter().any(|l| l.ends_with("*[{ptool-victim}]")),
        "threads compact:\n{}",
        out.stdout
    );
    if have_tool("pstree") {
        let theirs = std::process::Command::new("pstree")
            .args(["-a", &pid])
            .env("LC_ALL", "C")
            .output()
            .expect("run pstree");
        assert!(theirs.status.success());
        assert_eq!(ours, labels(&String::from_utf8_lossy(&theirs.stdout)));
    }
}
