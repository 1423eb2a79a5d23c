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
}
