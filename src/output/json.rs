//! JSON output: one document per run, or one line per event for streams.
//! Pretty on a terminal, compact (and so faster) in a pipe.

use std::io::{self, Write};

use serde::Serialize;

use super::Out;

/// Write one JSON document followed by a newline.
pub fn write<W: Write, T: Serialize + ?Sized>(w: &mut W, out: &Out, value: &T) -> io::Result<()> {
    if out.is_terminal() {
        serde_json::to_writer_pretty(&mut *w, value)?;
    } else {
        serde_json::to_writer(&mut *w, value)?;
    }
    w.write_all(b"\n")
}

/// Write one JSON Lines record (always compact, one line).
pub fn write_line<W: Write, T: Serialize + ?Sized>(w: &mut W, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *w, value)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// A streaming JSON writer for nesting of any depth, laid out exactly as
/// `serde_json` does (compact, or pretty with two-space indents); scalar
/// values are encoded by `serde_json` itself. For documents too deep for a
/// recursive `Serialize` (a process tree can be a chain of any length): the
/// caller walks its data with its own stack.
#[derive(Debug)]
pub struct JsonWriter<'a, W> {
    pub w: &'a mut W,
    pretty: bool,
    depth: usize,
    /// Nothing written yet in the innermost open container.
    empty: bool,
}

impl<'a, W: Write> JsonWriter<'a, W> {
    pub fn new(w: &'a mut W, pretty: bool) -> Self {
        JsonWriter {
            w,
            pretty,
            depth: 0,
            empty: true,
        }
    }

    pub fn open(&mut self, bracket: u8) -> io::Result<()> {
        self.depth += 1;
        self.empty = true;
        self.w.write_all(&[bracket])
    }

    pub fn close(&mut self, bracket: u8) -> io::Result<()> {
        self.depth -= 1;
        if !self.empty {
            self.newline()?;
        }
        self.empty = false;
        self.w.write_all(&[bracket])
    }

    /// Before an array element.
    pub fn item(&mut self) -> io::Result<()> {
        if !self.empty {
            self.w.write_all(b",")?;
        }
        self.empty = false;
        self.newline()
    }

    pub fn key(&mut self, key: &str) -> io::Result<()> {
        self.item()?;
        serde_json::to_writer(&mut *self.w, key)?;
        self.w.write_all(if self.pretty { b": " } else { b":" })
    }

    pub fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        serde_json::to_writer(&mut *self.w, value)?;
        Ok(())
    }

    fn newline(&mut self) -> io::Result<()> {
        if self.pretty {
            self.w.write_all(b"\n")?;
            for _ in 0..self.depth {
                self.w.write_all(b"  ")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_in_a_pipe_pretty_on_a_terminal() -> io::Result<()> {
        let value = serde_json::json!({"pid": 1, "name": "init"});
        let mut buf = Vec::new();
        write(&mut buf, &Out::PLAIN, &value)?;
        assert_eq!(
            String::from_utf8_lossy(&buf),
            "{\"pid\":1,\"name\":\"init\"}\n"
        );
        let mut buf = Vec::new();
        let term = Out {
            width: Some(80),
            ..Out::PLAIN
        };
        write(&mut buf, &term, &value)?;
        assert!(String::from_utf8_lossy(&buf).contains("\n  \"pid\": 1"));
        Ok(())
    }

    #[test]
    fn the_streaming_writer_lays_out_like_serde_json() -> io::Result<()> {
        let value = serde_json::json!([{"pid": 1, "kids": [{"pid": 2, "kids": []}]}, []]);
        for pretty in [false, true] {
            let mut buf = Vec::new();
            let mut j = JsonWriter::new(&mut buf, pretty);
            j.open(b'[')?;
            j.item()?;
            j.open(b'{')?;
            j.field("pid", &1)?;
            j.key("kids")?;
            j.open(b'[')?;
            j.item()?;
            j.open(b'{')?;
            j.field("pid", &2)?;
            j.key("kids")?;
            j.open(b'[')?;
            j.close(b']')?;
            j.close(b'}')?;
            j.close(b']')?;
            j.close(b'}')?;
            j.item()?;
            j.open(b'[')?;
            j.close(b']')?;
            j.close(b']')?;
            let expected = if pretty {
                serde_json::to_string_pretty(&value)?
            } else {
                serde_json::to_string(&value)?
            };
            assert_eq!(String::from_utf8_lossy(&buf), expected);
        }
        Ok(())
    }
}
