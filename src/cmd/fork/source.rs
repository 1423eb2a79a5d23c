//! Input sources, as GNU parallel reads them: the words after `:::`, the
//! lines of files after `::::` and `-a`, or stdin; several sources give
//! every combination (the first source varies slowest), `:::+`/`::::+`
//! pair a source with the one before it (stopping at the shorter);
//! `-0`/`-d` choose what ends an input; `--colsep` cuts each input into
//! columns; `--header :` takes each source's first input as column names.
//!
//! One source read from a stream (stdin, or one file) is read as jobs need
//! it, so `producer | ptool fork ...` starts work at once; combinations,
//! `--shuf` and `-X` need every input first and read them whole.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use regex::bytes::Regex;

/// The values of one input: one per source, or per `--colsep` column.
pub type Record = Vec<Vec<u8>>;

/// Where one source's inputs come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Words(Vec<Vec<u8>>),
    /// A file of inputs; `-` is stdin.
    File(PathBuf),
}

/// One input source and whether it is linked to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub origin: Origin,
    pub linked: bool,
}

/// Split `COMMAND... ::: A B :::+ C :::: FILE ::::+ FILE` into the command
/// and its sources.
pub fn split_command(words: &[OsString]) -> (Vec<OsString>, Vec<Source>) {
    let is_marker = |w: &OsString| matches!(w.to_str(), Some(":::" | ":::+" | "::::" | "::::+"));
    let cut = words.iter().position(is_marker).unwrap_or(words.len());
    let command = words[..cut].to_vec();
    let mut sources = Vec::new();
    let mut i = cut;
    while i < words.len() {
        let marker = words[i].to_str().unwrap_or_default().to_string();
        let end = words[i + 1..]
            .iter()
            .position(is_marker)
            .map_or(words.len(), |n| i + 1 + n);
        let list = &words[i + 1..end];
        let linked = marker.ends_with('+');
        if marker.starts_with("::::") {
            // As GNU parallel: `::::+ F G` links every file after it.
            for file in list {
                sources.push(Source {
                    origin: Origin::File(PathBuf::from(file)),
                    linked,
                });
            }
        } else {
            sources.push(Source {
                origin: Origin::Words(list.iter().map(|w| w.clone().into_vec()).collect()),
                linked,
            });
        }
        i = end;
    }
    (command, sources)
}

/// Turn `-d`'s text into bytes: `\n`, `\t`, `\r`, `\0`, `\\` and `\xHH`
/// are understood, as in GNU parallel.
pub fn unescape(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let (b, used) = match bytes[i + 1] {
                b'n' => (b'\n', 2),
                b't' => (b'\t', 2),
                b'r' => (b'\r', 2),
                b'0' => (0, 2),
                b'\\' => (b'\\', 2),
                b'x' => {
                    let hex = text.get(i + 2..i + 4).ok_or("\\x needs two hex digits")?;
                    (
                        u8::from_str_radix(hex, 16).map_err(|_| "\\x needs two hex digits")?,
                        4,
                    )
                }
                _ => (b'\\', 1),
            };
            out.push(b);
            i += used;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    if out.is_empty() {
        return Err("the delimiter cannot be empty".to_string());
    }
    Ok(out)
}

/// Splits a byte stream into records at a separator.
#[derive(Debug)]
pub struct Splitter {
    sep: Vec<u8>,
    buf: Vec<u8>,
    start: usize,
    /// Where the search for the next separator resumes.
    scanned: usize,
    eof: bool,
}

/// The next record of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Take {
    Record(Vec<u8>),
    NeedRead,
    Done,
}

impl Splitter {
    pub fn new(sep: Vec<u8>) -> Splitter {
        Splitter {
            sep,
            buf: Vec::new(),
            start: 0,
            scanned: 0,
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
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    pub fn take(&mut self) -> Take {
        let from = self.scanned.max(self.start);
        if let Some(at) = find(&self.buf[from..], &self.sep) {
            let end = from + at;
            let record = self.buf[self.start..end].to_vec();
            self.start = end + self.sep.len();
            self.scanned = self.start;
            return Take::Record(record);
        }
        // A separator may straddle the next read.
        self.scanned = self
            .buf
            .len()
            .saturating_sub(self.sep.len() - 1)
            .max(self.start);
        if !self.eof {
            return Take::NeedRead;
        }
        if self.start >= self.buf.len() {
            return Take::Done;
        }
        // A last record without a separator still counts.
        let record = self.buf[self.start..].to_vec();
        self.start = self.buf.len();
        self.scanned = self.start;
        Take::Record(record)
    }
}

/// The first position of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [one] => hay.iter().position(|b| b == one),
        _ => hay.windows(needle.len()).position(|w| w == needle),
    }
}

/// A stream of inputs: stdin or an opened file.
#[derive(Debug)]
pub enum InputReader {
    Stdin(io::Stdin),
    File(File),
}

impl InputReader {
    pub fn open(path: &std::path::Path) -> io::Result<InputReader> {
        if path.as_os_str() == "-" {
            return Ok(InputReader::Stdin(io::stdin()));
        }
        // Never blocks in open(2) (a FIFO nobody writes reads as empty);
        // a directory or socket is refused.
        let file = crate::sys::open::open_input(path)?;
        Ok(InputReader::File(file))
    }

    /// One read(2) into `buf` (at least 8 KiB, so that stdin's own buffer
    /// is bypassed and poll(2) sees everything not yet read).
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let n = match self {
                InputReader::Stdin(s) => s.lock().read(buf),
                InputReader::File(f) => f.read(buf),
            };
            match n {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                other => return other,
            }
        }
    }

    /// The fd to poll before reading.
    pub fn fd(&self) -> BorrowedFd<'_> {
        match self {
            InputReader::Stdin(s) => s.as_fd(),
            InputReader::File(f) => f.as_fd(),
        }
    }
}

/// How inputs are split and shaped.
#[derive(Debug, Clone)]
pub struct Shape {
    pub sep: Vec<u8>,
    pub colsep: Option<Regex>,
    pub header: bool,
}

impl Shape {
    fn columns(&self, value: Vec<u8>) -> Record {
        match &self.colsep {
            None => vec![value],
            Some(re) => re.split(&value).map(<[u8]>::to_vec).collect(),
        }
    }
}

/// The inputs once opened: all of them, or a stream read as needed.
#[derive(Debug)]
pub enum Records {
    List(Vec<Record>),
    Stream(Stream),
}

/// One source read as jobs need it.
#[derive(Debug)]
pub struct Stream {
    pub reader: InputReader,
    split: Splitter,
    shape: Shape,
}

impl Stream {
    /// The next record, or that the reader must be polled first.
    pub fn take(&mut self) -> TakeRecord {
        match self.split.take() {
            Take::Record(r) => TakeRecord::Record(self.shape.columns(r)),
            Take::NeedRead => TakeRecord::NeedRead,
            Take::Done => TakeRecord::Done,
        }
    }

    /// Read once (the reader is readable) into the splitter.
    pub fn read_more(&mut self, chunk: &mut [u8]) -> io::Result<()> {
        let n = self.reader.read(chunk)?;
        self.split.feed(&chunk[..n]);
        Ok(())
    }

    /// Take a record, reading (and waiting) as needed.
    fn take_blocking(&mut self, chunk: &mut [u8]) -> io::Result<Option<Record>> {
        loop {
            match self.take() {
                TakeRecord::Record(r) => return Ok(Some(r)),
                TakeRecord::Done => return Ok(None),
                TakeRecord::NeedRead => self.read_more(chunk)?,
            }
        }
    }

    /// Every record left.
    pub fn read_all(mut self) -> io::Result<Vec<Record>> {
        let mut chunk = vec![0; 64 * 1024];
        let mut all = Vec::new();
        while let Some(r) = self.take_blocking(&mut chunk)? {
            all.push(r);
        }
        Ok(all)
    }
}

/// [`Take`] with the record cut into columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakeRecord {
    Record(Record),
    NeedRead,
    Done,
}

/// Header names and the 1-based column each stands for.
pub type ColumnNames = Vec<(Vec<u8>, usize)>;

/// Open every source. `stream_ok`: a lone streamed source may stay a
/// stream. Errors name the file that could not be read.
pub fn open(
    sources: Vec<Source>,
    shape: &Shape,
    stream_ok: bool,
) -> Result<(Records, ColumnNames), String> {
    let describe = |path: &std::path::Path, e: io::Error| {
        format!(
            "cannot read inputs from {}: {e}",
            crate::output::sanitize::escape(std::os::unix::ffi::OsStrExt::as_bytes(
                path.as_os_str()
            ))
        )
    };
    if stream_ok
        && let [
            Source {
                origin: Origin::File(path),
                ..
            },
        ] = &sources[..]
    {
        let reader = InputReader::open(path).map_err(|e| describe(path, e))?;
        let mut stream = Stream {
            reader,
            split: Splitter::new(shape.sep.clone()),
            shape: shape.clone(),
        };
        let mut names = Vec::new();
        if shape.header {
            let mut chunk = vec![0; 64 * 1024];
            if let Some(head) = stream
                .take_blocking(&mut chunk)
                .map_err(|e| describe(path, e))?
            {
                names = head.into_iter().map(header_name).zip(1..).collect();
            }
        }
        return Ok((Records::Stream(stream), names));
    }
    // Every source in full, each as a list of records (columns).
    let mut lists: Vec<(Vec<Record>, bool)> = Vec::new();
    let mut names = Vec::new();
    let mut width = 0;
    for source in sources {
        let mut values: Vec<Record> = match source.origin {
            Origin::Words(words) => words.into_iter().map(|w| shape.columns(w)).collect(),
            Origin::File(path) => {
                let reader = InputReader::open(&path).map_err(|e| describe(&path, e))?;
                Stream {
                    reader,
                    split: Splitter::new(shape.sep.clone()),
                    shape: shape.clone(),
                }
                .read_all()
                .map_err(|e| describe(&path, e))?
            }
        };
        let columns = if shape.header && !values.is_empty() {
            let head = values.remove(0);
            let n = head.len();
            names.extend(head.into_iter().map(header_name).zip(width + 1..));
            n
        } else {
            values.first().map_or(1, Vec::len)
        };
        width += columns;
        lists.push((values, source.linked));
    }
    Ok((Records::List(combine(lists)), names))
}

/// A `--header` column name: a DOS line end's `\r` is not part of it.
fn header_name(mut name: Vec<u8>) -> Vec<u8> {
    if name.ends_with(b"\r") {
        name.pop();
    }
    name
}

/// Every combination of the sources, the first varying slowest; a linked
/// source is zipped with the group before it (to the shorter length).
fn combine(lists: Vec<(Vec<Record>, bool)>) -> Vec<Record> {
    let mut groups: Vec<Vec<Record>> = Vec::new();
    for (list, linked) in lists {
        match groups.last_mut() {
            Some(group) if linked => {
                let n = group.len().min(list.len());
                group.truncate(n);
                for (row, extra) in group.iter_mut().zip(list) {
                    row.extend(extra);
                }
            }
            _ => groups.push(list),
        }
    }
    let mut out: Vec<Record> = vec![Vec::new()];
    for group in groups {
        let mut next = Vec::with_capacity(out.len() * group.len());
        for prefix in &out {
            for row in &group {
                let mut r = prefix.clone();
                r.extend(row.iter().cloned());
                next.push(r);
            }
        }
        out = next;
    }
    if out.len() == 1 && out[0].is_empty() {
        out.clear();
    }
    out
}

/// Jobs' values, ready in a queue, or read from a stream as needed.
#[derive(Debug)]
pub enum Feed {
    List {
        jobs: VecDeque<Record>,
        total: u64,
    },
    Stream {
        stream: Stream,
        /// Records per job; 0 gives each record a job without values.
        per_job: usize,
        values: Record,
        taken: usize,
    },
    /// `--count N`: the indexes `0..N`.
    Count {
        next: u64,
        total: u64,
    },
    /// `--retry-failed`: commands from the joblog, with their numbers.
    Logged(VecDeque<(u64, Vec<u8>)>),
}

/// What the pool gets next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    Job {
        /// Set when the job keeps a number it had before (`--retry-failed`).
        seq: Option<u64>,
        values: Record,
    },
    /// Poll [`Feed::fd`], then call [`Feed::read_more`].
    NeedRead,
    Done,
}

impl Feed {
    /// Jobs from a list of records, `per_job` records each.
    pub fn from_list(records: Vec<Record>, per_job: usize) -> Feed {
        let jobs: VecDeque<Record> = if per_job == 0 {
            records.into_iter().map(|_| Vec::new()).collect()
        } else if per_job == 1 {
            records.into_iter().collect()
        } else {
            records
                .chunks(per_job)
                .map(|c| c.iter().flatten().cloned().collect())
                .collect()
        };
        let total = jobs.len() as u64;
        Feed::List { jobs, total }
    }

    pub fn from_stream(stream: Stream, per_job: usize) -> Feed {
        Feed::Stream {
            stream,
            per_job,
            values: Vec::new(),
            taken: 0,
        }
    }

    /// The number of jobs, when known in advance.
    pub fn total(&self) -> Option<u64> {
        match self {
            Feed::List { total, .. } | Feed::Count { total, .. } => Some(*total),
            Feed::Logged(q) => Some(q.len() as u64),
            Feed::Stream { .. } => None,
        }
    }

    pub fn take(&mut self) -> Next {
        match self {
            Feed::List { jobs, .. } => jobs
                .pop_front()
                .map_or(Next::Done, |values| Next::Job { seq: None, values }),
            Feed::Count { next, total } => {
                if next < total {
                    *next += 1;
                    Next::Job {
                        seq: None,
                        values: vec![(*next - 1).to_string().into_bytes()],
                    }
                } else {
                    Next::Done
                }
            }
            Feed::Logged(q) => q.pop_front().map_or(Next::Done, |(seq, cmd)| Next::Job {
                seq: Some(seq),
                values: vec![cmd],
            }),
            Feed::Stream {
                stream,
                per_job,
                values,
                taken,
            } => loop {
                match stream.take() {
                    TakeRecord::Record(r) => {
                        if *per_job > 0 {
                            values.extend(r);
                        }
                        *taken += 1;
                        if *taken >= (*per_job).max(1) {
                            *taken = 0;
                            return Next::Job {
                                seq: None,
                                values: std::mem::take(values),
                            };
                        }
                    }
                    TakeRecord::NeedRead => return Next::NeedRead,
                    TakeRecord::Done => {
                        if *taken > 0 {
                            *taken = 0;
                            return Next::Job {
                                seq: None,
                                values: std::mem::take(values),
                            };
                        }
                        return Next::Done;
                    }
                }
            },
        }
    }

    /// The fd to poll for more inputs, when the feed reads a stream.
    pub fn fd(&self) -> Option<BorrowedFd<'_>> {
        match self {
            Feed::Stream { stream, .. } => Some(stream.reader.fd()),
            _ => None,
        }
    }

    pub fn read_more(&mut self, chunk: &mut [u8]) -> io::Result<()> {
        if let Feed::Stream { stream, .. } = self {
            stream.read_more(chunk)?;
        }
        Ok(())
    }
}

/// Shuffle in place (Fisher-Yates) with a generator seeded from the
/// process's randomised hasher: good enough to spread jobs, not crypto.
pub fn shuffle<T>(items: &mut [T]) {
    use std::hash::{BuildHasher, Hasher};
    let mut state = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish()
        | 1;
    let mut next = || {
        // xorshift64
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for i in (1..items.len()).rev() {
        let j = (next() % (i as u64 + 1)) as usize;
        items.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    fn words(w: &[&str]) -> Origin {
        Origin::Words(w.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    fn plain() -> Shape {
        Shape {
            sep: b"\n".to_vec(),
            colsep: None,
            header: false,
        }
    }

    fn list(r: Records) -> Vec<Vec<String>> {
        let Records::List(l) = r else {
            panic!("a list")
        };
        l.into_iter()
            .map(|r| {
                r.into_iter()
                    .map(|v| String::from_utf8(v).expect("utf-8"))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn markers_split_sources() {
        let (cmd, sources) = split_command(&os(&[
            "echo", "-n", ":::", "a", "b", ":::+", "1", "::::", "f", "g", "::::+", "h",
        ]));
        assert_eq!(cmd, os(&["echo", "-n"]));
        assert_eq!(
            sources,
            vec![
                Source {
                    origin: words(&["a", "b"]),
                    linked: false
                },
                Source {
                    origin: words(&["1"]),
                    linked: true
                },
                Source {
                    origin: Origin::File("f".into()),
                    linked: false
                },
                Source {
                    origin: Origin::File("g".into()),
                    linked: false
                },
                Source {
                    origin: Origin::File("h".into()),
                    linked: true
                },
            ]
        );
        let (cmd, sources) = split_command(&os(&[":::", "x"]));
        assert!(cmd.is_empty());
        assert_eq!(sources.len(), 1);
    }

    #[test]
    fn combinations_in_parallels_order() {
        let s = |o, linked| Source { origin: o, linked };
        let (r, _) = open(
            vec![s(words(&["a", "b"]), false), s(words(&["1", "2"]), false)],
            &plain(),
            true,
        )
        .expect("opens");
        assert_eq!(list(r), [["a", "1"], ["a", "2"], ["b", "1"], ["b", "2"]]);
        let (r, _) = open(
            vec![
                s(words(&["a", "b", "c"]), false),
                s(words(&["1", "2"]), true),
                s(words(&["x", "y"]), false),
            ],
            &plain(),
            true,
        )
        .expect("opens");
        assert_eq!(
            list(r),
            [
                ["a", "1", "x"],
                ["a", "1", "y"],
                ["b", "2", "x"],
                ["b", "2", "y"]
            ]
        );
        let (r, _) = open(vec![s(words(&[]), false)], &plain(), true).expect("opens");
        assert!(list(r).is_empty());
    }

    #[test]
    fn header_names_columns() {
        let shape = Shape {
            sep: b"\n".to_vec(),
            colsep: Some(Regex::new(",").expect("regex")),
            header: true,
        };
        let s = |o| Source {
            origin: o,
            linked: false,
        };
        let (r, names) = open(
            vec![s(words(&["x,y", "1,2"])), s(words(&["z", "3"]))],
            &shape,
            true,
        )
        .expect("opens");
        assert_eq!(list(r), [["1", "2", "3"]]);
        assert_eq!(
            names,
            [(b"x".to_vec(), 1), (b"y".to_vec(), 2), (b"z".to_vec(), 3)]
        );
    }

    #[test]
    fn splitter_handles_long_separators_across_reads() {
        let mut s = Splitter::new(b"::".to_vec());
        assert_eq!(s.take(), Take::NeedRead);
        s.feed(b"one:");
        assert_eq!(s.take(), Take::NeedRead);
        s.feed(b":two::");
        assert_eq!(s.take(), Take::Record(b"one".to_vec()));
        assert_eq!(s.take(), Take::Record(b"two".to_vec()));
        s.feed(b"th");
        assert_eq!(s.take(), Take::NeedRead);
        s.feed(b"");
        assert_eq!(s.take(), Take::Record(b"th".to_vec()));
        assert_eq!(s.take(), Take::Done);
        let mut s = Splitter::new(vec![0]);
        s.feed(b"a\nb\0\0c");
        s.feed(b"");
        assert_eq!(s.take(), Take::Record(b"a\nb".to_vec()));
        assert_eq!(s.take(), Take::Record(b"".to_vec()));
        assert_eq!(s.take(), Take::Record(b"c".to_vec()));
        assert_eq!(s.take(), Take::Done);
    }

    #[test]
    fn delimiters_unescape() {
        assert_eq!(unescape("\\n"), Ok(b"\n".to_vec()));
        assert_eq!(unescape("\\0"), Ok(vec![0]));
        assert_eq!(unescape(":\\t\\x41"), Ok(b":\tA".to_vec()));
        assert!(unescape("").is_err());
        assert!(unescape("\\xZ").is_err());
    }

    #[test]
    fn feeds_group_records_per_job() {
        let records = vec![
            vec![b"a".to_vec()],
            vec![b"b".to_vec()],
            vec![b"c".to_vec()],
        ];
        let mut f = Feed::from_list(records.clone(), 2);
        assert_eq!(f.total(), Some(2));
        assert_eq!(
            f.take(),
            Next::Job {
                seq: None,
                values: vec![b"a".to_vec(), b"b".to_vec()]
            }
        );
        assert_eq!(
            f.take(),
            Next::Job {
                seq: None,
                values: vec![b"c".to_vec()]
            }
        );
        assert_eq!(f.take(), Next::Done);
        let mut f = Feed::from_list(records, 0);
        assert_eq!(
            f.take(),
            Next::Job {
                seq: None,
                values: vec![]
            }
        );
        let mut c = Feed::Count { next: 0, total: 1 };
        assert_eq!(
            c.take(),
            Next::Job {
                seq: None,
                values: vec![b"0".to_vec()]
            }
        );
        assert_eq!(c.take(), Next::Done);
    }

    #[test]
    fn shuffling_keeps_every_item() {
        let mut v: Vec<u32> = (0..100).collect();
        shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..100).collect::<Vec<_>>());
    }
}
