//! `--pipe` and `--pipepart`: cutting data into blocks of whole records,
//! each fed to one job's stdin.
//!
//! `--pipe` reads stdin (or `-a FILE`) into a buffer and cuts a block as
//! soon as it holds `--block` bytes: at the last record end (`--recend`)
//! within the block, or at the first one after it when a record is longer
//! than a block, so no record is ever cut. It reads ahead by at most one
//! block, so memory stays near jobs x block.
//!
//! `--pipepart` never reads the data: it finds each block's end by reading a
//! few bytes around the next multiple of `--block`, and each job's range of
//! the file is moved into its stdin pipe with `splice(2)`, page by page, in
//! the kernel.

use std::fs::File;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::fs::FileExt;

use super::source::{InputReader, find};

/// How many bytes one read from stdin takes at most.
const READ: usize = 256 * 1024;

/// The next block of `--pipe` input.
#[derive(Debug, PartialEq, Eq)]
pub enum TakeBlock {
    Block(Vec<u8>),
    NeedRead,
    Done,
}

/// Stdin (or a file) cut into blocks of whole records.
#[derive(Debug)]
pub struct Blocks {
    reader: InputReader,
    pending: Vec<u8>,
    /// Where the bytes not yet taken start in `pending`.
    start: usize,
    /// How far `pending` has been searched for record ends.
    scanned: usize,
    /// Record ends found so far in `pending` (with `-N`).
    records: usize,
    eof: bool,
    block: usize,
    recend: Vec<u8>,
    /// `-N`: records per block instead of a size.
    per_block: Option<usize>,
    /// No block could be cut from what is buffered: read more.
    stuck: bool,
}

impl Blocks {
    pub fn new(
        reader: InputReader,
        block: usize,
        recend: Vec<u8>,
        per_block: Option<usize>,
    ) -> Blocks {
        Blocks {
            reader,
            pending: Vec::new(),
            start: 0,
            scanned: 0,
            records: 0,
            eof: false,
            block: block.max(1),
            recend,
            per_block,
            stuck: false,
        }
    }

    /// True while reading is useful: no block can be cut from what is
    /// buffered, or less than a block is buffered and the jobs' blocks
    /// still held (`held`) leave room within `budget` bytes.
    pub fn wants_read(&self, held: usize, budget: usize) -> bool {
        if self.eof {
            return false;
        }
        self.stuck
            || ((self.buffered() < self.block || self.per_block.is_some())
                && held + self.buffered() < budget)
    }

    /// The block size.
    pub fn block(&self) -> usize {
        self.block
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.reader.fd()
    }

    /// One read(2) into the buffer (the reader is readable).
    pub fn read_more(&mut self) -> io::Result<()> {
        self.stuck = false;
        let len = self.pending.len();
        self.pending.resize(len + READ, 0);
        let result = self.reader.read(&mut self.pending[len..]);
        let n = *result.as_ref().unwrap_or(&0);
        self.pending.truncate(len + n);
        if n == 0 {
            self.eof = true;
        }
        result.map(drop)
    }

    /// Read until a block can be cut (for `--dry-run`, which may wait).
    pub fn take_blocking(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            match self.take() {
                TakeBlock::Block(b) => return Ok(Some(b)),
                TakeBlock::Done => return Ok(None),
                TakeBlock::NeedRead => self.read_more()?,
            }
        }
    }

    pub fn take(&mut self) -> TakeBlock {
        let cut = match self.cut() {
            Some(at) => at,
            None if self.eof && self.buffered() == 0 => return TakeBlock::Done,
            None if self.eof => self.pending.len(),
            None => {
                self.stuck = true;
                return TakeBlock::NeedRead;
            }
        };
        self.scanned = 0;
        self.records = 0;
        let start = std::mem::replace(&mut self.start, 0);
        // Move the buffer out when the block is all of it; copy whichever
        // of the block and the rest is smaller otherwise.
        let block = if start == 0 && cut == self.pending.len() {
            std::mem::take(&mut self.pending)
        } else if cut - start <= self.pending.len() - cut {
            self.start = cut;
            self.pending[start..cut].to_vec()
        } else {
            let rest = self.pending.split_off(cut);
            let mut block = std::mem::replace(&mut self.pending, rest);
            block.drain(..start);
            block
        };
        // Drop what was taken once it is most of the buffer.
        if self.start > 0 && self.start >= self.pending.len() / 2 {
            self.pending.drain(..self.start);
            self.start = 0;
        }
        TakeBlock::Block(block)
    }

    /// Bytes read but not yet cut into a block.
    pub fn buffered(&self) -> usize {
        self.pending.len() - self.start
    }

    /// Where the next block ends (an index into `pending`), if that can be
    /// known yet.
    fn cut(&mut self) -> Option<usize> {
        let n = self.recend.len();
        let start = self.start;
        let scanned = self.scanned.max(start);
        if let Some(per) = self.per_block {
            let mut at = scanned;
            while let Some(i) = find(&self.pending[at..], &self.recend) {
                at += i + n;
                self.records += 1;
                if self.records >= per.max(1) {
                    return Some(at);
                }
            }
            self.scanned = self.pending.len().saturating_sub(n - 1).max(at);
            return None;
        }
        if self.buffered() < self.block {
            return None;
        }
        // The last record end within the block ...
        let window = &self.pending[start..start + self.block];
        let last = if n == 1 {
            window.iter().rposition(|&b| b == self.recend[0])
        } else {
            window.windows(n).rposition(|w| w == &self.recend[..])
        };
        if let Some(at) = last {
            return Some(start + at + n);
        }
        // ... or, for a record longer than a block, the first one after it.
        let from = scanned.max(start + self.block.saturating_sub(n - 1));
        match find(&self.pending[from..], &self.recend) {
            Some(at) => Some(from + at + n),
            None => {
                self.scanned = self.pending.len().saturating_sub(n - 1);
                None
            }
        }
    }
}

/// A `--pipepart` file cut into ranges, found one at a time.
#[derive(Debug)]
pub struct Parts {
    file: File,
    size: u64,
    next: u64,
    block: u64,
    recend: Vec<u8>,
}

impl Parts {
    pub fn open(path: &std::path::Path, block: u64, recend: Vec<u8>) -> io::Result<Parts> {
        let file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "--pipepart needs a regular file (use --pipe for pipes and devices)",
            ));
        }
        Ok(Parts {
            file,
            size: meta.len(),
            next: 0,
            block: block.max(1),
            recend,
        })
    }

    pub fn file(&self) -> BorrowedFd<'_> {
        self.file.as_fd()
    }

    /// The next range `[start, end)`, or `None` at the end of the file.
    pub fn take(&mut self) -> io::Result<Option<(u64, u64)>> {
        if self.next >= self.size {
            return Ok(None);
        }
        let start = self.next;
        let end = self.record_end_after(start.saturating_add(self.block))?;
        self.next = end;
        Ok(Some((start, end)))
    }

    /// The offset just past the first record end found from `at` on, or
    /// the file's size.
    fn record_end_after(&self, at: u64) -> io::Result<u64> {
        let n = self.recend.len() as u64;
        if at >= self.size {
            return Ok(self.size);
        }
        // As GNU parallel: the first record end that starts at or after
        // `at` (one ending exactly there does not count).
        let mut pos = at;
        let mut buf = vec![0u8; 64 * 1024];
        let mut carry: Vec<u8> = Vec::new();
        loop {
            let got = self.file.read_at(&mut buf, pos)?;
            if got == 0 {
                return Ok(self.size);
            }
            let base = pos - carry.len() as u64;
            carry.extend_from_slice(&buf[..got]);
            let mut from = 0;
            while let Some(i) = find(&carry[from..], &self.recend) {
                let end = base + (from + i) as u64 + n;
                if end > at {
                    return Ok(end);
                }
                from += i + 1;
            }
            pos += got as u64;
            let keep = carry.len().saturating_sub(self.recend.len() - 1);
            carry.drain(..keep);
        }
    }
}

/// What a `--pipe`/`--pipepart` job is fed, and how far it has got.
#[derive(Debug)]
pub enum Feeding {
    Block { data: Vec<u8>, written: usize },
    Range { offset: u64, end: u64 },
}

impl Feeding {
    /// Bytes of memory it holds.
    pub fn held(&self) -> usize {
        match self {
            Feeding::Block { data, .. } => data.len(),
            Feeding::Range { .. } => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn blocks_of(data: &[u8], block: usize, recend: &[u8], per: Option<usize>) -> Vec<Vec<u8>> {
        let dir = std::env::temp_dir().join(format!(
            "ptool-pipe-test-{}-{}",
            std::process::id(),
            data.len() + block
        ));
        let mut f = File::create(&dir).expect("temp file");
        f.write_all(data).expect("write");
        let mut b = Blocks::new(
            InputReader::open(&dir).expect("open"),
            block,
            recend.to_vec(),
            per,
        );
        let mut out = Vec::new();
        while let Some(block) = b.take_blocking().expect("reads") {
            out.push(block);
        }
        let _ = std::fs::remove_file(&dir);
        out
    }

    #[test]
    fn blocks_end_at_record_ends() {
        let got = blocks_of(b"aa\nbb\ncc\ndd\n", 7, b"\n", None);
        assert_eq!(got, [b"aa\nbb\n".to_vec(), b"cc\ndd\n".to_vec()]);
        // A record longer than a block is kept whole.
        let got = blocks_of(b"aaaaaaaa\nb\n", 3, b"\n", None);
        assert_eq!(got, [b"aaaaaaaa\n".to_vec(), b"b\n".to_vec()]);
        let got = blocks_of(b"a;b;c;", 1, b";", None);
        assert_eq!(got, [b"a;".to_vec(), b"b;".to_vec(), b"c;".to_vec()]);
        let got = blocks_of(b"1\n2\n3\n4\n5\n6\n7\n", 1 << 20, b"\n", Some(3));
        assert_eq!(
            got,
            [
                b"1\n2\n3\n".to_vec(),
                b"4\n5\n6\n".to_vec(),
                b"7\n".to_vec()
            ]
        );
        let got = blocks_of(b"x\r\ny\r\nz", 4, b"\r\n", None);
        assert_eq!(got, [b"x\r\n".to_vec(), b"y\r\n".to_vec(), b"z".to_vec()]);
    }

    #[test]
    fn parts_cover_the_file_at_record_ends() {
        let path = std::env::temp_dir().join(format!("ptool-parts-test-{}", std::process::id()));
        let data: Vec<u8> = (0..1000)
            .flat_map(|i| format!("{i}\n").into_bytes())
            .collect();
        std::fs::write(&path, &data).expect("write");
        for block in [1u64, 10, 100, 1000, 100_000] {
            let mut p = Parts::open(&path, block, b"\n".to_vec()).expect("open");
            let mut at = 0;
            while let Some((start, end)) = p.take().expect("reads") {
                assert_eq!(start, at);
                assert!(end > start);
                assert!(end == data.len() as u64 || data[end as usize - 1] == b'\n');
                assert!(end - start >= block.min(data.len() as u64 - start));
                at = end;
            }
            assert_eq!(at, data.len() as u64);
        }
        let _ = std::fs::remove_file(&path);
        assert!(Parts::open(std::path::Path::new("/dev/null"), 1, b"\n".to_vec()).is_err());
    }
}
