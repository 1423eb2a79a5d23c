//! `ptool completions` and `ptool man`: the scripts load in their shells
//! and complete, PIDs included, from the real binary; every subcommand has
//! a manual page that man renders.

use std::process::Command;

use crate::support::*;

/// `PATH` with ptool first, as after `cargo install`.
fn path() -> String {
    let bin = std::path::Path::new(ptool_path()).parent().unwrap();
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// The script for `shell`, written to a file in `dir`.
fn script(dir: &TempDir, shell: &str) -> String {
    let out = ptool(["completions", shell]);
    out.success();
    assert!(out.stdout.len() > 1000, "{shell}: {}", out.stdout);
    dir.file(&format!("ptool.{shell}"), out.stdout.as_bytes())
}

/// Run `shell ARGS` with ptool on `PATH`.
fn in_shell(shell: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(shell);
    cmd.args(args)
        .env("PATH", path())
        .env("HOME", std::env::temp_dir());
    run(cmd, None, BOUND)
}

/// Complete the words of `line` (the last one being completed) with the
/// bash script, as bash would on TAB: COMPREPLY, one entry a line.
fn bash_complete(file: &str, words: &[&str]) -> Vec<String> {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source {file}\n\
         COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))\n\
         COMP_LINE=\"${{COMP_WORDS[*]}}\"; COMP_POINT=${{#COMP_LINE}}\n\
         _ptool_with_pids ptool \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\" 2>/dev/null\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        words = quoted.join(" ")
    );
    let out = in_shell("bash", &["-c", &program]);
    out.expect_code(0);
    out.stdout.lines().map(String::from).collect()
}

#[test]
fn bash_sources_the_script_and_registers_ptool() {
    let dir = TempDir::new("complete-bash");
    let file = script(&dir, "bash");
    let out = in_shell(
        "bash",
        &["-c", &format!("source {file} && complete -p ptool")],
    );
    out.success();
    assert!(
        out.stdout.contains("-F _ptool_with_pids") && out.stdout.trim_end().ends_with(" ptool"),
        "{out:?}"
    );
}

#[test]
fn bash_completes_subcommands_flags_values_and_live_pids() {
    let dir = TempDir::new("complete-bash-words");
    let file = script(&dir, "bash");
    assert_eq!(bash_complete(&file, &["ptool", "ki"]), ["kill"]);
    assert!(bash_complete(&file, &["ptool", "kill", "--gr"]).contains(&"--grace".to_string()));
    assert_eq!(
        bash_complete(&file, &["ptool", "kill", "-s", "TER"]),
        ["TERM"]
    );
    assert_eq!(bash_complete(&file, &["ptool", "--color", "ne"]), ["never"]);
    assert_eq!(bash_complete(&file, &["ptool", "ls", "-o", "rs"]), ["rss"]);
    assert_eq!(bash_complete(&file, &["ptool", "man", "ki"]), ["kill"]);
    let held = dir.file("held-file.log", b"");
    assert_eq!(
        bash_complete(&file, &["ptool", "spawn", "--log", &held[..held.len() - 4]]),
        [held.as_str()]
    );

    let v = Victim::start(&marker("complete"), &["--name", "rdm-complete"]);
    let pid = v.pid().to_string();
    // The whole PID: one candidate, inserted as it is.
    assert_eq!(
        bash_complete(&file, &["ptool", "kill", &pid]),
        [pid.as_str()]
    );
    // A prefix: the candidates name their processes.
    let listed = bash_complete(&file, &["ptool", "signal", "HUP", ""]);
    assert!(
        listed.contains(&format!("{pid} (rdm-complete)")),
        "{listed:?}"
    );
    assert!(listed.contains(&"1 (".to_string()) || listed.iter().any(|c| c.starts_with("1 (")));
    let parent = bash_complete(&file, &["ptool", "ls", "--parent", &pid]);
    assert_eq!(parent, [pid.as_str()]);
    // `--sid=` is split at the `=` by bash: the `=` stays.
    let sid = bash_complete(&file, &["ptool", "ls", "--sid", "=", &pid]);
    assert_eq!(sid, [pid.as_str()]);
    // Not a PID: the name pattern of -n.
    assert!(
        !bash_complete(&file, &["ptool", "ls", "-n", &pid])
            .contains(&format!("{pid} (rdm-complete)"))
    );
}

#[test]
fn zsh_checks_the_script_and_completes_live_pids() {
    if !have_tool("zsh") {
        return;
    }
    let dir = TempDir::new("complete-zsh");
    let file = script(&dir, "zsh");
    in_shell("zsh", &["-n", &file]).success();
    // Loaded from fpath by compinit, as installed.
    std::fs::rename(&file, dir.path("_ptool")).unwrap();
    let load = format!(
        "fpath=({} $fpath); autoload -Uz compinit; compinit -u -d {}/dump; print -r -- $_comps[ptool]",
        dir.dir().display(),
        dir.dir().display()
    );
    let out = in_shell("zsh", &["-f", "-c", &load]);
    out.success();
    assert_eq!(out.stdout.trim(), "_ptool");

    // The PID step itself, with zsh's _describe stood in for by a function
    // that prints what it was given.
    let v = Victim::start(&marker("complete"), &["--name", "rdm-zsh"]);
    let program = format!(
        "compdef() {{ }}; source {dir}/_ptool\n\
         _describe() {{ print -rl -- \"${{(@P)${{@[-1]}}}}\" }}\n\
         _ptool_static() {{ print -r -- \"static $words\" }}\n\
         words=(ptool kill {pid}); CURRENT=3; _ptool\n\
         words=(ptool ki); CURRENT=2; _ptool",
        dir = dir.dir().display(),
        pid = v.pid()
    );
    let out = in_shell("zsh", &["-f", "-c", &program]);
    out.success();
    assert_eq!(
        out.stdout,
        format!("{}:rdm-zsh\nstatic ptool ki\n", v.pid())
    );
}

#[test]
fn fish_checks_the_script_and_completes_live_pids() {
    if !have_tool("fish") {
        return;
    }
    let dir = TempDir::new("complete-fish");
    let file = script(&dir, "fish");
    in_shell("fish", &["--no-execute", &file]).success();
    let v = Victim::start(&marker("complete"), &["--name", "rdm-fish"]);
    let pid = v.pid();
    let complete = |line: &str| {
        let out = in_shell(
            "fish",
            &["-c", &format!("source {file}; complete -C '{line}'")],
        );
        out.success();
        out.stdout
    };
    assert!(complete("ptool ki").starts_with("kill\t"));
    assert!(complete("ptool kill -s TER").starts_with("TERM\t"));
    assert_eq!(
        complete(&format!("ptool kill {pid}")),
        format!("{pid}\trdm-fish\n")
    );
    assert_eq!(
        complete(&format!("ptool ls -P {pid}")),
        format!("{pid}\trdm-fish\n")
    );
    assert_eq!(
        complete(&format!("ptool ls --sid={pid}")),
        format!("--sid={pid}\trdm-fish\n")
    );
    assert!(!complete(&format!("ptool ls -n {pid}")).contains("rdm-fish"));
}

#[test]
fn elvish_and_powershell_scripts_are_produced() {
    let out = ptool(["completions", "elvish"]);
    out.success();
    assert!(
        out.stdout
            .contains("set edit:completion:arg-completer[ptool]")
    );
    assert!(out.stdout.contains("cand kill "));
    let out = ptool(["completions", "powershell"]);
    out.success();
    assert!(
        out.stdout
            .contains("Register-ArgumentCompleter -Native -CommandName 'ptool'")
    );
    ptool(["completions", "tcsh"]).usage_error();
    ptool(["completions"]).expect_code(2);
}

#[test]
fn json_and_quiet_apply_to_scripts_and_pages() {
    let script = ptool(["completions", "fish", "--json"]);
    script.success();
    let j = script.json();
    assert_eq!(j["shell"], "fish");
    assert_eq!(
        j["script"].as_str(),
        Some(ptool(["completions", "fish"]).stdout.as_str())
    );
    let page = ptool(["man", "pstree", "--json"]).json();
    assert_eq!(
        (&page["page"], &page["section"]),
        (&"ptool-tree".into(), &1.into())
    );
    assert_eq!(
        page["roff"].as_str(),
        Some(ptool(["man", "tree"]).stdout.as_str())
    );
    for args in [&["completions", "bash", "-q"][..], &["man", "kill", "-q"]] {
        let out = ptool(args);
        out.success();
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    let v = Victim::start(&marker("complete"), &["--name", "rdm-json"]);
    let pid = v.pid().to_string();
    let out = ptool([
        "complete-pids",
        "--json",
        "bash",
        "2",
        "ptool",
        "kill",
        &pid,
    ]);
    assert_eq!(
        out.json(),
        serde_json::json!([{"pid": v.pid(), "name": "rdm-json"}])
    );
    let out = ptool(["complete-pids", "-q", "bash", "2", "ptool", "kill", &pid]);
    out.success();
    assert!(out.stdout.is_empty());
}

#[test]
fn complete_pids_answers_only_for_pid_positions() {
    let v = Victim::start(&marker("complete"), &["--name", "rdm-pids"]);
    let pid = v.pid().to_string();
    let out = ptool(["complete-pids", "fish", "2", "ptool", "kill", &pid]);
    out.success();
    assert_eq!(out.stdout, format!("{pid}\trdm-pids\n"));
    // Not a PID: nothing, and exit 1 so that the script falls back.
    let out = ptool(["complete-pids", "fish", "2", "ptool", "spawn", &pid]);
    out.expect_code(1);
    assert!(out.stdout.is_empty());
    // A PID position where nothing matches: no candidates, but exit 0.
    let out = ptool(["complete-pids", "zsh", "2", "ptool", "kill", "x"]);
    out.success();
    assert!(out.stdout.is_empty());
    // Names are escaped: a process cannot break the shell's lines.
    let evil = Victim::start(&marker("complete"), &["--name", "a\tb\nc"]);
    let out = ptool([
        "complete-pids",
        "fish",
        "2",
        "ptool",
        "info",
        &evil.pid().to_string(),
    ]);
    out.success();
    assert_eq!(out.stdout, format!("{}\ta\\tb\\nc\n", evil.pid()));
    // Hidden: not offered by the scripts, not in --help.
    assert!(!ptool(["--help"]).stdout.contains("complete-pids"));
    let bash = ptool(["completions", "bash"]).stdout;
    let offered: Vec<&str> = bash
        .lines()
        .filter(|l| l.trim_start().starts_with("opts="))
        .collect();
    assert!(
        offered.iter().all(|l| !l.contains("complete-pids")),
        "{offered:?}"
    );
}

/// The sections every man page of ptool has.
pub const MAN_SECTIONS: [&str; 6] = [
    "NAME",
    "SYNOPSIS",
    "EXIT STATUS",
    "ENVIRONMENT",
    "EXAMPLES",
    "SEE ALSO",
];

#[test]
fn every_subcommand_has_a_man_page() {
    let pages = ptool::testing::page_names();
    assert!(pages.len() >= 10, "{pages:?}");
    let render = have_tool("man");
    for page in std::iter::once(None).chain(pages.iter().map(Some)) {
        let args: Vec<&str> = std::iter::once("man")
            .chain(page.map(String::as_str))
            .collect();
        let out = ptool(&args);
        out.success();
        let title = match page {
            Some(p) => format!("ptool-{p}"),
            None => "ptool".to_string(),
        };
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            out.stdout
                .contains(&format!("\n.TH {title} 1  \"ptool {version}\"")),
            "{page:?}: {}",
            &out.stdout[..120]
        );
        for section in MAN_SECTIONS {
            assert!(out.stdout.contains(section), "{page:?} has no {section}");
        }
        if render {
            let mut cmd = Command::new("man");
            cmd.args(["-l", "-"])
                .env("MANWIDTH", "80")
                .env("MANPAGER", "cat");
            let shown = run(cmd, Some(out.stdout.as_bytes()), BOUND);
            shown.success();
            assert!(
                shown.stdout.contains("EXIT STATUS"),
                "{page:?}: {}",
                shown.stdout
            );
        }
    }
    let fork = ptool(["man", "fork"]).stdout;
    assert!(
        fork.contains("PTOOL_JOB") && fork.contains("PTOOL_SLOT") && !fork.contains("PTOOL_INDEX")
    );
    assert!(ptool(["man", "spawn"]).stdout.contains("PTOOL_INDEX"));
    let main = ptool(["man"]).stdout;
    for var in ["NO_COLOR", "PTOOL_INDEX", "PTOOL_JOB", "PTOOL_SLOT"] {
        assert!(main.contains(var), "ptool(1) does not mention {var}");
    }
    // Aliases name the same page; unknown pages are usage errors.
    assert_eq!(
        ptool(["man", "pstree"]).stdout,
        ptool(["man", "tree"]).stdout
    );
    ptool(["man", "nope"]).usage_error();
    ptool(["man", "complete-pids"]).usage_error();
}

#[test]
fn man_dir_writes_every_page() {
    let dir = TempDir::new("man-dir");
    let target = dir.path("share/man/man1");
    let out = ptool(["man", "--dir", target.to_str().unwrap()]);
    out.success();
    let listed: Vec<String> = out.stdout.lines().map(String::from).collect();
    let mut want: Vec<String> = ptool::testing::page_names()
        .iter()
        .map(|p| format!("ptool-{p}.1"))
        .collect();
    want.push("ptool.1".to_string());
    want.sort();
    let mut got: Vec<String> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    got.sort();
    assert_eq!(got, want);
    let mut listed_names: Vec<String> = listed
        .iter()
        .map(|p| p.rsplit('/').next().unwrap().to_string())
        .collect();
    listed_names.sort();
    assert_eq!(listed_names, want, "it lists what it wrote");
    assert!(
        ptool(["man", "-q", "--dir", target.to_str().unwrap()])
            .stdout
            .is_empty()
    );
    assert_eq!(
        ptool(["man", "--json", "--dir", target.to_str().unwrap()])
            .json()
            .as_array()
            .map(Vec::len),
        Some(want.len())
    );
    assert_eq!(
        std::fs::read_to_string(target.join("ptool-kill.1")).unwrap(),
        ptool(["man", "kill"]).stdout
    );
    // A file where the directory should be: one line, not a panic.
    let file = dir.file("plain", b"");
    let out = ptool(["man", "--dir", &format!("{file}/man1")]);
    out.expect_code(125);
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    ptool(["man", "kill", "--dir", target.to_str().unwrap()]).usage_error();
}

/// An interactive shell in tmux, set up by `setup`, with ptool on `PATH`.
fn interactive(shell_command: &str, setup: &str) -> Option<Tmux> {
    let m = marker("complete-tty");
    let command = format!(
        "env -i PATH='{}' HOME='{}' TERM=xterm LC_ALL=C.UTF-8 {shell_command}",
        path(),
        std::env::temp_dir().display()
    );
    let tmux = Tmux::start(&m, &command)?;
    tmux.literal(setup);
    tmux.keys(&["Enter"]);
    tmux.wait_for("the prompt", |s| s.lines().any(|l| l == "ready$"));
    Some(tmux)
}

/// Two victims whose PIDs share all but at most their last two digits,
/// and that prefix (so that few other PIDs match it).
fn two_named(name: &str) -> (Victim, Victim, String) {
    for _ in 0..20 {
        let a = Victim::start(&marker("complete"), &["--name", name]);
        let b = Victim::start(&marker("complete"), &["--name", name]);
        let (pa, pb) = (a.pid().to_string(), b.pid().to_string());
        let common = pa
            .chars()
            .zip(pb.chars())
            .take_while(|(x, y)| x == y)
            .map(|(x, _)| x)
            .collect::<String>();
        if pa.len() == pb.len() && common.len() + 2 >= pa.len() && !prefix_of_another(&pa) {
            return (a, b, common);
        }
    }
    panic!("no two victims in a row got PIDs this close");
}

/// One match: a TAB after the whole of `pid` completes it, a space after
/// it (tmux shows no trailing spaces: an X typed after the TAB shows it);
/// the line is cleared again.
fn completes_the_one_pid(tmux: &Tmux, pid: i32) {
    tmux.literal(&format!("ptool kill {pid}"));
    tmux.keys(&["Tab"]);
    tmux.literal("X");
    tmux.wait_for("the PID completed", |s| {
        s.contains(&format!("$ ptool kill {pid} X"))
    });
    tmux.keys(&["C-u"]);
}

/// Whether some other process's PID starts with `pid` (327 and 32743):
/// then a TAB after the whole of `pid` lists both instead of completing.
fn prefix_of_another(pid: &str) -> bool {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .any(|name| {
            name != pid && name.starts_with(pid) && name.bytes().all(|b| b.is_ascii_digit())
        })
}

#[test]
fn bash_completes_pids_on_tab_in_a_terminal() {
    let dir = TempDir::new("complete-bash-tty");
    let file = script(&dir, "bash");
    let setup = format!(
        "source {file}; bind 'set completion-query-items 10000'; bind 'set page-completions off'; PS1='$ '; echo ready$"
    );
    let Some(tmux) = interactive("bash --norc --noprofile", &setup) else {
        return;
    };
    let (a, b, common) = two_named("rdm-bash-tab");
    completes_the_one_pid(&tmux, a.pid());
    // Several: listed with their names, the common prefix inserted.
    tmux.literal(&format!("ptool signal HUP {common}"));
    tmux.keys(&["Tab", "Tab"]);
    let screen = tmux.wait_for("the listed PIDs", |s| {
        s.contains(&format!("{} (rdm-bash-tab)", a.pid()))
            && s.contains(&format!("{} (rdm-bash-tab)", b.pid()))
    });
    assert!(
        screen.contains(&format!("$ ptool signal HUP {common}")),
        "{screen}"
    );
    tmux.keys(&["C-u"]);
    // Elsewhere the static completion answers.
    tmux.literal("ptool ki");
    tmux.keys(&["Tab"]);
    tmux.literal("X");
    tmux.wait_for("the subcommand", |s| s.contains("$ ptool kill X"));
}

#[test]
fn zsh_completes_pids_on_tab_in_a_terminal() {
    if !have_tool("zsh") {
        return;
    }
    let dir = TempDir::new("complete-zsh-tty");
    let file = script(&dir, "zsh");
    std::fs::rename(&file, dir.path("_ptool")).unwrap();
    let setup = format!(
        "fpath=({d} $fpath); autoload -Uz compinit; compinit -u -d {d}/dump; LISTMAX=10000; PS1='$ '; echo ready$",
        d = dir.dir().display()
    );
    let Some(tmux) = interactive("zsh -f", &setup) else {
        return;
    };
    let (a, b, common) = two_named("rdm-zsh-tab");
    completes_the_one_pid(&tmux, a.pid());
    tmux.literal(&format!("ptool ls -P {common}"));
    tmux.keys(&["Tab"]);
    let screen = tmux.wait_for("the listed PIDs", |s| {
        let shown = |pid: i32| {
            s.lines()
                .any(|l| l.contains(&pid.to_string()) && l.contains("rdm-zsh-tab"))
        };
        shown(a.pid()) && shown(b.pid())
    });
    assert!(screen.contains("-- rdm-zsh-tab"), "{screen}");
    tmux.keys(&["C-u"]);
    tmux.literal("ptool kill -s TER");
    tmux.keys(&["Tab"]);
    tmux.literal("X");
    tmux.wait_for("the signal name", |s| s.contains("$ ptool kill -s TERM X"));
}
