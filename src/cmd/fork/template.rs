//! Replacement strings: the command line with GNU parallel's placeholders
//! found once (`{}` `{.}` `{/}` `{//}` `{/.}` `{#}` `{%}`, positional
//! `{1}` `{-1}` with the same modifiers, `{name}` from `--header`, `-I STR`),
//! expanded per job into either an argument vector (a command given as
//! words: no shell) or a string for `/bin/sh -c` (a command given as one
//! word with shell syntax: every substituted value shell-quoted).
//!
//! The modifiers are GNU parallel's Perl expressions, spelled out:
//! `{.}` is `s:\.[^/.]*$::`, `{/}` is `s:.*/::`, `{//}` is Perl's
//! `dirname`, `{/.}` is `{/}` then `{.}`.

use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use super::quote::{command_line, quote_into};

/// How a value is changed before it is substituted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modifier {
    None,
    /// `{.}`: without the extension.
    NoExt,
    /// `{/}`: the base name.
    Base,
    /// `{//}`: the directory.
    Dir,
    /// `{/.}`: the base name without the extension.
    BaseNoExt,
}

impl Modifier {
    fn apply(self, value: &[u8]) -> &[u8] {
        match self {
            Modifier::None => value,
            Modifier::NoExt => no_ext(value),
            Modifier::Base => base(value),
            Modifier::Dir => dir(value),
            Modifier::BaseNoExt => no_ext(base(value)),
        }
    }

    fn parse(text: &[u8]) -> Option<Modifier> {
        match text {
            b"" => Some(Modifier::None),
            b"." => Some(Modifier::NoExt),
            b"/" => Some(Modifier::Base),
            b"//" => Some(Modifier::Dir),
            b"/." => Some(Modifier::BaseNoExt),
            _ => None,
        }
    }
}

/// `s:\.[^/.]*$::`
fn no_ext(v: &[u8]) -> &[u8] {
    match v.iter().rposition(|&b| b == b'.') {
        Some(dot) if !v[dot + 1..].contains(&b'/') => &v[..dot],
        _ => v,
    }
}

/// `s:.*/::`
fn base(v: &[u8]) -> &[u8] {
    match v.iter().rposition(|&b| b == b'/') {
        Some(slash) => &v[slash + 1..],
        None => v,
    }
}

/// POSIX `dirname`, as Perl's `File::Basename::dirname` gives it on Unix.
fn dir(v: &[u8]) -> &[u8] {
    let trimmed = trim_slashes(v);
    if trimmed.is_empty() {
        return if v.is_empty() { b"." } else { b"/" };
    }
    match trimmed.iter().rposition(|&b| b == b'/') {
        None => b".",
        Some(slash) => {
            let parent = trim_slashes(&trimmed[..slash]);
            if parent.is_empty() { b"/" } else { parent }
        }
    }
}

fn trim_slashes(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|&b| b != b'/').map_or(0, |i| i + 1);
    &v[..end]
}

/// Which value a placeholder stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    /// `{}`: every value of the job.
    All,
    /// `{N}` (1-based) or `{-N}` (from the end).
    Pos(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(Vec<u8>),
    Value(Which, Modifier),
    Seq,
    Slot,
}

/// How the expanded command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Words run as an argument vector, no shell.
    Argv,
    /// One string run by `/bin/sh -c`, values shell-quoted.
    Shell,
    /// No command: the job's values, joined by spaces, are the shell command.
    InputIsCommand,
}

/// A job's command, ready to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Argv(Vec<OsString>),
    Shell(Vec<u8>),
}

impl Cmd {
    /// The command as one line a shell would run the same way (for
    /// `--dry-run` and the joblog).
    pub fn display(&self) -> Vec<u8> {
        match self {
            Cmd::Argv(argv) => command_line(argv),
            Cmd::Shell(s) => s.clone(),
        }
    }

    /// The argument vector to execute.
    pub fn argv(&self) -> Vec<OsString> {
        match self {
            Cmd::Argv(argv) => argv.clone(),
            Cmd::Shell(s) => vec!["/bin/sh".into(), "-c".into(), OsString::from_vec(s.clone())],
        }
    }

    /// The bytes the kernel counts against the argument limit.
    pub fn size(&self) -> usize {
        match self {
            Cmd::Argv(argv) => argv.iter().map(|w| w.len() + 1).sum(),
            Cmd::Shell(s) => s.len() + 1,
        }
    }
}

/// TemplateOptions that shape the parse.
#[derive(Debug, Clone, Default)]
pub struct TemplateOptions<'a> {
    /// `-I STR`: the string that stands for the input instead of `{}`.
    pub replace: Option<&'a [u8]>,
    /// `--header :` column names and their 1-based positions.
    pub names: &'a [(Vec<u8>, usize)],
    /// `--quote`: never use a shell.
    pub no_shell: bool,
    /// Add the values at the end when no placeholder is given.
    pub append: bool,
    /// `-X`: repeat each word holding `{}` once per value.
    pub context: bool,
}

/// The parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    mode: Mode,
    /// Argv mode: one entry per argument. Shell mode: the string cut into
    /// runs of non-blanks and blanks, so `-X` can repeat a whole word.
    words: Vec<Vec<Piece>>,
    context: bool,
}

/// Bytes that make a one-word command a shell command line.
fn is_shell_syntax(b: u8) -> bool {
    b.is_ascii_whitespace() || b"|&;<>()$`\\\"'*?[#~".contains(&b)
}

impl Template {
    /// Parse the command words. An error names a placeholder ptool does
    /// not support (`{= perl =}`).
    pub fn parse(words: &[OsString], opts: &TemplateOptions<'_>) -> Result<Template, String> {
        let mode = match words {
            [] => Mode::InputIsCommand,
            [one] if !opts.no_shell && one.as_bytes().iter().any(|&b| is_shell_syntax(b)) => {
                Mode::Shell
            }
            _ => Mode::Argv,
        };
        let mut parsed: Vec<Vec<Piece>> = Vec::new();
        match mode {
            Mode::InputIsCommand => {}
            Mode::Argv => {
                for word in words {
                    parsed.push(pieces(word.as_bytes(), opts)?);
                }
            }
            Mode::Shell => {
                let text = words[0].as_bytes();
                let mut start = 0;
                while start < text.len() {
                    let blank = text[start].is_ascii_whitespace();
                    let end = text[start..]
                        .iter()
                        .position(|b| b.is_ascii_whitespace() != blank)
                        .map_or(text.len(), |n| start + n);
                    parsed.push(if blank {
                        vec![Piece::Text(text[start..end].to_vec())]
                    } else {
                        pieces(&text[start..end], opts)?
                    });
                    start = end;
                }
            }
        }
        let has_placeholder = parsed
            .iter()
            .flatten()
            .any(|p| !matches!(p, Piece::Text(_)));
        if opts.append && !has_placeholder && mode != Mode::InputIsCommand {
            if mode == Mode::Shell {
                parsed.push(vec![Piece::Text(b" ".to_vec())]);
            }
            parsed.push(vec![Piece::Value(Which::All, Modifier::None)]);
        }
        Ok(Template {
            mode,
            words: parsed,
            context: opts.context,
        })
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The command for a job with these values, number and slot.
    pub fn expand(&self, values: &[Vec<u8>], seq: u64, slot: usize) -> Cmd {
        match self.mode {
            Mode::InputIsCommand => Cmd::Shell(values.join(&b' ')),
            Mode::Shell => {
                let mut out = Vec::new();
                for word in &self.words {
                    if self.context && repeats(word) {
                        for (i, v) in values.iter().enumerate() {
                            if i > 0 {
                                out.push(b' ');
                            }
                            expand_shell(
                                word,
                                std::slice::from_ref(v),
                                values,
                                seq,
                                slot,
                                &mut out,
                            );
                        }
                    } else {
                        expand_shell(word, values, values, seq, slot, &mut out);
                    }
                }
                Cmd::Shell(out)
            }
            Mode::Argv => {
                let mut argv = Vec::with_capacity(self.words.len() + values.len());
                for word in &self.words {
                    if self.context && repeats(word) {
                        for v in values {
                            expand_argv(
                                word,
                                std::slice::from_ref(v),
                                values,
                                seq,
                                slot,
                                &mut argv,
                            );
                        }
                    } else {
                        expand_argv(word, values, values, seq, slot, &mut argv);
                    }
                }
                Cmd::Argv(argv.into_iter().map(OsString::from_vec).collect())
            }
        }
    }
}

/// True when a word holds `{}` (the word `-X` repeats per value).
fn repeats(word: &[Piece]) -> bool {
    word.iter()
        .any(|p| matches!(p, Piece::Value(Which::All, _)))
}

fn positional(values: &[Vec<u8>], n: i64) -> &[u8] {
    positional_opt(values, n).unwrap_or_default()
}

/// The value `{n}` stands for, `None` for a column or source that is not
/// there (`{4}` of `a,b,c`), which parallel replaces with nothing at all.
fn positional_opt(values: &[Vec<u8>], n: i64) -> Option<&[u8]> {
    let index = if n > 0 {
        usize::try_from(n - 1).ok()
    } else {
        usize::try_from(-n)
            .ok()
            .and_then(|back| values.len().checked_sub(back))
    };
    index.and_then(|i| values.get(i)).map(Vec::as_slice)
}

/// Expand one word for the shell: every value quoted, several values
/// separated by spaces.
fn expand_shell(
    word: &[Piece],
    all: &[Vec<u8>],
    values: &[Vec<u8>],
    seq: u64,
    slot: usize,
    out: &mut Vec<u8>,
) {
    for piece in word {
        match piece {
            Piece::Text(t) => out.extend_from_slice(t),
            Piece::Seq => out.extend_from_slice(seq.to_string().as_bytes()),
            Piece::Slot => out.extend_from_slice(slot.to_string().as_bytes()),
            Piece::Value(Which::All, m) => {
                for (i, v) in all.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    quote_into(m.apply(v), out);
                }
            }
            // A missing column is nothing, not an empty '' argument.
            Piece::Value(Which::Pos(n), m) => {
                if let Some(v) = positional_opt(values, *n) {
                    quote_into(m.apply(v), out);
                }
            }
        }
    }
}

/// Expand one word into arguments: several values for `{}` make several
/// arguments, as the shell would split them (`pre{}post` with `a b` gives
/// `prea` `bpost`).
fn expand_argv(
    word: &[Piece],
    all: &[Vec<u8>],
    values: &[Vec<u8>],
    seq: u64,
    slot: usize,
    argv: &mut Vec<Vec<u8>>,
) {
    let mut current = Vec::new();
    let mut split = false;
    for piece in word {
        match piece {
            Piece::Text(t) => current.extend_from_slice(t),
            Piece::Seq => current.extend_from_slice(seq.to_string().as_bytes()),
            Piece::Slot => current.extend_from_slice(slot.to_string().as_bytes()),
            Piece::Value(Which::All, m) => {
                for (i, v) in all.iter().enumerate() {
                    if i > 0 {
                        argv.push(std::mem::take(&mut current));
                    }
                    current.extend_from_slice(m.apply(v));
                }
                // `{}` alone with no values gives no argument at all.
                split |= all.is_empty() && word.len() == 1;
            }
            Piece::Value(Which::Pos(n), m) => {
                current.extend_from_slice(m.apply(positional(values, *n)));
                // `{4}` alone, of three columns, gives no argument at all.
                split |= word.len() == 1 && positional_opt(values, *n).is_none();
            }
        }
    }
    if !split {
        argv.push(current);
    }
}

/// Find the placeholders in one word.
fn pieces(word: &[u8], opts: &TemplateOptions<'_>) -> Result<Vec<Piece>, String> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    while i < word.len() {
        let rest = &word[i..];
        let found = if let Some(r) = opts.replace.filter(|r| !r.is_empty()) {
            if rest.starts_with(r) {
                Some((Piece::Value(Which::All, Modifier::None), r.len()))
            } else if rest.starts_with(b"{") && !rest.starts_with(b"{}") {
                token(rest, opts)?
            } else {
                None
            }
        } else if rest.starts_with(b"{") {
            token(rest, opts)?
        } else {
            None
        };
        match found {
            Some((piece, len)) => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(piece);
                i += len;
            }
            None => {
                text.push(word[i]);
                i += 1;
            }
        }
    }
    if !text.is_empty() || out.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// A placeholder at the start of `rest` (which starts with `{`), and its
/// length; `None` when the braces are just text.
fn token(rest: &[u8], opts: &TemplateOptions<'_>) -> Result<Option<(Piece, usize)>, String> {
    if rest.starts_with(b"{=") && rest.windows(2).any(|w| w == b"=}") {
        return Err(
            "Perl expressions in replacement strings ({= ... =}) are not supported".to_string(),
        );
    }
    let Some(close) = rest.iter().position(|&b| b == b'}') else {
        return Ok(None);
    };
    let inner = &rest[1..close];
    let len = close + 1;
    let piece = match inner {
        b"#" => Some(Piece::Seq),
        b"%" => Some(Piece::Slot),
        _ => {
            let digits = inner
                .iter()
                .enumerate()
                .take_while(|&(i, &b)| b.is_ascii_digit() || (i == 0 && b == b'-'))
                .count();
            let (head, tail) = inner.split_at(digits);
            if head.is_empty() {
                match Modifier::parse(tail) {
                    Some(m) if opts.replace.is_none() => Some(Piece::Value(Which::All, m)),
                    _ => named(inner, opts.names),
                }
            } else if !head.is_empty() && head != b"-" {
                match (
                    std::str::from_utf8(head)
                        .ok()
                        .and_then(|h| h.parse::<i64>().ok()),
                    Modifier::parse(tail),
                ) {
                    (Some(n), Some(m)) if n != 0 => Some(Piece::Value(Which::Pos(n), m)),
                    _ => None,
                }
            } else {
                named(inner, opts.names)
            }
        }
    };
    Ok(piece.map(|p| (p, len)))
}

/// `{name}` or `{name.}` etc. for a `--header` column.
fn named(inner: &[u8], names: &[(Vec<u8>, usize)]) -> Option<Piece> {
    for suffix in [&b""[..], b"//", b"/.", b"/", b"."] {
        if let Some(name) = inner.strip_suffix(suffix)
            && let Some((_, pos)) = names.iter().find(|(n, _)| n == name)
            && let Some(m) = Modifier::parse(suffix)
        {
            return Some(Piece::Value(Which::Pos(*pos as i64), m));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn vals(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn opts() -> TemplateOptions<'static> {
        TemplateOptions {
            append: true,
            ..TemplateOptions::default()
        }
    }

    fn argv(t: &Template, v: &[&str]) -> Vec<String> {
        match t.expand(&vals(v), 1, 1) {
            Cmd::Argv(a) => a.iter().map(|w| w.to_string_lossy().into_owned()).collect(),
            Cmd::Shell(s) => vec![String::from_utf8_lossy(&s).into_owned()],
        }
    }

    #[test]
    fn modifiers_match_gnu_parallel() {
        let cases: &[(&str, [&str; 4])] = &[
            (
                "/a/b.c/d.tar.gz",
                ["/a/b.c/d.tar", "d.tar.gz", "/a/b.c", "d.tar"],
            ),
            ("x", ["x", "x", ".", "x"]),
            ("dir/", ["dir/", "", ".", ""]),
            ("a.", ["a", "a.", ".", "a"]),
            (".bashrc", ["", ".bashrc", ".", ""]),
            ("/", ["/", "", "/", ""]),
            ("/x", ["/x", "x", "/", "x"]),
            ("a//b", ["a//b", "b", "a", "b"]),
            ("", ["", "", ".", ""]),
        ];
        for (input, [noext, b, d, bnoext]) in cases {
            let v = input.as_bytes();
            assert_eq!(
                Modifier::NoExt.apply(v),
                noext.as_bytes(),
                "{{.}} of {input}"
            );
            assert_eq!(Modifier::Base.apply(v), b.as_bytes(), "{{/}} of {input}");
            assert_eq!(Modifier::Dir.apply(v), d.as_bytes(), "{{//}} of {input}");
            assert_eq!(
                Modifier::BaseNoExt.apply(v),
                bnoext.as_bytes(),
                "{{/.}} of {input}"
            );
        }
    }

    #[test]
    fn argv_placeholders() {
        let t = Template::parse(
            &os(&["cp", "{}", "out/{#}-{%}.{.}", "{x}", "{1/}", "{-1}"]),
            &opts(),
        )
        .expect("parses");
        assert_eq!(t.mode(), Mode::Argv);
        assert_eq!(
            argv(&t, &["d/a b.c", "z"]),
            [
                "cp",
                "d/a b.c",
                "z",
                "out/1-1.d/a b",
                "z",
                "{x}",
                "a b.c",
                "z"
            ]
        );
    }

    #[test]
    fn inputs_are_appended_when_no_placeholder_is_given() {
        let t = Template::parse(&os(&["echo", "job"]), &opts()).expect("parses");
        assert_eq!(argv(&t, &["x", "y"]), ["echo", "job", "x", "y"]);
        let t = Template::parse(&os(&["echo", "{#}"]), &opts()).expect("parses");
        assert_eq!(argv(&t, &["x"]), ["echo", "1"]);
        let t = Template::parse(&os(&["true"]), &TemplateOptions::default()).expect("parses");
        assert_eq!(argv(&t, &["5"]), ["true"]);
        let t = Template::parse(&os(&["echo", "{}"]), &opts()).expect("parses");
        assert_eq!(argv(&t, &[]), ["echo"]);
    }

    #[test]
    fn one_word_with_shell_syntax_runs_under_the_shell_with_quoted_values() {
        let t = Template::parse(&os(&["gzip -c {} > {.}.gz"]), &opts()).expect("parses");
        assert_eq!(t.mode(), Mode::Shell);
        assert_eq!(
            t.expand(&vals(&["a b.log"]), 1, 1),
            Cmd::Shell(b"gzip -c 'a b.log' > 'a b'.gz".to_vec())
        );
        assert_eq!(
            t.expand(&vals(&["$(id)"]), 1, 1),
            Cmd::Shell(b"gzip -c '$(id)' > '$(id)'.gz".to_vec())
        );
        let t = Template::parse(&os(&["echo"]), &opts()).expect("parses");
        assert_eq!(t.mode(), Mode::Argv);
        let t = Template::parse(&os(&["echo hi"]), &opts()).expect("parses");
        assert_eq!(
            t.expand(&vals(&["a", "b c"]), 1, 1),
            Cmd::Shell(b"echo hi a 'b c'".to_vec())
        );
        let t = Template::parse(
            &os(&["echo hi"]),
            &TemplateOptions {
                no_shell: true,
                ..opts()
            },
        )
        .expect("parses");
        assert_eq!(t.mode(), Mode::Argv);
    }

    #[test]
    fn context_replace_repeats_the_word() {
        let x = TemplateOptions {
            context: true,
            ..opts()
        };
        let t = Template::parse(&os(&["echo", "pre-{}-post"]), &x).expect("parses");
        assert_eq!(argv(&t, &["1", "2"]), ["echo", "pre-1-post", "pre-2-post"]);
        let t = Template::parse(&os(&["echo", "pre-{}-post"]), &opts()).expect("parses");
        assert_eq!(argv(&t, &["1", "2"]), ["echo", "pre-1", "2-post"]);
        let t = Template::parse(&os(&["echo pre-{}-post !"]), &x).expect("parses");
        assert_eq!(
            t.expand(&vals(&["1", "a b"]), 1, 1),
            Cmd::Shell(b"echo pre-1-post pre-'a b'-post !".to_vec())
        );
    }

    #[test]
    fn replace_string_and_header_names() {
        let o = TemplateOptions {
            replace: Some(b",,"),
            ..opts()
        };
        let t = Template::parse(&os(&["echo", ",,", "{}", "{.}"]), &o).expect("parses");
        assert_eq!(argv(&t, &["a.b"]), ["echo", "a.b", "{}", "{.}"]);
        let names = [(b"x".to_vec(), 1), (b"y".to_vec(), 2)];
        let o = TemplateOptions {
            names: &names,
            ..opts()
        };
        let t = Template::parse(&os(&["echo", "{y}", "{x.}", "{z}"]), &o).expect("parses");
        assert_eq!(argv(&t, &["a.b", "c"]), ["echo", "c", "a", "{z}"]);
    }

    #[test]
    fn no_command_runs_each_input() {
        let t = Template::parse(&[], &opts()).expect("parses");
        assert_eq!(
            t.expand(&vals(&["echo 'a b'"]), 1, 1),
            Cmd::Shell(b"echo 'a b'".to_vec())
        );
    }

    #[test]
    fn perl_expressions_are_refused() {
        assert!(Template::parse(&os(&["echo", "{= s/a/b/ =}"]), &opts()).is_err());
        assert!(Template::parse(&os(&["echo", "{=x"]), &opts()).is_ok());
    }

    #[test]
    fn display_is_paste_able() {
        let c = Cmd::Argv(os(&["echo", "it's", "-n"]));
        assert_eq!(c.display(), b"echo 'it'\"'\"'s' -n");
        assert_eq!(c.size(), 5 + 5 + 3);
    }
}
