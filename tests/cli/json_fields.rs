//! The README documents every JSON field of every subcommand: these tests
//! read its field tables and lists, run each subcommand on processes the
//! test started, and check that the documented and the emitted fields are
//! the same set, so neither can change without the other.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::*;

type Keys = BTreeSet<String>;

fn readme() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The text of `### \`ptool NAME\``, up to the next heading of that level.
fn section(name: &str) -> String {
    let readme = readme();
    let heading = format!("### `ptool {name}`");
    let start = readme
        .find(&heading)
        .unwrap_or_else(|| panic!("README has no {heading}"));
    let rest = &readme[start + heading.len()..];
    let end = rest.find("\n### ").unwrap_or(rest.len());
    rest[..end].to_string()
}

/// The rows (cells) of the first table after `anchor` in `text`.
fn table_after(text: &str, anchor: &str) -> Vec<Vec<String>> {
    let at = text
        .find(anchor)
        .unwrap_or_else(|| panic!("no {anchor:?} in the README section"));
    text[at..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2) // the header and the --- line
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The `code` spans of `text` that are not inside parentheses (those
/// describe a field's parts or values, not fields).
fn top_level_code(text: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut depth = 0usize;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            '`' => {
                let span: String = chars.by_ref().take_while(|&c| c != '`').collect();
                if depth == 0 {
                    spans.push(span);
                }
            }
            _ => {}
        }
    }
    spans
}

/// The field names among `code` spans: snake_case words, not JSON literals.
fn field_names(spans: impl IntoIterator<Item = String>) -> Keys {
    spans
        .into_iter()
        .filter(|s| {
            !s.is_empty()
                && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && !["null", "true", "false"].contains(&s.as_str())
        })
        .collect()
}

/// The fields a table documents: the names in its first column.
fn table_fields(rows: &[Vec<String>]) -> Keys {
    field_names(rows.iter().flat_map(|r| top_level_code(&r[0])))
}

/// The names inside the first `{a, b, c}` (or `[{a, b}]`) span of `text`
/// that follows `after`.
fn braced_fields(text: &str, after: &str) -> Keys {
    let at = text
        .find(after)
        .unwrap_or_else(|| panic!("no {after:?} in {text:?}"));
    let rest = &text[at..];
    let open = rest.find('{').expect("a {...} list");
    let close = open + rest[open..].find('}').expect("a closing }");
    rest[open + 1..close]
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .collect()
}

/// The row of a table whose first cell is `` `name` ``.
fn row<'a>(rows: &'a [Vec<String>], name: &str) -> &'a str {
    let cell = format!("`{name}`");
    &rows
        .iter()
        .find(|r| r[0] == cell)
        .unwrap_or_else(|| panic!("no row for {name}"))[1]
}

fn keys(v: &Value) -> Keys {
    v.as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .cloned()
        .collect()
}

fn without(mut set: Keys, names: &[&str]) -> Keys {
    for n in names {
        set.remove(*n);
    }
    set
}

#[test]
fn ls_fields_are_the_documented_columns() {
    let rows = table_after(&section("ls"), "#### Columns and JSON fields");
    let documented = table_fields(&rows);
    // The columns `ls --help` lists are the documented ones.
    let help = ptool(["ls", "--help"]);
    help.success();
    let listed: Keys = help
        .stdout
        .split("JSON field names):")
        .nth(1)
        .and_then(|rest| rest.split("Default:").next())
        .expect("the column list in ls --help")
        .split_whitespace()
        .map(String::from)
        .collect();
    assert_eq!(documented, listed, "README vs ls --help");

    let m = marker("json-ls");
    let v = Victim::start(&m, &[]);
    let columns = documented.iter().cloned().collect::<Vec<_>>().join(",");
    let out = ptool(["ls", "--json", "-T", "-o", &columns, "-f", &m]);
    out.success();
    let rows = out.json();
    let rows = rows.as_array().expect("an array");
    assert!(
        rows.iter().any(|r| r["pid"] == v.pid()),
        "the victim is listed: {out:#?}"
    );
    for r in rows {
        assert_eq!(keys(r), documented, "{r}");
    }
}

#[test]
fn tree_fields_are_documented() {
    let documented = table_fields(&table_after(&section("tree"), "#### JSON"));
    let m = marker("json-tree");
    let v = Victim::start(&m, &["--threads", "2", "--kids", "a"]);
    let out = ptool(["tree", "--json", "--threads", "-f", &m]);
    out.success();
    let mut seen = Keys::new();
    let mut stack: Vec<Value> = out.json().as_array().expect("roots").clone();
    let mut victim_seen = false;
    while let Some(node) = stack.pop() {
        let node_keys = keys(&node);
        assert!(
            node_keys.is_subset(&documented),
            "undocumented: {:?}",
            node_keys.difference(&documented).collect::<Vec<_>>()
        );
        seen.extend(node_keys);
        victim_seen |= node["pid"] == v.pid();
        stack.extend(node["children"].as_array().expect("children").clone());
    }
    assert!(victim_seen, "{out:#?}");
    assert_eq!(seen, documented);
}

#[test]
fn info_fields_are_documented() {
    let text = section("info");
    let rows = table_after(&text, "#### JSON");
    let documented = table_fields(&rows);
    let m = marker("json-info");
    let v = Victim::start(&m, &["--listen"]);
    let pid = v.pid().to_string();
    let out = ptool(["info", "--json", "--limits", "--env", &pid]);
    out.success();
    let info = out.json();
    assert_eq!(keys(&info), documented, "top level");
    for part in [
        "identity",
        "program",
        "resources",
        "signals",
        "scheduling",
        "activity",
    ] {
        let fields = field_names(top_level_code(row(&rows, part)));
        assert_eq!(keys(&info[part]), fields, "{part}");
    }
    let files = row(&rows, "open_files");
    let file_fields = braced_fields(files, "[{");
    let open = info["open_files"].as_array().expect("open files");
    assert!(!open.is_empty());
    for f in open {
        assert_eq!(keys(f), file_fields, "{f}");
    }
    let socket = open
        .iter()
        .find(|f| !f["socket"].is_null())
        .expect("the listening socket");
    assert_eq!(
        keys(&socket["socket"]),
        braced_fields(files, "`socket` `{"),
        "socket"
    );
    let limit_fields = braced_fields(row(&rows, "limits"), "[{");
    for l in info["limits"].as_array().expect("limits") {
        assert_eq!(keys(l), limit_fields, "{l}");
    }
    let thread_fields = braced_fields(row(&rows, "scheduling"), "`threads`:");
    for t in info["scheduling"]["threads"].as_array().expect("threads") {
        assert_eq!(keys(t), thread_fields, "{t}");
    }
    let groups = info["identity"]["groups"].as_array().expect("groups");
    for g in groups {
        assert_eq!(keys(g), braced_fields(row(&rows, "identity"), "`groups`"));
    }
}

#[test]
fn spawn_fields_are_documented() {
    let documented = table_fields(&table_after(&section("spawn"), "`--json` prints an object"));
    let m = marker("json-spawn");
    let _guard = MarkerGuard::new(&m);
    let mut started = Reaper::default();
    let out = ptool([
        "spawn",
        "--json",
        "-n",
        "1",
        "--",
        victim_path(),
        &m,
        "--forever",
    ]);
    out.success();
    let records = out.json();
    let record = &records.as_array().expect("an array with -n")[0];
    started.add(record["pid"].as_i64().expect("a pid") as i32);
    assert_eq!(keys(record), documented);
    // Without -n there is no index.
    let out = ptool(["spawn", "--json", "--", victim_path(), &m, "--forever"]);
    out.success();
    let record = out.json();
    started.add(record["pid"].as_i64().expect("a pid") as i32);
    assert_eq!(keys(&record), without(documented, &["index"]));
}

#[test]
fn signal_and_kill_report_fields_are_documented() {
    let documented = table_fields(&table_after(
        &section("kill"),
        "`--json` prints an array of reports",
    ));
    let m = marker("json-kill");
    let v = Victim::start(&m, &[]);
    let pid = v.pid().to_string();
    let out = ptool(["signal", "--json", "0", &pid]);
    out.success();
    assert_eq!(
        keys(&out.json()[0]),
        without(documented.clone(), &["after"]),
        "signal: `after` is kill's only"
    );
    let out = ptool(["kill", "--json", "--grace", "5s", &pid]);
    out.success();
    assert_eq!(keys(&out.json()[0]), documented, "kill");
}

#[test]
fn signal_list_and_show_fields_are_documented() {
    let text = section("signal");
    let list_fields = braced_fields(&text, "**`ptool signal list`**");
    let out = ptool(["signal", "list", "--json"]);
    out.success();
    for s in out.json().as_array().expect("signals") {
        assert_eq!(keys(s), list_fields, "{s}");
    }

    let show = text
        .split("**`ptool signal show TARGETS`**")
        .nth(1)
        .expect("signal show");
    let gives = show.split("`--json` gives").nth(1).expect("its JSON");
    let sentence = &gives[..gives.find(". ").expect("a sentence")];
    let show_fields = field_names(top_level_code(sentence));
    let m = marker("json-show");
    let v = Victim::start(&m, &["--catch", "USR1"]);
    let out = ptool(["signal", "show", "--json", &v.pid().to_string()]);
    out.success();
    assert_eq!(keys(&out.json()[0]), show_fields);
}

#[test]
fn wait_fields_are_documented() {
    let text = section("wait");
    let ended_fields = table_fields(&table_after(&text, "#### JSON Lines"));
    let summary = text.split("The summary:").nth(1).expect("the summary");
    let summary = &summary[..summary.find("\n\n").unwrap_or(summary.len())];
    let mut summary_fields = field_names(top_level_code(summary));
    summary_fields.insert("event".into());

    let m = marker("json-wait");
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", "exit 3", &m]);
    let child = ChildGuard::new(cmd.spawn().expect("start sh"));
    let out = ptool([
        "wait",
        "--json",
        "--status-wait",
        "0",
        &child.pid().to_string(),
    ]);
    out.success();
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert_eq!(lines[0]["event"], "ended");
    assert_eq!(keys(&lines[0]), ended_fields);
    assert_eq!(lines[1]["event"], "summary");
    assert_eq!(keys(&lines[1]), summary_fields);
}

#[test]
fn fork_fields_are_documented() {
    let text = section("fork");
    let mut job_fields = table_fields(&table_after(&text, "| field (`\"event\": \"job\"`)"));
    job_fields.insert("event".into());
    let mut summary_fields =
        table_fields(&table_after(&text, "| field (`\"event\": \"summary\"`)"));
    summary_fields.insert("event".into());
    let out = ptool(["fork", "--json", "--", "true", ":::", "a"]);
    out.success();
    let lines = out.json_lines();
    assert_eq!(lines.len(), 2, "{out:#?}");
    assert_eq!(lines[0]["event"], "job");
    assert_eq!(keys(&lines[0]), job_fields);
    assert_eq!(lines[1]["event"], "summary");
    assert_eq!(keys(&lines[1]), summary_fields);
}

#[test]
fn top_fields_are_documented() {
    let text = section("top");
    let documented = table_fields(&table_after(
        &text,
        "`--json` prints one object per refresh",
    ));
    let system_rows = table_after(&text, "The fields of `system`:");
    let out = ptool(["top", "--json", "--iterations", "1", "-o", "pid,cmd", "1"]);
    out.success();
    let refresh = &out.json_lines()[0];
    assert_eq!(keys(refresh), documented);
    let system = &refresh["system"];
    assert_eq!(keys(system), table_fields(&system_rows));
    for (name, value) in ["memory", "swap", "tasks"].map(|n| (n, &system[n])) {
        let listed = field_names(top_level_code(row(&system_rows, name)));
        assert_eq!(keys(value), listed, "system.{name}");
    }
    // The rows carry the columns asked for, as `ls` names them.
    let first = &refresh["processes"][0];
    assert_eq!(
        keys(first),
        Keys::from(["cmd".to_string(), "pid".to_string()])
    );
}

#[test]
fn set_fields_are_documented() {
    let rows = table_after(&section("set"), "`--json` prints an array");
    let documented = table_fields(&rows);
    let setting_fields = braced_fields(row(&rows, "settings"), "one object per setting");
    let m = marker("json-set");
    let v = Victim::start(&m, &["--threads", "1"]);
    let pid = v.pid().to_string();
    let out = ptool([
        "set",
        "--json",
        "--dry-run",
        "--nice",
        "3",
        "--limit",
        "nofile=64",
        &pid,
    ]);
    out.expect_code(0);
    let report = &out.json()[0];
    assert_eq!(keys(report), documented);
    for s in report["settings"].as_array().expect("settings") {
        assert_eq!(keys(s), setting_fields, "{s}");
    }
}
