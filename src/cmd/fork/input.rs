//! Where `ptool fork` gets its inputs (the words after `:::`, a count, or
//! stdin split on newlines or NULs) and how it turns one input into a job's
//! command line (`{}`, `{#}`, `{%}`).

use std::ffi::OsString;
use std::io::{self, Read};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The next input, if there is one yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Input(Vec<u8>),
    /// Stdin has no complete input buffered: poll it and call `read_more`.
    NeedRead,
    Done,
}

/// The inputs of a run.
#[derive(Debug)]
pub enum Inputs {
    /// The words after `:::`.
    Words(std::vec::IntoIter<Vec<u8>>, u64),
    /// `-n N`: the indexes `0..N`.
    Count { next: u64, total: u64 },
    /// Lines (or NUL-separated records) of stdin, read as jobs need them.
    Stdin(Splitter),
}

impl Inputs {
    pub fn words(words: Vec<OsString>) -> Inputs {
        let total = words.len() as u64;
        Inputs::Words(
            words
                .into_iter()
                .map(OsStringExt::into_vec)
                .collect::<Vec<_>>()
                .into_iter(),
            total,
        )
    }

    /// The number of inputs, when known in advance.
    pub fn total(&self) -> Option<u64> {
        match self {
            Inputs::Words(_, total) | Inputs::Count { total, .. } => Some(*total),
            Inputs::Stdin(_) => None,
        }
    }

    pub fn take(&mut self) -> Next {
        match self {
            Inputs::Words(words, _) => words.next().map_or(Next::Done, Next::Input),
            Inputs::Count { next, total } => {
                if next < total {
                    *next += 1;
                    Next::Input((*next - 1).to_string().into_bytes())
                } else {
                    Next::Done
                }
            }
            Inputs::Stdin(split) => split.take(),
        }
    }

    /// Read once from stdin (which poll said is readable) into `chunk`, a
    /// buffer at least as big as StdinLock's own (8 KiB), so that it reads
    /// straight into ours: one read(2), which cannot block here.
    pub fn read_more(&mut self, chunk: &mut [u8]) -> io::Result<()> {
        if let Inputs::Stdin(split) = self {
            let n = io::stdin().lock().read(chunk)?;
            split.feed(&chunk[..n]);
        }
        Ok(())
    }
}

/// Splits a byte stream into records on a separator byte.
#[derive(Debug)]
pub struct Splitter {
    sep: u8,
    buf: Vec<u8>,
    start: usize,
    eof: bool,
}

impl Splitter {
    pub fn new(sep: u8) -> Splitter {
        Splitter {
            sep,
            buf: Vec::new(),
            start: 0,
            eof: false,
        }
    }

    /// Add bytes read; an empty slice means end of input.
    pub fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            self.eof = true;
            return;
        }
        if self.start > 0 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    pub fn take(&mut self) -> Next {
        let rest = &self.buf[self.start..];
        if let Some(at) = rest.iter().position(|&b| b == self.sep) {
            let record = rest[..at].to_vec();
            self.start += at + 1;
            return Next::Input(record);
        }
        if !self.eof {
            return Next::NeedRead;
        }
        if rest.is_empty() {
            return Next::Done;
        }
        // A last record without a separator still counts.
        let record = rest.to_vec();
        self.start = self.buf.len();
        Next::Input(record)
    }
}

/// One piece of a command-line word.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(Vec<u8>),
    Input,
    Seq,
    Slot,
}

/// The command line with its placeholders found once, expanded per job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    words: Vec<Vec<Piece>>,
    append_input: bool,
}

impl Template {
    /// `append_when_absent`: add the input as a last argument when no word
    /// has `{}` (not for `-n`, which runs the command as given).
    pub fn parse(words: &[OsString], append_when_absent: bool) -> Template {
        let words: Vec<Vec<Piece>> = words.iter().map(|w| pieces(w.as_bytes())).collect();
        let has_input = words.iter().flatten().any(|p| *p == Piece::Input);
        Template {
            words,
            append_input: append_when_absent && !has_input,
        }
    }

    /// The command line for the job with this input, number and slot.
    pub fn expand(&self, input: &[u8], seq: u64, slot: usize) -> Vec<OsString> {
        let mut argv = Vec::with_capacity(self.words.len() + 1);
        for word in &self.words {
            let mut out = Vec::new();
            for piece in word {
                match piece {
                    Piece::Text(t) => out.extend_from_slice(t),
                    Piece::Input => out.extend_from_slice(input),
                    Piece::Seq => out.extend_from_slice(seq.to_string().as_bytes()),
                    Piece::Slot => out.extend_from_slice(slot.to_string().as_bytes()),
                }
            }
            argv.push(OsString::from_vec(out));
        }
        if self.append_input {
            argv.push(OsString::from_vec(input.to_vec()));
        }
        argv
    }
}

fn pieces(word: &[u8]) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text = Vec::new();
    let mut i = 0;
    while i < word.len() {
        let rest = &word[i..];
        let found = [
            (&b"{}"[..], Piece::Input),
            (&b"{#}"[..], Piece::Seq),
            (&b"{%}"[..], Piece::Slot),
        ]
        .into_iter()
        .find(|(token, _)| rest.starts_with(token));
        match found {
            Some((token, piece)) => {
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(piece);
                i += token.len();
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
    out
}

/// Split `COMMAND ARGS... ::: INPUTS...` at the first `:::`.
pub fn split_command(words: &[OsString]) -> (&[OsString], Option<&[OsString]>) {
    match words.iter().position(|w| w == ":::") {
        Some(at) => (&words[..at], Some(&words[at + 1..])),
        None => (words, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn placeholders_are_replaced_anywhere_in_a_word() {
        let t = Template::parse(&os(&["cp", "{}", "out/{#}-{%}.{}", "{x}"]), true);
        assert_eq!(
            t.expand(b"a b", 7, 2),
            os(&["cp", "a b", "out/7-2.a b", "{x}"])
        );
    }

    #[test]
    fn the_input_is_appended_when_absent() {
        let t = Template::parse(&os(&["echo", "job", "{#}"]), true);
        assert_eq!(t.expand(b"x", 1, 1), os(&["echo", "job", "1", "x"]));
        let t = Template::parse(&os(&["true"]), false);
        assert_eq!(t.expand(b"5", 6, 1), os(&["true"]));
    }

    #[test]
    fn inputs_may_be_any_bytes() {
        let t = Template::parse(&os(&["cat"]), true);
        let argv = t.expand(b"\xff\x1b", 1, 1);
        assert_eq!(argv[1].as_bytes(), b"\xff\x1b");
    }

    #[test]
    fn splitting_at_the_marker() {
        let words = os(&["echo", "-n", ":::", "a", ":::"]);
        let (cmd, inputs) = split_command(&words);
        assert_eq!(cmd, &os(&["echo", "-n"])[..]);
        assert_eq!(inputs, Some(&os(&["a", ":::"])[..]));
        let words = os(&["echo"]);
        assert_eq!(split_command(&words).1, None);
    }

    #[test]
    fn stdin_records_split_on_the_separator() {
        let mut s = Splitter::new(b'\n');
        assert_eq!(s.take(), Next::NeedRead);
        s.feed(b"one\ntw");
        assert_eq!(s.take(), Next::Input(b"one".to_vec()));
        assert_eq!(s.take(), Next::NeedRead);
        s.feed(b"o\n\nthree");
        assert_eq!(s.take(), Next::Input(b"two".to_vec()));
        assert_eq!(s.take(), Next::Input(b"".to_vec()));
        assert_eq!(s.take(), Next::NeedRead);
        s.feed(b"");
        assert_eq!(s.take(), Next::Input(b"three".to_vec()));
        assert_eq!(s.take(), Next::Done);

        let mut s = Splitter::new(0);
        s.feed(b"a\nb\0c\0");
        s.feed(b"");
        assert_eq!(s.take(), Next::Input(b"a\nb".to_vec()));
        assert_eq!(s.take(), Next::Input(b"c".to_vec()));
        assert_eq!(s.take(), Next::Done);
    }

    #[test]
    fn counts_and_words() {
        let mut c = Inputs::Count { next: 0, total: 2 };
        assert_eq!(c.total(), Some(2));
        assert_eq!(c.take(), Next::Input(b"0".to_vec()));
        assert_eq!(c.take(), Next::Input(b"1".to_vec()));
        assert_eq!(c.take(), Next::Done);
        let mut w = Inputs::words(os(&["x"]));
        assert_eq!(w.take(), Next::Input(b"x".to_vec()));
        assert_eq!(w.take(), Next::Done);
    }
}
