//! GNU parallel's own test suite, translated case by case into
//! differential tests of `ptool fork`.
//!
//! Each row is named after the function it comes from in parallel's
//! `testsuite/tests-to-run/parallel-local-{0.3s,1s,3s,10s}.sh` (a few from
//! the `-ssh*` and `-30s` files, for what ptool refuses). A row that
//! uses only what ptool supports runs the same arguments, stdin and files
//! through `parallel` and `ptool fork`, each in a fresh directory of its
//! own, and compares the exit code, stdout, whether anything reached
//! stderr, and the files left behind (`--results`; joblogs by name and
//! line count, since they hold times). Rows made with [`Case::diverges`]
//! are where ptool deliberately does something else (the README's fork
//! section says why): for those, ptool's own output is checked. A function
//! that uses something ptool refuses (remote hosts, `{= perl =}`, `--tee`,
//! `-L`, ...) is in [`refused_cases`]: ptool must exit 255 with one line on
//! stderr before any job starts.
//!
//! The suite's `<(seq A B)` become files named `seqA-B`, made in each
//! directory; sleeps are cut to tenths of a second; lines that sort
//! parallel's output use `-k` instead; the suite's `-q` (parallel's
//! `--quote`) is `--quote`, since `-q` is ptool's `--quiet`. A case whose
//! output depends on timing is kept only where its outcome does not
//! (`--timeout`, `--retries`, `--halt` with wide margins; interleaved
//! `--line-buffer` output compared word by word).
//!
//! Every function of the four files is accounted for, by name: a row in
//! a `suite_*` test (translated; the parts that use a refused option are
//! then in [`REFUSED`] too), a row in [`REFUSED`] only, or a line in
//! [`NOT_TRANSLATED`] saying why not. By file (functions: translated /
//! refused only / not applicable): 0.3s 127: 55 / 57 / 15; 1s 50: 22 / 26 /
//! 2; 3s 45: 20 / 13 / 12; 10s 38: 13 / 23 / 2.

use std::path::Path;
use std::time::Duration;

use crate::fork::{gnu_parallel, parallel_cmd, ptool_fork_cmd};
use crate::support::*;

/// One translated case: command lines run one after the other in the same
/// directory, so that a joblog or results carry over.
#[derive(Debug, Clone)]
struct Case {
    /// The suite function it comes from.
    name: &'static str,
    runs: Vec<&'static [&'static str]>,
    /// Fed to each run's stdin (none: /dev/null).
    stdin: Option<&'static [u8]>,
    /// Whether parallel and ptool must agree on stderr being empty.
    stderr: bool,
    /// Compare stdout's words, in any order and whatever the line breaks:
    /// `-X` and `-m` fill command lines up to a limit that each tool
    /// reckons its own way (parallel also subtracts its environment).
    words: bool,
    /// Where ptool deliberately differs: why, and its own exit code and
    /// stdout (of the last run).
    ours: Option<(&'static str, i32, &'static str)>,
}

/// A case of one command line.
fn c(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        runs: vec![args],
        stdin: None,
        stderr: true,
        words: false,
        ours: None,
    }
}

/// A case of several command lines, run in order in one directory.
fn cs(name: &'static str, runs: &[&'static [&'static str]]) -> Case {
    Case {
        runs: runs.to_vec(),
        ..c(name, &[])
    }
}

impl Case {
    fn stdin(self, input: &'static [u8]) -> Case {
        Case {
            stdin: Some(input),
            ..self
        }
    }

    /// Compare stdout's words only (see [`Case::words`]).
    fn words(self) -> Case {
        Case {
            words: true,
            ..self
        }
    }

    /// parallel writes something to stderr that ptool does not (a
    /// warning, a progress line): compare stdout and the exit code only.
    fn quiet_stderr(self) -> Case {
        Case {
            stderr: false,
            ..self
        }
    }

    /// ptool deliberately differs here (`why`); check its own result.
    fn diverges(self, why: &'static str, code: i32, stdout: &'static str) -> Case {
        Case {
            ours: Some((why, code, stdout)),
            ..self
        }
    }
}

/// What a tool did in a case: each run's exit code, stdout and whether it
/// wrote to stderr, and the files it left.
#[derive(Debug, PartialEq)]
struct Outcome {
    runs: Vec<(i32, String, bool)>,
    files: Vec<(String, String)>,
}

/// Run `case` through one tool in a fresh directory.
fn outcome(case: &Case, parallel: bool) -> (Outcome, Vec<String>) {
    let dir = TempDir::new("fork-suite");
    for arg in case.runs.iter().flat_map(|r| r.iter()) {
        for word in arg.split(['/', ' ']) {
            if let Some((a, b)) = word
                .strip_prefix("seq")
                .and_then(|range| range.split_once('-'))
                .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)))
            {
                let text: String = (a..=b).map(|i| format!("{i}\n")).collect();
                dir.file(word, text.as_bytes());
            }
        }
    }
    let mut runs = Vec::new();
    let mut stderrs = Vec::new();
    for args in &case.runs {
        let mut cmd = if parallel {
            parallel_cmd(args)
        } else {
            ptool_fork_cmd(args)
        };
        cmd.current_dir(dir.dir());
        let out = run(cmd, case.stdin, Duration::from_secs(20));
        // On a busy machine parallel warns that starting jobs is slow:
        // that says nothing about the case.
        let said = out.stderr.lines().any(|l| {
            !(l.starts_with("parallel: Warning: Starting") || l.contains("Consider adjusting -j"))
        });
        runs.push((out.code(), out.stdout, said));
        stderrs.push(out.stderr);
    }
    let files = listing(dir.dir());
    (Outcome { runs, files }, stderrs)
}

/// Every file under `root`, with its content; a joblog (a file whose name
/// has `log` in it) by its number of lines, since it holds times.
fn listing(root: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                out.push((format!("{rel}/"), String::new()));
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if rel.contains("log") {
                out.push((rel, format!("{} lines", text.lines().count())));
            } else {
                out.push((rel, text));
            }
        }
    }
    out.sort();
    out
}

/// How many cases run at once: each spends most of its time starting
/// perl or waiting on a job, so a few at a time keep two cores busy.
const WORKERS: usize = 4;

/// Run every case through both tools, a few cases at a time; fail with
/// every disagreement.
fn check(cases: &[Case]) {
    if gnu_parallel().is_none() {
        return;
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let wrong = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    if let Some(why) = verdict(case) {
                        wrong.lock().unwrap().push((i, why));
                    }
                }
            });
        }
    });
    let mut wrong = wrong.into_inner().unwrap();
    wrong.sort();
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ from GNU parallel:\n{}",
        wrong.len(),
        cases.len(),
        wrong
            .into_iter()
            .map(|(_, why)| why)
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// What is wrong with ptool in `case`, if anything.
fn verdict(case: &Case) -> Option<String> {
    let (ours, our_err) = outcome(case, false);
    if let Some((why, code, stdout)) = case.ours {
        let last = ours.runs.last().unwrap();
        return ((last.0, last.1.as_str()) != (code, stdout)).then(|| {
            format!(
                "{} ({why}): ptool gave {last:?}, expected ({code}, {stdout:?}); stderr {our_err:?}",
                case.name
            )
        });
    }
    let (theirs, their_err) = outcome(case, true);
    let strip = |o: &Outcome| -> Vec<(i32, String, bool)> {
        o.runs
            .iter()
            .map(|(code, out, err)| {
                let out = if case.words {
                    let mut words: Vec<&str> = out.split_whitespace().collect();
                    words.sort_unstable();
                    words.join(" ")
                } else {
                    out.clone()
                };
                (*code, out, *err && case.stderr)
            })
            .collect()
    };
    if strip(&ours) == strip(&theirs) && ours.files == theirs.files {
        return None;
    }
    let text = format!(
        "{} {:?}\n  ptool:    {:?} {:?}\n  parallel: {:?} {:?}\n  ptool stderr: {our_err:?}\n  parallel stderr: {their_err:?}",
        case.name, case.runs, ours.runs, ours.files, theirs.runs, theirs.files
    );
    // Long outputs: enough to see where they part.
    Some(match text.char_indices().nth(1500) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    })
}

const SEQ10: &[u8] = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n";
const SEQ19: &[u8] = b"1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n";
const LINES_112: &[u8] = b"line 1\nline 1\nline 2\n";
const LINES_123: &[u8] = b"line 1\nline 2\nline 3\n";
const PATHS: &[&str] = &[":::", "/a/b.c", "a/b.c", "b.c", "/a/b", "a/b", "b"];

/// `seq A B`, with `suffix` after each number, as stdin.
fn numbers(a: u32, b: u32, suffix: &str) -> &'static [u8] {
    (a..=b)
        .map(|i| format!("{i}{suffix}\n"))
        .collect::<String>()
        .leak()
        .as_bytes()
}

/// Input sources, delimiters and their combinations.
#[test]
#[rustfmt::skip]
fn suite_input_sources() {
    let why_d = "-d and -0 split stdin and files; the words after ::: stay whole (README)";
    check(&[
        c("par_minimal", &["-k", "echo", ":::", "It", "works"]),
        c("par_empty", &["echo", ":::", "true"]),
        c("par_echo_jobseq", &["-k", "echo", "{#}", ":::", "1", "2", ":::", "1", "2"]),
        c("par_argfile", &["-k", "-a", "seq1-10", "echo"]),
        c("par_argfile", &["-k", "--arg-file", "seq1-10", "echo"]),
        c("par_delimiter", &["-k", "-d", "N", "echo", "This", "is"]).stdin(b"line 1Nline 2Nline 3\n"),
        c("par_delimiter", &["-k", "--delimiter", "N", "echo", "This", "is"]).stdin(b"line 1Nline 2Nline 3\n"),
        c("par_delimiter", &["-k", "-d", "\\0", "echo"]).stdin(b"delimiter NUL line 1\0line 2\0line 3"),
        c("par_delimiter", &["-k", "--delimiter", "\\t", "echo"]).stdin(b"delimiter TAB line 1\tline 2\tline 3"),
        c("par_delimiter_space", &["-k", "-d", " ", "echo", ":::", "1 done"]).diverges(why_d, 0, "1 done\n"),
        c("par_test_delimiter", &["-k", "--load", "100000", "-d", ":", "echo", ":::", "a:b:c"]).diverges(why_d, 0, "a:b:c\n"),
        c("par_0_no_newline", &["echo"]).stdin(b"0"),
        c("par_read_from_stdin", &["echo", "empty", "input", "line"]).stdin(b"\n"),
        c("par_read_from_stdin", &["-k", "echo"]).stdin(b"a 1\nb 1\na 2\nb 2\n"),
        c("par_empty_input_on_stdin", &["--shuf", "echo"]).stdin(b""),
        c("par_xargs_nul_char_in_input", &["echo"]).stdin(b"foo\0not printed").diverges(
            "an input holding a NUL cannot be an argument: that job fails (parallel rewrites the NUL as \\0)",
            1,
            "",
        ),
        c("par_crnl", &["-k", "sleep 0.01; echo {}a"]).stdin(b"b\r\nc\r\nd\r\n").quiet_stderr(),
        c("par_crnl", &["-k", "echo", "{}a"]).stdin(b"b\r\nc\nd\r\n"),
        c("par_tricolonplus", &["-k", "echo", ":::", "11", "22", "33", "::::+", "seq1-3", "seq21-23", ":::", "a", "b", "c", ":::+", "aa", "bb", "cc"]),
        c("par_tricolonplus", &["-k", "echo", "::::", "seq1-3", "seq21-23", ":::+", "a", "b", "c", ":::", "aa", "bb", "cc"]),
        c("par_tricolonplus", &["-k", "echo", "::::", "seq1-3", "::::", "seq21-23", ":::+", "a", "b", "c", ":::", "aa", "bb", "cc"]),
        c("par_link_files_as_only_arg", &["-k", "echo", "::::+", "seq1-10", "seq1-3", "seq1-4"]),
        c("par_xapply", &["-k", "echo", ":::", "a", "b", "c", "aWRAP", ":::+", "aa", "bb", "cc", ":::", "A", "B", ":::+", "AA", "BB", "AAwrap"]),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "echo", "{1}", "{2}", "{3}", "::::", "seq6-7", ":::", "4", "5", ":::", "1", "2", "3"]),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "echo", "{1}", "{2}", "{3}", "::::", "seq6-7", "seq4-5", "::::", "seq1-3"]),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "-a", "seq6-7", "echo", "{1}", "{2}", "{3}", "::::", "seq4-5", "::::", "seq1-3"]),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "-a", "seq6-7", "-a", "seq4-5", "echo", "{1}", "{2}", "{3}", ":::", "1", "2", "3"]),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "-a", "-", "-a", "seq4-5", "echo", "{1}", "{2}", "{3}", ":::", "1", "2", "3"]).stdin(b"6\n7\n"),
        c("par__mix_triple_colon_with_quad_colon", &["-k", "echo", "{1}", "{2}", "{3}", "::::", "seq6-7", "-", ":::", "1", "2", "3"]).stdin(b"4\n5\n"),
        c("par__argfile_plus", &["-k", "-a", "seq1-3", "-a", "seq4-6", "-a", "seq7-9", "echo"]),
        c("par__argfile_plus", &["-k", "echo", "::::", "seq1-3", "seq4-6", "seq7-9"]),
        c("par__arg_sep", &["-k", "echo", ":::", "a", "b"]),
        c("par_test_job_number", &["-k", "echo", "{#}"]).stdin(SEQ10),
        c("par_blocking_redir", &["seq"]).stdin(b"3\n"),
        c("par_blocking_redir", &["ls"]).stdin(b"nOfilE\n"),
    ]);
}

/// Replacement strings, positional and with modifiers, and -I.
#[test]
#[rustfmt::skip]
fn suite_replacement_strings() {
    let utf8 = "中国 (Zhōngguó)/China's (中国) road.jpg\n中国.(中国)\n/tmp/test-of-{.}-parallel/subdir/file\n/tmp/test-of-{.}-parallel/subdir/file{.}.funkyextension}}\n";
    let a = "X".repeat(3000);
    let long_tsv: &'static [u8] = ["a", "b", "c"]
        .iter()
        .map(|x| format!("{x}\t{a}\t{x}/{a}.{a}\t{a}/{x}.{a}\t{a}/{a}.{x}\n"))
        .collect::<String>()
        .leak()
        .as_bytes();
    let mut cases = vec![
        c("par_replacement_string_on_utf8", &["-k", "echo", "{}", "{.}"]).stdin(utf8.as_bytes()),
        c("par_negative_replacement", &["-N", "6", "echo", "{-1}orrect", ":::", "A", "B", "X", "D", "E", "c"]),
        c("par_negative_replacement", &["--colsep", " ", "echo", "{-3}orrect", ":::", "1 c 3 4"]),
        c("par_negative_replacement", &["--colsep", " ", "echo {2} + {4} = {2} + {-1}= $(( {2} + {-1} ))", ":::", "1 2 3 4"]),
        c("par_replace_replacementstring", &["-k", "-N0", "echo", "replace", "{}", "curlies"]).stdin(b"1\n2\n"),
        c("par_arguments_on_cmdline", &["-k", "-N0", "echo", "args", "on", "cmdline", ":::", "1", "2"]),
        c("par_test_zero_args", &["-k", "-n0", "echo", "n0"]).stdin(b"1\n2\n"),
        c("par_test_zero_args", &["-k", "-N0", "echo", "N0"]).stdin(b"1\n2\n"),
        c("par_test_L_context_replace", &["-k", "-N", "10", "echo", "a{}b"]).stdin(SEQ19),
        c("par_quote", &["-k", "--quote", "echo", "{#}", ":::", "a", "b"]),
        c("par_quote", &["-k", "--quote", "perl", "-e", "$ARGV[0]=~/^\\S+\\s+\\S+$/ and print $ARGV[0],\"\\n\"", ":::", "a b", "c", "d e f", "g", "h i"]),
        c("par_expansion_in_colsep", &["--colsep", ",", "echo", "{1}{3}{2}"]).stdin(b"A,B,,\n"),
        c("par_colsep_0", &["--colsep", "0", "echo", "{2}", ":::", "a0OK0c"]),
        c("par_colsep_0", &["--header", ":", "--colsep", "0", "echo", "{ok}", ":::", "A0ok0B", "a0OK0b"]),
        c("par_colsep_default", &["--header", ":", "echo", "{B}", "{A}"]).stdin(b"A\tB\n1\tone"),
        c("par_cr_newline_header", &["--colsep", ",", "--header", ":", "echo", "{foo}"]).stdin(b"foo\r\nbar\r\n").diverges(
            "a value keeps its bytes, a DOS line end's \\r too (parallel drops it when --colsep is given, not otherwise); the header's names lose it",
            0,
            "bar\r\n",
        ),
        c("par_cr_newline_header", &["--header", ":", "echo", "{foo}"]).stdin(b"foo\r\nbar\r\n"),
        c("par_compute_command_len", &["-k", "-N2", "echo", "{1}", "{2}"]).stdin(b"1\n2\n"),
        c("par_compute_command_len", &["-k", "-C", "%+", "echo", "{4}", ":::", "a% c %%b"]),
        c("par_compute_command_len", &["-k", "-C", "%+", "echo \"{1}_{3}_{2}_{4}\"", ":::", "a% c %%b", "a%c% b %d"]).diverges(
            "inside double quotes, ptool's single quotes around an input show (parallel's backslashes do too, elsewhere): put replacement strings outside quotes",
            0,
            "a_b_' c '_\na_' b '_c_d\n",
        ),
        c("par__format_string", &["echo", "{:%.3f}", ":::", "12.34567"]),
        c("par_colsep", &["--colsep", "%", "echo", "{1}", "{3}", "{2}"]).stdin(b"a%c%b\n"),
        c("par_colsep", &["-k", "--colsep", "%", "echo", "{1}", "{3}", "{2}", "{4}"]).stdin(b"a%c%b\na%c%b%d\n"),
        c("par_colsep", &["-k", "--colsep", "%", "echo", "{1}", "{3}", "{2}", ":::", "a%c%b", "d%f%e"]),
        c("par_colsep", &["-k", "--colsep", "%", "echo", "{1}", "{3}", "{2}", "{4}", ":::", "a%c%b", "a%c%b%d"]),
        c("par_colsep", &["-k", "--colsep", "\\t", "echo", "{2}", "{1}"]).stdin(b"def\tabc\njkl\tghi"),
        c("par_colsep", &["-k", "-a", "-", "--colsep", "\\t", "echo", "{2}", "{1}"]).stdin(b"def\tabc\njkl\tghi"),
        c("par_colsep", &["--colsep", "%", "echo {2} {1}", ":::", ">/dev/null%>/tmp/null"]),
        c("par_colsep", &["-k", "--colsep", "%+", "echo", "{1}", "{3}", "{2}", "{4}"]).stdin(b"a%c%%b\na%c%b%d\n"),
        c("par_colsep", &["-k", "--colsep", "%+", "echo", "{1}", "{3}", "{2}", "{4}", ":::", "a%c%%b", "a%c%b%d"]),
        c("par_colsep", &["-k", "--colsep", "b", "echo", "{1}{2}"]).stdin(b"\nabcbdbebf\nabc\n"),
        c("par_header", &["--header", ":", "echo", "{a}", "{b}", "{1}", "{2}", ":::", "b", "b1", ":::", "a", "a2"]),
        c("par_header_parens", &["--header", ":", "echo", "{var/.}", ":::", "var", "sub/dir/file.ext"]),
        c("par_header_parens", &["--header", ":", "echo", "{var//}", ":::", "var", "sub/dir/file.ext"]),
        c("par_header_parens", &["--header", ":", "echo", "{var/}", ":::", "var", "sub/dir/file.ext"]),
        c("par_header_parens", &["--header", ":", "echo", "{var.}", ":::", "var", "sub/dir/file.ext"]),
        c("par_replacement_string_as_part_of_command", &["l{}"]).stdin(b"s /bin/ls\n").diverges(
            "an input is always quoted: `l{}` runs the program 'ls /bin/ls' (parallel leaves a replacement in the command name unquoted)",
            1,
            "",
        ),
        c("par_replacement_string_as_part_of_command", &["ls", "{}"]).stdin(b"/bin/ls\n"),
        c("par_replacement_string_as_part_of_command", &["{}"]).stdin(b"ls /bin/ls\n").diverges(
            "an input is always quoted: the command `{}` runs the program 'ls /bin/ls'; with no command, each input is a command line",
            1,
            "",
        ),
        c("par_replacement_string_as_part_of_command", &[]).stdin(b"ls /bin/ls\n"),
        c("par_newline_in_command", &["\n      echo {1\n      } {2}\n    ", ":::", "O", ":::", "K"]).diverges(
            "a replacement string has no blanks inside its braces",
            1,
            "{1\n",
        ),
        c("par_long_input", &["-k", "--colsep", "\\t", "echo", "{1}", "{3//}", "{4/.}"]).stdin(long_tsv),
        c("par_long_input", &["-k", "--colsep", "\\t", "echo", "{-5}", "{-3//}", "{-2/.}"]).stdin(long_tsv),
        c("par_testquote", &["-0", "echo"]).stdin(b"\"#&/\n()*=?'"),
        c("par_japanese_chars_in_replacement_string", &["-k", "echo", ":::", "\u{fffd}<\u{fffd}>", "\u{fffd}<1 $_=2\u{fffd}>", "ワ"]),
        c("par_japanese_chars_in_replacement_string", &["-k", "echo", "{1}", ":::", "\u{fffd}<\u{fffd}>", "\u{fffd}<1 $_=2\u{fffd}>", "ワ"]),
        c("par_japanese_chars_in_replacement_string", &["-Xj1", "echo", ":::", "\u{fffd}<\u{fffd}>", "\u{fffd}<1 $_=2\u{fffd}>", "ワ"]),
        c("par_japanese_chars_in_replacement_string", &["-Xj1", "echo", "{1}", ":::", "\u{fffd}<\u{fffd}>", "\u{fffd}<1 $_=2\u{fffd}>", "ワ"]),
        c("par__test_XI_mI", &["-k", "-I", "::", "echo", "{}", "::"]).stdin(b"1\n2\n3\n"),
        c("par__test_XI_mI", &["-j1", "-X", "-k", "-I", "::", "echo", "a{}", "b::"]).stdin(b"1\n2\n3\n"),
        c("par__test_XI_mI", &["-j1", "-m", "-k", "-I", "::", "echo", "a{}", "b::"]).stdin(b"1\n2\n3\n"),
        cs("par_-q_perl_program", &[
            &[":::", "printf 'flyp\\n_PRE 8\\nhatchname> 8\\n' > a", "printf 'flyp\\n_PRE 9\\nhatchname> 8\\n' > b", "printf 'flyp\\n_PRE 19\\nhatchname> 19\\n' > c", "printf 'flyp\\n_PRE 19\\nhatchname> 9\\n' > d"],
            &["-k", "--quote", "perl", "-ne", "/_PRE (\\d+)/ and $p=$1; /hatchname> (\\d+)/ and $1!=$p and print $ARGV,\"\\n\""],
        ]).stdin(b"a\nb\nc\nd\n"),
        c("par_long_cmd_mem_use", &["-j0", "--quote", "perl", "-e", "$r=rand(shift); for($f = 0; $f < $r; $f++){ $a = \"a\"x100 } print shift,\"\\n\"", "10000"]).stdin(numbers(1, 20, "")).words(),
    ];
    for paths in [
        &["/a", "/a/b", "/a/b/c"][..],
        &["a", "a/b", "a/b/c"],
        &["./a", "./a/b", "./a/b/c"],
        &["a.jpg", "a/b.jpg", "a/b/c.jpg"],
        &["/a.jpg", "/a/b.jpg", "/a/b/c.jpg"],
        &["./a.jpg", "./a/b.jpg", "./a/b/c.jpg"],
    ] {
        for rpl in ["{//}", "{1//}"] {
            let mut args = vec!["-k", "echo", rpl, "{}", ":::"];
            args.extend(paths);
            cases.push(c("par_replacement_slashslash", args.leak()));
        }
    }
    for rpl in ["{/}", "{/.}", "{2/.}", "{2/}", "{2.}"] {
        let mut args = vec!["-j1", "-k", "-X", "echo", rpl];
        args.extend(PATHS);
        cases.push(c("par_replacement_strings", args.leak()));
    }
    check(&cases);
}

/// -X, -m, -n, -N and -s: inputs per job and command-line length.
#[test]
#[rustfmt::skip]
fn suite_inputs_per_job() {
    let gifs = numbers(1, 15, ".gif");
    let gifs6 = numbers(1, 6, ".gif");
    let gifs10000 = numbers(1, 10000, ".gif");
    let seq10000 = numbers(1, 10000, "");
    const FOURTEEN: &str = "echo {} {} {} {} {} {} {} {} {} {} {} {} {} {}";
    let mut cases = vec![
        c("par_negative_replacement", &["-X", "-j1", "-N", "6", "echo", "{-1}orrec{1}", ":::", "t", "B", "X", "D", "E", "c"]),
        c("par_rpl_repeats", &["-j1", "-s", "80", "-kX", "echo", "a{}b{.}c{.}"]).stdin(gifs),
        c("par_rpl_repeats", &["-j1", "-s", "80", "-km", "echo", "a{}b{.}c{.}"]).stdin(gifs).words(),
        c("par_regexp_chars_in_template", &["-j1", "-I", "::", "-X", "echo", "a::b::^c::[.}c"]).stdin(b"1\n2\n3\n4\n5\n6\n"),
        c("par_maxchar_s", &["-k", "--max-chars", "25", "-X", "echo"]).stdin(LINES_112),
        c("par_maxchar_s", &["-k", "-s", "25", "-X", "echo"]).stdin(LINES_112),
        c("par_xapply", &["-N2", "echo {%}", ":::", "a", "b"]),
        c("par__quote_bugs", &["-X", "-j1", "echo", ":::", ">", "2"]),
        c("par_test_m_X", &["-j1", "-km", "echo", "1{}2{.}3", "A{.}B{.}C"]).stdin(b"foo\nbar\njoe.gif\n"),
        c("par_test_m_X", &["-j1", "-kX", "echo", "1{}2{.}3", "A{.}B{.}C"]).stdin(b"foo\nbar\njoe.gif\n"),
        c("par_test_m_X", &["-j1", "-km", "echo", "a{}b{.}c{.}"]).stdin(gifs6),
        c("par_test_m_X", &["-j1", "-kX", "echo", "a{}b{.}c{.}"]).stdin(gifs6),
        c("par_test_m_X", &["--quote", "-X", "echo", "'{.}' "]).stdin(b"a\n"),
        c("par_test_m_X", &["--quote", "-X", "echo", "'{.}'"]).stdin(b"a\n"),
        // The suite counts the lines of `wc`: each tool fills lines its own way.
        c("par_too_long_line_X", &["-kXj1", FOURTEEN]).stdin(numbers(1, 3850, "")).words(),
        c("par__10000_5_rpl_X", &["-j1", "-kX", "echo", "a{}b{.}c{.}{.}{}"]).stdin(gifs10000).words(),
        c("par__10000_5_rpl_X", &["-j1", "-kX", "echo", "a{}b{.}c"]).stdin(gifs10000).words(),
        c("par_X_I_meta", &["-j1", "-I", "::", "-X", "echo", "a::b::c::"]).stdin(seq10000).words(),
        c("par_X_I_meta", &["-j1", "-I", "<>", "-X", "echo", "a<>b<>c<>"]).stdin(seq10000).words(),
        c("par__I_X_m", &["-j1", "-X", "-k", "-I", "::", "echo", "a4", "b::"]).stdin(b"1\n2\n3\n4\n"),
        c("par__I_X_m", &["-j1", "-m", "-k", "-I", "::", "echo", "a4", "b::"]).stdin(b"1\n2\n3\n4\n"),
        c("par_distribute_args_at_EOF", &["-j2", "-kX", "-s", "100", "echo"]).stdin(numbers(1, 92, "")).words(),
        c("par_distribute_args_at_EOF", &["-j5", "-kX", "-s", "100", "echo"]).stdin(numbers(1, 92, "")).words(),
        c("par_distribute_args_at_EOF", &["-N", "10", "echo"]).stdin(b"1\n2\n3\n4\n5\n6\n7\n8\n9\n"),
        c("par_distribute_args_at_EOF", &["-k", "-N", "10", "echo"]).stdin(SEQ19),
        c("par__prefix_for_L_n_N_s", &["-k", "-N", "1k", "echo {} | wc -w"]).stdin(seq10000),
        c("par__prefix_for_L_n_N_s", &["-k", "-n", "1k", "echo {} | wc -w"]).stdin(seq10000),
        c("par_test_X_with_multiple_source", &["-j1", "-kX", "echo", "{1}-{2}", ":::", "a", ":::", "b"]),
        c("par_test_X_with_multiple_source", &["-j2", "-kX", "echo", "{1}-{2}", ":::", "a", "b", ":::", "c", "d"]),
        c("par_test_X_with_multiple_source", &["-j2", "-kX", "echo", "{1}-{2}", ":::", "a", "b", "c", ":::", "d", "e", "f"]),
        c("par_test_X_with_multiple_source", &["-j1", "-kX", "echo", "{}-{.}", ":::", "a", ":::", "b"]),
        c("par_test_X_with_multiple_source", &["-j2", "-kX", "echo", "{}-{.}", ":::", "a", "b", "c", ":::", "d", "e", "f"]),
    ];
    for (flags, input) in [
        (&["-k", "-n1", "-m", "echo"][..], LINES_123),
        (&["-k", "-n2", "-m", "echo"], LINES_112),
        (&["-k", "-n1", "-X", "echo"], LINES_123),
        (&["-k", "-n2", "-X", "echo"], LINES_112),
        (&["-k", "-n1", "echo"], LINES_123),
        (&["-k", "-n2", "echo"], LINES_112),
        (&["-k", "--max-args=1", "-X", "echo"], LINES_123),
        (&["-k", "--max-args", "2", "-X", "echo"], LINES_112),
        (&["-k", "--max-args", "2", "echo"], LINES_112),
    ] {
        cases.push(c("par_maxargs", flags).stdin(input));
    }
    check(&cases);
}

/// Shell strings, commands on stdin, exit codes, --halt and -j forms.
#[test]
#[rustfmt::skip]
fn suite_commands_and_exit_codes() {
    // parallel also prints "This job failed: ..." when --halt stops it.
    check(&[
        c("par_empty_line", &["-k"]).stdin(b"echo a\n\necho b\n"),
        c("par_read_from_stdin", &["-k"]).stdin(b"echo a 1; echo b 1\necho a 2; echo b 2\n"),
        c("par_exit_val", &["--halt", "now,fail=1", "true"]).stdin(SEQ10),
        c("par_exit_val", &[]).stdin(b"true\n"),
        c("par_exit_val", &[]).stdin(b"false\n"),
        c("par_keep_order", &["-k", ":::", "sleep 0.3; echo 1", "echo 2", "echo 3", "echo 4", "echo 5"]),
        c("par_keep_order", &["-kj", "1", ":::", "sleep 0.1; echo 1", "echo 2", "echo 3"]),
        c("par__quote_bugs", &["echo"]).stdin(b">\n"),
        c("par__quote_bugs", &[":::", "echo | wc -l"]),
        c("par__quote_bugs", &["-k", ":::", "echo a b c | wc -w", "echo a b | wc -w"]),
        c("par_test_gt_quoting", &["echo"]).stdin(b">/dev/null\n"),
        c("par_maxproc", &["-k", "--max-procs", "+0", "echo", "max", "proc"]).stdin(SEQ10),
        c("par_maxproc", &["-k", "-P", "200%", "echo", "200%", "proc"]).stdin(SEQ10),
        c("par_tagstring_with_d", &["-k", "-d", "\\n\\n", "--tagstring", "{#}", "echo ABC;echo"]).stdin(b"1\n2\n3\n\n1\n2\n3\n4\n"),
        cs("par_halt_one_job", &[
            &["-j1", "--halt", "now,fail=1", "echo {#};exit {}", ":::", "0", "1", "0"],
            &["-j1", "--halt", "now,fail=1", "echo {#};exit {}", ":::", "1", "0", "1"],
            &["-j1", "--halt", "soon,fail=1", "echo {#};exit {}", ":::", "0", "1", "0"],
            &["-j1", "--halt", "soon,fail=1", "echo {#};exit {}", ":::", "1", "0", "1"],
        ]).quiet_stderr(),
        c("par_halt_on_error_division_by_zero", &["--halt", "soon,fail=100%", "echo"]),
        c("par_basic_halt", &["-j3", "--halt", "2", ":::", "sleep 0.2", "sleep 30", "false"]).quiet_stderr(),
        c("par_basic_halt", &["--halt", "error", "echo", ":::", "should", "not", "print"]).quiet_stderr(),
        c("par_basic_halt", &["--halt", "soon", "echo", ":::", "should", "not", "print"]).quiet_stderr(),
        c("par_basic_halt", &["--halt", "now", "echo", ":::", "should", "not", "print"]).quiet_stderr(),
        // Jobs 1 and 2 succeed, 3 fails: nothing more starts, delay or not.
        c("par_delay_halt_soon", &["--delay", "0.1", "-j1", "-k", "--halt", "soon,fail=1", "echo {};exit {}"]).stdin(b"0\n0\n1\n0\n0\n0\n0\n").quiet_stderr(),
        c("par_delay_human_readable", &["-k", "--delay", "0.1s", "echo", ":::", "a", "b", "c"]),
        c("par_tagstring", &["-j1", "-k", "--tagstring", "a{}b", "echo", "job{#}", ":::", "3", "4"]),
        c("par_tagstring", &["-j1", "-k", "--tagstring", "ajob{#}b", "echo", "job{#}", ":::", "3", "4"]),
        c("par_tagstring", &["-j1", "-X", "--tagstring", "a{}b", "echo", ":::", "3", "4"]),
        c("par_no_joblog_with_dryrun", &["--dryrun", "--joblog", "-", "echo", ":::", "Only_this"]),
        c("par_X_eta_div_zero", &["-X", "--eta", "echo"]).stdin(b"1\n2\n").quiet_stderr(),
        c("par_no_command_given", &["-j1", "-km", "-s", "10"]).stdin(b"echo\n1\n2\n3\n4\n5\n12\n13\n").quiet_stderr(),
    ]);
}

/// --pipe and --pipepart.
#[test]
#[rustfmt::skip]
fn suite_pipe() {
    check(&[
        c("par_pipe_float_blocksize", &["-k", "--block", "3.1", "--pipe", "wc"]).stdin(b"1\n2\n3\n4\n5\n"),
        c("par_pipe_unneeded_procs", &["-k", "-j30", "--pipe", "--block-size", "10", "cat;echo o"]).stdin(b"1\n2\n3\n"),
        c("par_pipepart_header", &["--pipepart", "-a", "seq1-10", "-k", "--block", "5", "echo foo; cat"]),
        c("par_pipepart_block_bigger_2G", &["--pipepart", "-a", "seq1-1", "--block", "3G", "wc"]),
        c("par_tagstring_pipe", &["-j4", "--pipe", "-N1000", "-k", "--tagstring", "{#}", "wc"]).stdin(numbers(1, 3000, "")),
        c("par_jobslot_jobnumber_pipe", &["--pipe", "-k", "echo", "{%}"]).stdin(b"foo\n").diverges(
            "a job that exits without reading its stdin has its own exit code (parallel counts the lost block as a failure, at random)",
            0,
            "1\n",
        ),
        c("par_jobslot_jobnumber_pipe", &["--pipe", "-k", "echo", "{#}"]).stdin(b"foo\n").diverges(
            "a job that exits without reading its stdin has its own exit code (parallel counts the lost block as a failure, at random)",
            0,
            "1\n",
        ),
        c("par_test_r_with_pipe", &["-j2", "-N1", "--pipe", "cat"]).stdin(b"\n"),
        c("par_pipe_no_command", &["--pipe"]).stdin(b"01\n02\n03\n").quiet_stderr(),
        c("par_pipepart_block", &["-j2", "-k", "--pipepart", "echo", "{#}", "::::", "seq1-1000"]).diverges(
            "--pipepart's default block is 1M, as --pipe's (parallel cuts the file into 10 blocks per job slot)",
            0,
            "1\n",
        ),
        c("par_pipepart_block", &["-j2", "-k", "--pipepart", "--block", "400", "echo", "{#}", "::::", "seq1-1000"]),
    ]);
}

/// --joblog, --resume and --results: the files each tool leaves are
/// compared as well.
#[test]
#[rustfmt::skip]
fn suite_records() {
    let arg256: &'static str = "1234567890".repeat(26).leak();
    let resume_k: &[&[&str]] = &[
        &["-k", "--resume", "--joblog", "jl.log", "echo job{}id;exit {}", ":::", "0", "1", "2", "3", "0", "5"],
        &["-k", "--resume", "--joblog", "jl.log", "echo job{}id;exit {}", ":::", "0", "1", "2", "3", "0", "5"],
        &["-k", "--resume", "--joblog", "jl.log", "echo job{}id;exit 0", ":::", "0", "1", "2", "3", "0", "5", "6", "7"],
    ];
    let null_resume: &[&[&str]] = &[
        &["--null", "--resume", "-k", "--jl", "jl.log", "echo"],
        &["--null", "--resume", "-k", "--jl", "jl.log", "echo"],
    ];
    check(&[
        cs("par_resume_k", resume_k),
        cs("par_append_joblog", &[&["--joblog", "jl.log", "echo", ":::", "1"], &["--joblog", "+jl.log", "echo", ":::", "1"]]),
        cs("par_dryrun_append_joblog", &[
            &["-k", "--jl", "jl.log", "echo", ":::", "1", "2", "3"],
            &["--dryrun", "-k", "--jl", "+jl.log", "echo", ":::", "1", "2", "3", "4"],
        ]),
        cs("par_null_resume", &[&["--resume", "-k", "--jl", "jl.log", "echo"], &["--resume", "-k", "--jl", "jl.log", "echo"]]).stdin(b"a\nb\nc\n"),
        cs("par_null_resume", null_resume).stdin(b"A\0B\0C\0"),
        // parallel ignores a command given with --retry-failed; ptool
        // refuses one, so the translation gives none.
        cs("par_multiline_commands", &[
            &["--jl", "jl.log", "--timeout", "1s", "-k", "sleep {}; echo {};\necho finish {}", ":::", "0.1", "0.2", "3"],
            &["--jl", "jl.log", "--timeout", "5s", "--retry-failed"],
        ]).quiet_stderr(),
        c("par_results", &["-k", "--results", "dir", "echo", ":::", "a", "b", "c"]),
        c("par_results_arg_256", vec!["--results", "dir", "echo", ":::", arg256].leak()),
        c("par_result", &["-k", "--results", "testA", "echo", "{1}", "{2}", ":::", "I", "II", ":::", "III", "IIII"]),
        c("par_result", &["-k", "--res", "testD", "echo", "{1}", "{2}", ":::", "I", "II", ":::", "III", "IIII"]),
        c("par_result", &["-k", "--result", "testE", "echo", "{1}", "{2}", ":::", "I", "II", ":::", "III", "IIII"]),
        c("par_result", &["-k", "--header", ":", "--results", "testB", "echo", "{1}", "{2}", ":::", "a", "I", "II", ":::", "b", "III", "IIII"]),
        c("par_result", &["-k", "--header", ":", "--results", "testC", "echo", "{a}", "{b}", ":::", "b", "III", "IIII", ":::", "a", "I", "II"]),
    ]);
}

/// Output streams, -k with slow jobs, --timeout and --retries outcomes,
/// and the progress flags (from the 3s and 10s files).
#[test]
#[rustfmt::skip]
fn suite_streams_and_timeouts() {
    let why_retries = "--retries 0 runs a job once, as when it is not given (parallel retries forever)";
    let why_long = "an input too long for a command line gets a job of its own, failing if the system refuses it, and the rest still run (parallel stops at it with 255)";
    let long_in_seq: &'static [u8] = format!("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n{}\n12\n13\n14\n15\n", "z".repeat(20)).leak().as_bytes();
    let one_mb: &'static [u8] = "z".repeat(1_000_000).leak().as_bytes();
    check(&[
        c("par_no_newline_compress", &["--pipe", "--line-buffer", "cat"]).stdin(b"O"),
        c("par_no_newline_compress", &["--tagstring", "{#}", "--pipe", "--line-buffer", "cat"]).stdin(b"O"),
        c("par_no_newline_compress", &["-k", "--pipe", "--line-buffer", "cat"]).stdin(b"O"),
        c("par_no_newline_compress", &["--line-buffer", "echo", "{}", "O", ":::", "-n"]),
        c("par_no_newline_compress", &["--tagstring", "{#}", "--line-buffer", "echo", "{}", "O", ":::", "-n"]),
        c("par_line_buffer", &["-j20", "--line-buffer", "seq {} 10"]).stdin(SEQ10).words(),
        c("par_line_buffer", &["-j20", "seq {} 10"]).stdin(SEQ10).words(),
        c("par_pipe_line_buffer", &["-N10", "--pipe", "-j20", "--tagstring", "{#}", "--line-buffer", "cat"]).stdin(numbers(1, 200, "")).words(),
        c("par_pipe_line_buffer", &["-N10", "--pipe", "-j20", "--tagstring", "{#}", "cat"]).stdin(numbers(1, 200, "")).words(),
        c("par_k_linebuffer", &["--line-buffer", "--tag", "-k", "seq {}", ":::", "3", "4", "5"]),
        c("par_k_linebuffer", &["--line-buffer", "-k", "echo stdout top;sleep 0.1;echo stderr in the middle >&2; sleep 0.1;echo stdout", ":::", "end"]),
        c("par_k", &["-k", "-j0"]).stdin(b"sleep 0.3; echo begin\nsleep 0.1; echo 1\nsleep 0.1; echo 2\nsleep 0.1; echo 3\necho end\n"),
        // The suite's second run, -j200, is left out: parallel 20221122
        // hangs in it under --load (the bug the function is about).
        c("par_load_blocks", &["-kj2", "--load", "100000%", "--recend", "\\n", "--spreadstdin", "gzip -1 | gzip -dc | sort -n | md5sum"]).stdin(numbers(1, 1000, "")),
        c("par_dryrun_timeout_ungroup", &["--dry-run", "--timeout", "1.4m", "-u", "--jobs", "10", "echo"]).stdin(numbers(1, 100, "")).words(),
        // Both kill the job's background `sleep` with it (tests/cli/fork.rs
        // checks that no grandchild is left).
        c("par_kill_children_timeout", &["--timeout", "0.5", "sleep 5 & sleep 5; echo No good", ":::", "1", "2"]).quiet_stderr(),
        c("par_retries_all_fail", &["-k", "-j0", "--retries", "2", "--timeout", "0.1", "echo {}; sleep {}; false"]).stdin(b"1\n2\n3\n").quiet_stderr(),
        c("par_retries_lb_jl", &["--lb", "--jl", "/dev/null", "--timeout", "0.3", "--retries", "3", "echo 3 lines >> out;sleep {}", ":::", "5"]).quiet_stderr(),
        c("par_retries_0", &["--retries", "0", "-u", "printf {} >> out; a=$(stat -c %s out); echo -n \" $a\"; exit $a", ":::", "a"]).diverges(why_retries, 1, " 1"),
        c("par_exitval_signal", &["ulimit -c 0; kill -6 $$", ":::", "x"]).quiet_stderr(),
        c("par__xargs_compat", &["echo"]).stdin(one_mb).diverges(why_long, 1, ""),
        c("par__xargs_compat", &["-j1", "-km", "-s", "10", "echo"]).stdin(long_in_seq).diverges(why_long, 0, "1 2\n3 4\n5 6\n7 8\n9 10\nzzzzzzzzzzzzzzzzzzzz\n12\n13\n14\n15\n"),
        c("par__xargs_compat", &["-j1", "-kX", "-s", "10", "echo"]).stdin(long_in_seq).diverges(why_long, 0, "1 2\n3 4\n5 6\n7 8\n9 10\nzzzzzzzzzzzzzzzzzzzz\n12\n13\n14\n15\n"),
        c("par__jobslot_repl", &["-kj2", "--delay", "0.1", "--bar", "sleep 0.2;echo {%}", ":::", "a", "b", ":::", "c"]).quiet_stderr(),
        c("par__jobslot_repl", &["-kj2", "--delay", "0.1", "--eta", "sleep 0.2;echo {%}", ":::", "a", "b", ":::", "c"]).quiet_stderr(),
        c("par__jobslot_repl", &["-kj2", "--delay", "0.1", "--halt", "now,fail=10%", "sleep 0.2;echo {%}", ":::", "a", "b", ":::", "c"]),
        c("par__jobslot_repl", &["-k", "--pipepart", "-a", "seq1-2000", "--block", "5k", "-j2", "--delay", "0.1", "sleep 0.2; echo {%}"]),
        c("par_delay", &["-j3", "--delay", "0.05", "true", "{}"]).stdin(b"1\n2\n3\n4\n5\n"),
        c("par_eta", &["--eta", "echo {}"]).stdin(SEQ10).words().quiet_stderr(),
        c("par_eta", &["--eta", "echo {}"]).quiet_stderr(),
        c("par_progress", &["--progress", "echo {}"]).stdin(SEQ10).words().quiet_stderr(),
        c("par_progress", &["--progress", "echo {}"]).quiet_stderr(),
        c("par_bug43654", &["--bar", "true", "{.}", ":::", "1"]).quiet_stderr(),
    ]);
}

/// The suite's functions that are neither translated nor refused, and why:
/// they test something outside `ptool fork`.
#[rustfmt::skip]
const NOT_TRANSLATED: &[(&str, &str)] = &[
    // parallel's own environment variables and configuration directory
    // (ptool reads no $PARALLEL, $PARALLEL_HOME or $PARALLEL_ENV).
    ("par_PARALLEL_ENV", "$PARALLEL_ENV, env_parallel's exported environment"),
    ("par_do_not_export_PARALLEL_ENV", "$PARALLEL_ENV, env_parallel's exported environment"),
    ("par_PARALLEL_HOME_not_exist", "$PARALLEL_HOME, parallel's configuration directory"),
    ("par_PARALLEL_HOME_with_+", "$PARALLEL_HOME, parallel's configuration directory"),
    ("par_cr_end_of_env_var", "\\r at the end of $TMPDIR, $PARALLEL_HOME and parallel's other variables"),
    // Other programs of the parallel package, other shells, bash functions.
    ("par_env_parallel_pipefail", "env_parallel"),
    ("par_env_parallel_recordenv", "env_parallel"),
    ("par_extglob", "env_parallel under bash -O extglob"),
    ("par_fish", "env_parallel under fish"),
    ("par_parset_tee", "parset"),
    ("par_parset", "parset"),
    ("par__parset2", "parset"),
    ("par__parset_assoc_arr", "parset"),
    ("par_parcat_args_stdin", "parcat"),
    ("par_parcat_rm", "parcat"),
    ("par_pipe_to_func", "an exported bash function as the command"),
    ("par_sql_colsep", "--sqlmaster and a database (--sql* is refused)"),
    ("par_help", "the line count of parallel's own --help"),
    ("par_version", "the line count of parallel's own --version"),
    ("par__test_cpu_detection_cpuinfo", "parallel's CPU detection from canned /proc/cpuinfo files"),
    ("par__test_cpu_detection_lscpu", "parallel's CPU detection from canned lscpu output"),
    ("par__test_cpu_detection_lscpu_--all_--extended", "parallel's CPU detection from canned lscpu output"),
    ("par__test_cpu_detection_topology", "parallel's CPU detection from a canned /sys topology"),
    // The machine: limits, memory, file systems.
    ("par_open_files_blocks", "running out of file handles under ulimit -n 28"),
    ("par__lb_mem_usage", "resident memory with 100 MB lines under /usr/bin/time"),
    ("par__quote_special_results", "--results on twelve file systems made with mkfs and mounted"),
    // What the rows cannot express; tests/cli/fork.rs covers it for ptool.
    ("par_incomplete_linebuffer", "a reader that closes the pipe early (fork.rs: a_closed_stdout_stops_the_run_quietly)"),
    ("par_kill_int_twice", "INT sent to parallel itself (fork.rs: ctrl_c_stops_every_job_and_grandchild)"),
    ("par_kill_term", "TERM sent to parallel itself (fork.rs: term_to_ptool_exits_143)"),
    ("par_slow_args_generation", "input arriving slowly from another run through a pipe; rows give stdin whole"),
    ("par__pipepart_spawn", "the job count on --progress's per-host line, a display ptool draws only on a terminal"),
];

/// What ptool refuses: (suite function, flags). Each must exit 255 with
/// one line on stderr and run nothing (the command would make a file).
#[rustfmt::skip]
const REFUSED: &[(&str, &[&str])] = &[
    ("par_pipe_no_run_if_empty", &["-n", "1", "--pipe", "-r", "--recend", "\\n", "-k"]),
    ("par_pipe_no_run_if_empty", &["-n", "1", "--pipe", "--recstart", "[[", "--recend", "]]"]),
    ("par_--rpl_group_bug", &["--rpl", "{a(.)b} s/$$1_c/o/g"]),
    ("par_filter_dryrun", &["--filter", "\"{1}\" ne \"Not\""]),
    ("par_uninstalled_sshpass", &["-S", "user:pass@host"]),
    ("par_eof_on_command_line_input_source", &["-E", "ole"]),
    ("par_empty_string_command_line", &["-r"]),
    ("par_ll_long_followed_by_short", &["--ll"]),
    ("par_open-tty", &["--open-tty"]),
    ("par_open-tty", &["-o"]),
    ("par_shellcompletion", &["--shellcompletion", "bash"]),
    ("par_tmpl1", &["--tmpl", "t=x"]),
    ("par_trim_illegal_value", &["--trim", "fj"]),
    ("par_dirnamereplace", &["--dnr", "II"]),
    ("par_compress_stdout_stderr", &["--compress"]),
    ("par_i_t", &["-i"]),
    ("par_i_t", &["-eEND"]),
    ("par_i_t", &["-t"]),
    ("par_i_t", &["--verbose"]),
    ("par_opt_gnu", &["--tollef"]),
    ("par_opt_gnu", &["--gnu"]),
    ("par_tmux_command_not_found", &["--tmux"]),
    ("par_no_run_if_empty", &["--no-run-if-empty"]),
    ("par_test_zero_args", &["-L0"]),
    ("par_l0_is_l1", &["-l0"]),
    ("par_nice_locally", &["--nice", "1"]),
    ("par_disk_full", &["--tmpdir", "/tmp"]),
    ("par_roundrobin_k", &["--round-robin", "--pipe"]),
    ("par_pipepart_roundrobin", &["--roundrobin", "--pipe"]),
    ("par_pipepart_header", &["--pipe", "--regexp", "--recend", "3\\n"]),
    ("par_total_from_joblog", &["{= $_=$Global::total_completed =}"]),
    ("par_xapply", &["--xapply"]),
    ("par_test_L_context_replace", &["-L", "10"]),
    ("par_inefficient_L", &["--pipe", "-L", "4"]),
    ("par_pipe_record_size_in_lines", &["--pipe", "-l", "4"]),
    ("par_python_children", &["--env", "fu"]),
    ("par_retries_replacement_string", &["--retries", "{//}"]),
    ("par_tee", &["--tee", "--pipe"]),
    ("par_wd_3dot_local", &["--wd", "/tmp"]),
    ("par_linebuffer_files", &["--files"]),
    ("par_pipepart_recend_recstart", &["--pipe", "--recstart", "6"]),
    ("par_pipe_tag_v", &["-v"]),
    ("par_csv", &["--csv"]),
    ("par_slow_pipe_regexp", &["--pipe", "--regexp", "-N1000"]),
    ("par_results_json", &["--results", "out.json"]),
    ("par_pipe_recend", &["--pipe", "--recend", "", "-n", "1"]),
    ("par_recend_not_regexp", &["--pipe", "--rrs", "--recend", "+"]),
    ("par_profile", &["-J", "./profile"]),
    ("par_group-by_colsep_space", &["--pipe", "--group-by", "2"]),
    ("par_hash_and_time_functions", &["{= $_=hash($_) =}"]),
    ("par_sem_quote", &["--semaphore"]),
    ("par_sem_quote", &["--fg"]),
    ("par__arg_sep", &["--arg-sep", "."]),
    ("par_retired", &["-B", "foo"]),
    ("par_retired", &["-g"]),
    ("par_retired", &["-H", "1"]),
    ("par_retired", &["-T"]),
    ("par_retired", &["-U", "foo"]),
    ("par_retired", &["-W", "foo"]),
    ("par_retired", &["-Y"]),
    ("par_file_rpl", &["--plus"]),
    ("par_skip_first_line", &["--skip-first-line", "--pipe"]),
    ("par_sqlandworker_uninstalled_dbd", &["--sqlandworker", "csv:///x"]),
    ("par_interactive", &["-p"]),
    ("par__replacement_rename", &["--bnr", "FOO"]),
    ("par__replacement_rename", &["--extensionreplace", "FOO"]),
    ("par_test_E", &["-E", "5"]),
    ("par_bug37042", &["-J", "bug_37042_profile"]),
    ("par_profiles_with_space", &["--rpl", "FULLPATH s/x/y/"]),
    ("par_header", &["--pipe", "--header", ".*\\n.*\\n"]),
    ("par_pxz_complains", &["--compress-program", "pixz"]),
    ("par_result_replace", &["--results", "par_{}_49983"]),
    ("par__pipe_compress_blocks", &["--compress", "-N1", "--pipe"]),
    ("par_bug45691", &["{= $arg[1] eq 2 and $job->skip() =}"]),
    ("par__plus", &["--plus"]),
    ("par_process_slot_var", &["--process-slot-var=name"]),
    ("par_shebang", &["--shebang-wrap"]),
    ("par_pipe_regexp", &["--pipe", "--regexp", "--recstart", "x"]),
    ("par_show_limits", &["--show-limits"]),
    ("par_sshdelay", &["--sshdelay", "0.5"]),
    ("par_children_receive_sig", &["--termseq", "TERM,200,KILL,25"]),
    ("par_tee_with_premature_close", &["--tee", "--pipe"]),
    ("par_basic_halt", &["--halt", "-2"]),
    ("par_block_negative_prefix", &["--pipepart", "-a", "seq", "--block", "-0.01k"]),
    ("par_pipepart_block", &["--pipepart", "-a", "seq", "--block", "-1"]),
    ("par__combineexec", &["--combineexec", "x"]),
    ("par_sqlworker_hostname", &["--sqlworker", "x"]),
    ("par_citation_no_config_dir", &["--citation"]),
    ("par_bug34241", &["-r", "-j2", "-N1", "--pipe"]),
    ("par_csv_pipe", &["--pipe", "--csv", "-k"]),
    ("par_empty_command", &["-v"]),
    ("par_file_ending_in_newline", &["-kv", "--delimiter", " "]),
    ("par_filter_no_halt", &["--halt", "soon,fail=1", "--filter", "(-e \"{}\")"]),
    ("par_filter_no_retries", &["-u", "--retries", "3", "--filter", "{} % 2"]),
    ("par_json", &["-k", "--results", "-.json"]),
    ("par_keep_order_make_job_1_output_fast", &["-k", "-u", "{= 'seq() > 1 and $opt::ungroup = 0' =}"]),
    ("par_perlexpr_with_newline", &["{= $a=pQ($_);\n$b=$_ =}"]),
    ("par_pipe_N1_regexp", &["-kN1", "--recstart", "begin\\n", "--pipe", "--regexp"]),
    ("par_recend_recstart_hash", &["-k", "--regexp", "--pipe", "-N1", "--recstart", "#"]),
    ("par_results_compress", &["--results", "dir", "--compress"]),
    ("par_rpl_that_is_substring_of_longer_rpl", &["--rpl", "{+.} s:.*\\.::"]),
    ("par_skip_in_expr", &["-k", "{= $_ eq \"b\" and $job->skip() =}"]),
    ("par_skip_no_halt", &["-k", "--halt", "soon,fail=1", "{= $job->skip() =}"]),
    ("par_test_tty", &["-j1", "--tty"]),
    ("par_tmpl2", &["--colsep", ",", "-j2", "--cleanup", "--tmpl", "t=t1.{#}"]),
    ("par_trailing_space_line_continuation", &["-kr", "-L2"]),
    ("par_unquote_replacement_string", &["{}{=uq()=}"]),
    ("par_verbose_t", &["-k", "-t"]),
    ("par_commandline_with_newline", &["--jl", "-", "--resume"]),
    ("par_wd_dotdotdot", &["--wd", "..."]),
    ("par_--pipe--block-2", &["-j", "5", "--block", "-2", "-k", "--pipe"]),
    ("par_pipepart_triple_colon", &["--pipepart", "-a", "seq", "wc"]),
    ("par__zextract", &["--pipe", "--tee", "-j0"]),
    ("par_shard", &["--pipe", "--shard", "1", "-j5"]),
    ("par_bin", &["--pipe", "--bin", "1", "-j4"]),
    ("par_--round-robin_blocks", &["-j8", "--block", "10M", "--round-robin", "--pipe"]),
    ("par_no_newline_compress", &["--compress", "--pipe", "--line-buffer"]),
    ("par_--match", &["--match", "(.*)/([a-zA-Z]+)"]),
    ("par_--tee_too_many_args", &["-k", "--tag", "--pipe", "-j4", "--tee"]),
    ("par_seqreplace_long_line", &["-j1", "-s", "210", "-k", "--seqreplace", "I"]),
    ("par_opt_arg_eaten", &["-k", "-l"]),
    ("par_opt_arg_eaten", &["-k", "-0", "-e", "eof"]),
    ("par_opt_arg_eaten", &["-k", "-0", "-i", "repl"]),
    ("par_opt_arg_eaten", &["-k", "-0", "-L", "-0"]),
    ("par__--nice", &["-j0", "--timeout", "10", "--nice", "18"]),
    ("par_failing_compressor", &["-k", "--compress", "--compress-program", "cat;true"]),
    ("par_failing_compressor", &["--decompress-program", "cat;true"]),
    ("par_failing_compressor", &["--argsep", ",,,"]),
    ("par_failing_compressor", &["--files0"]),
    ("par_END", &["-k", "--replace", "-eEND"]),
    ("par_END", &["-k", "-i+", "-eEND"]),
    ("par_END", &["-k", "-E", "END"]),
    ("par_END", &["-k", "--eof=END"]),
    ("par__xargs_compat", &["-km", "-L2"]),
    ("par__xargs_compat", &["-km", "-l2"]),
    ("par__xargs_compat", &["-k", "--max-lines", "2"]),
    ("par__xargs_compat", &["-j1", "-km", "-s", "10", "-x"]),
    ("par_pipe_line_buffer_compress", &["-N10", "-L1", "--pipe", "--line-buffer", "--compress"]),
    ("par_pipe_tee", &["--pipe", "--tee"]),
    ("par_pipepart_tee", &["--pipepart", "--tee", "-a", "seq"]),
    ("par_results_csv", &["-k", "--results", "-.csv"]),
    ("par_tmux_fg", &["--tmux", "--fg"]),
    ("par_long_line_remote", &["-j1", "-S", "lo", "-N", "10000"]),
    ("par_shellquote", &["-0", "--shellquote"]),
    ("par_tmp_full", &["-j1", "--tmpdir", "/tmp/shm/parallel"]),
    ("par_jobs_file", &["-j", "seq"]),
    ("par_filter_no_delay", &["--delay", "1", "-j1", "--filter", "{} > 4"]),
    ("par_skip_no_delay", &["--delay", "1", "-j1", "{= 2 < seq and seq() < 10 and skip(); =}"]),
    ("par_totaljobs", &["-j", "1", "--total", "5", "--bar"]),
    ("par_pipe_regexp_non_quoted", &["--pipe", "--regexp", "-k", "--recend", "", "--recstart", "^Start$", "-N1"]),
    ("par_plus_slot_replacement", &["-k", "--plus"]),
    ("par_wrong_slot_rpl_resume", &["-kj", "4", "--delay", "0.2", "{=$_==10 and exit =}"]),
    ("par_locale_quoting", &["-v"]),
    ("par_space_envvar", &["-v"]),
    // From parallel-local-ssh*.sh and parallel-local-30s.sh.
    ("par_empty_string_quote", &["--nonall"]),
    ("par__sshlogin_with_comma", &["--onall"]),
    ("par_fish_wd_transfer", &["--transfer"]),
    ("par_special_char_trc", &["--return", "x"]),
    ("par__basefile_cleanup", &["--basefile", "x"]),
    ("par_env_parallel_fish", &["--cat"]),
    ("par_fifo_under_csh", &["--fifo"]),
    ("par_xapply", &["--link"]),
];

/// The accounting names each function once: not both refused only and not
/// translated.
#[test]
fn suite_accounting_names_each_function_once() {
    let mut names: Vec<&str> = NOT_TRANSLATED.iter().map(|(name, _)| *name).collect();
    let count = names.len();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), count, "a function is listed twice");
    for (name, why) in NOT_TRANSLATED {
        assert!(name.starts_with("par_") && !why.is_empty(), "{name}");
        assert!(
            REFUSED.iter().all(|(refused, _)| refused != name),
            "{name} is both refused and not translated"
        );
    }
}

#[test]
fn suite_refused_before_any_job() {
    let dir = TempDir::new("fork-suite-refused");
    dir.file("seq", b"1\n2\n3\n");
    let made = dir.path("made");
    let mut wrong = Vec::new();
    for (name, flags) in REFUSED {
        let mut args = vec!["fork"];
        args.extend(*flags);
        // A flag that wants a value may take the command; then the command
        // line is still refused.
        args.extend(["touch", made.to_str().unwrap(), ":::", "a"]);
        let mut cmd = ptool_cmd(&args);
        cmd.current_dir(dir.dir());
        let out = run(cmd, None, BOUND);
        let one_line = out.stderr.lines().count() == 1 && out.stderr.starts_with("ptool: ");
        let ran = made.exists();
        if out.code() != 255 || !one_line || !out.stdout.is_empty() || ran {
            wrong.push(format!(
                "{name} {flags:?}: exit {}, stdout {:?}, stderr {:?}, ran: {ran}",
                out.code(),
                out.stdout,
                out.stderr,
            ));
            let _ = std::fs::remove_file(&made);
        }
    }
    assert_eq!(dir.entries(), ["seq"], "a refused command made files");
    assert!(
        wrong.is_empty(),
        "not refused cleanly:\n{}",
        wrong.join("\n")
    );
}
