//! Output grouping: each job's bytes kept whole and passed through
//! unchanged (no newline added: concatenated binary output stays valid);
//! complete lines cut off for `--line-buffer` and prefixed for `--tag`;
//! finished jobs ordered for `--keep-order`; writes to stdout/stderr made
//! around the progress bar.

use std::collections::BTreeMap;
use std::io::{self, Write};

use indicatif::ProgressBar;

/// Move the complete lines at the front of `buf` to `dst` (each prefixed
/// with `tag`), leaving an unfinished last line in `buf`.
pub fn take_lines(buf: &mut Vec<u8>, tag: Option<&[u8]>, dst: &mut Vec<u8>) {
    let Some(last_newline) = buf.iter().rposition(|&b| b == b'\n') else {
        return;
    };
    let complete = &buf[..=last_newline];
    match tag {
        None => dst.extend_from_slice(complete),
        Some(tag) => {
            for line in complete.split_inclusive(|&b| b == b'\n') {
                dst.extend_from_slice(tag);
                dst.extend_from_slice(line);
            }
        }
    }
    buf.drain(..=last_newline);
}

/// Move everything left in `buf` to `dst`, unchanged; with a tag, every
/// line (an unfinished last one too) gets it.
pub fn take_rest(buf: &mut Vec<u8>, tag: Option<&[u8]>, dst: &mut Vec<u8>) {
    match tag {
        None => dst.append(buf),
        Some(tag) => {
            for line in buf.split_inclusive(|&b| b == b'\n') {
                dst.extend_from_slice(tag);
                dst.extend_from_slice(line);
            }
            buf.clear();
        }
    }
}

/// The `--tag`/`--tagstring` prefix: the text, escaped so that it cannot
/// break the line it labels, and a tab.
pub fn tag_for(input: &[u8]) -> Vec<u8> {
    let mut tag = crate::output::sanitize::escape(input)
        .into_owned()
        .into_bytes();
    tag.push(b'\t');
    tag
}

/// Finished jobs waiting for their turn (`--keep-order`): released in
/// sequence order, each as soon as every earlier one has been.
#[derive(Debug)]
pub struct Sequencer<T> {
    next: u64,
    held: BTreeMap<u64, T>,
}

impl<T> Sequencer<T> {
    pub fn new(first: u64) -> Sequencer<T> {
        Sequencer {
            next: first,
            held: BTreeMap::new(),
        }
    }

    /// The sequence number whose turn it is.
    pub fn next(&self) -> u64 {
        self.next
    }

    /// Add a finished item; returns those now ready, in order.
    pub fn push(&mut self, seq: u64, item: T) -> Vec<T> {
        self.held.insert(seq, item);
        let mut ready = Vec::new();
        while let Some(item) = self.held.remove(&self.next) {
            ready.push(item);
            self.next += 1;
        }
        ready
    }

    /// Everything still held, in order (at the end of an interrupted run,
    /// where some numbers never finish).
    pub fn drain(&mut self) -> Vec<T> {
        std::mem::take(&mut self.held).into_values().collect()
    }
}

/// Where job output and ptool's own stdout text go. Writes are done with
/// the progress bar hidden, so it never cuts through a line.
#[derive(Debug)]
pub struct JobPrinter<'w, W: Write> {
    stdout: &'w mut W,
    pub bar: Option<ProgressBar>,
    /// Set once stdout is a closed pipe: further output is dropped.
    pub stdout_closed: bool,
}

impl<'w, W: Write> JobPrinter<'w, W> {
    pub fn new(stdout: &'w mut W, bar: Option<ProgressBar>) -> Self {
        JobPrinter {
            stdout,
            bar,
            stdout_closed: false,
        }
    }

    /// Write one job's stdout and stderr bytes, each in one piece.
    pub fn write(&mut self, out: &[u8], err: &[u8]) -> io::Result<()> {
        if out.is_empty() && err.is_empty() {
            return Ok(());
        }
        let stdout = &mut *self.stdout;
        let closed = self.stdout_closed;
        let mut write = || -> io::Result<()> {
            if !out.is_empty() && !closed {
                stdout.write_all(out)?;
                stdout.flush()?;
            }
            if !err.is_empty() {
                // A failing stderr has nowhere to be reported.
                let _ = io::stderr().lock().write_all(err);
            }
            Ok(())
        };
        let result = match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        };
        if let Err(e) = &result
            && e.kind() == io::ErrorKind::BrokenPipe
        {
            self.stdout_closed = true;
        }
        result
    }

    /// A note from ptool on stderr (`ptool: job 3: cannot run ...`).
    pub fn note(&self, message: &str) {
        let write = || crate::output::warn(message);
        match &self.bar {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_complete_lines_are_taken() {
        let mut buf = b"one\ntwo\nthr".to_vec();
        let mut dst = Vec::new();
        take_lines(&mut buf, None, &mut dst);
        assert_eq!(dst, b"one\ntwo\n");
        assert_eq!(buf, b"thr");
        take_lines(&mut buf, None, &mut dst);
        assert_eq!(dst, b"one\ntwo\n");
        buf.extend_from_slice(b"ee");
        take_rest(&mut buf, None, &mut dst);
        assert_eq!(dst, b"one\ntwo\nthree", "no newline is added");
        assert!(buf.is_empty());
        take_rest(&mut buf, None, &mut dst);
        assert_eq!(dst, b"one\ntwo\nthree");
    }

    #[test]
    fn tags_prefix_every_line() {
        let tag = tag_for(b"in\t1\x1b");
        assert_eq!(tag, b"in\\t1\\e\t");
        let mut buf = b"a\n\nb".to_vec();
        let mut dst = Vec::new();
        take_rest(&mut buf, Some(&tag), &mut dst);
        assert_eq!(dst, b"in\\t1\\e\ta\nin\\t1\\e\t\nin\\t1\\e\tb");
    }

    #[test]
    fn sequencer_releases_in_order() {
        let mut s = Sequencer::new(1);
        assert!(s.push(2, "b").is_empty());
        assert!(s.push(4, "d").is_empty());
        assert_eq!(s.next(), 1);
        assert_eq!(s.push(1, "a"), ["a", "b"]);
        assert_eq!(s.next(), 3);
        assert_eq!(s.push(3, "c"), ["c", "d"]);
        assert!(s.push(6, "f").is_empty());
        assert_eq!(s.drain(), ["f"]);
    }

    #[test]
    fn a_closed_pipe_stops_stdout() {
        struct Closed;
        impl Write for Closed {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut w = Closed;
        let mut p = JobPrinter::new(&mut w, None);
        assert!(p.write(b"x\n", b"").is_err());
        assert!(p.stdout_closed);
        assert!(p.write(b"x\n", b"").is_ok());
    }
}
