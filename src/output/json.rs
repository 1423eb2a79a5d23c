//! JSON output: one document per run, or one line per event for streams.
//! Pretty on a terminal, compact (and so faster) in a pipe.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use super::Out;
use super::sanitize::json_escapes;

/// Write one JSON document followed by a newline.
pub fn write<W: Write, T: Serialize + ?Sized>(w: &mut W, out: &Out, value: &T) -> io::Result<()> {
    encode(&mut *w, value, out.is_terminal())?;
    w.write_all(b"\n")
}

/// Write one JSON Lines record (always compact, one line).
pub fn write_line<W: Write, T: Serialize + ?Sized>(w: &mut W, value: &T) -> io::Result<()> {
    encode(&mut *w, value, false)?;
    w.write_all(b"\n")?;
    w.flush()
}

/// Encode `value` as serde_json does (pretty or compact), except that DEL,
/// C1 controls and bidirectional formatting characters in strings are
/// written as `\u` escapes too ([`json_escapes`]): every JSON byte ptool
/// writes goes through here.
pub fn encode<W: Write, T: Serialize + ?Sized>(w: W, value: &T, pretty: bool) -> io::Result<()> {
    if pretty {
        let mut ser = serde_json::Serializer::with_formatter(w, Safe(PrettyFormatter::new()));
        value.serialize(&mut ser).map_err(io::Error::from)
    } else {
        let mut ser = serde_json::Serializer::with_formatter(w, Safe(CompactFormatter));
        value.serialize(&mut ser).map_err(io::Error::from)
    }
}

/// One compact JSON document as bytes (see [`encode`]).
pub fn to_vec<T: Serialize + ?Sized>(value: &T) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    encode(&mut buf, value, false)?;
    Ok(buf)
}

/// A serde_json formatter that escapes what [`json_escapes`] names and
/// leaves the layout to the one it wraps.
struct Safe<F>(F);

impl<F: Formatter> Formatter for Safe<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if json_escapes(c) {
                w.write_all(&fragment.as_bytes()[start..i])?;
                write!(w, "\\u{:04x}", u32::from(c))?;
                start = i + c.len_utf8();
            }
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }

    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
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
        encode(&mut *self.w, key, false)?;
        self.w.write_all(if self.pretty { b": " } else { b":" })
    }

    pub fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> io::Result<()> {
        self.key(key)?;
        encode(&mut *self.w, value, false)
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

    /// DEL, C1 controls and bidi overrides are `\u` escapes (serde_json
    /// leaves them raw), in both layouts and in the streaming writer; the
    /// strings decode the same.
    #[test]
    fn del_c1_and_bidi_are_escaped() -> io::Result<()> {
        let text = "a\u{7f}b\u{9b}31mc\u{202e}d\u{2066}e\u{1b}f é";
        let value = serde_json::json!({ "name": text, text: [text] });
        for pretty in [false, true] {
            let mut buf = Vec::new();
            encode(&mut buf, &value, pretty)?;
            let encoded = String::from_utf8(buf).expect("utf-8");
            assert!(
                !encoded.contains(|c: char| c.is_control() && c != '\n' || json_escapes(c)),
                "{encoded:?}"
            );
            assert!(
                encoded.contains("a\\u007fb\\u009b31mc\\u202ed\\u2066e\\u001bf é"),
                "{encoded}"
            );
            let decoded: serde_json::Value = serde_json::from_str(&encoded)?;
            assert_eq!(decoded, value);
        }
        let mut buf = Vec::new();
        let mut j = JsonWriter::new(&mut buf, false);
        j.open(b'{')?;
        j.field(text, text)?;
        j.close(b'}')?;
        let encoded = String::from_utf8(buf).expect("utf-8");
        assert!(!encoded.contains(json_escapes), "{encoded:?}");
        Ok(())
    }

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
