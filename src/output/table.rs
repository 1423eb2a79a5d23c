//! Tables. On a terminal: aligned columns that fit the width by cutting
//! only the one elastic column (the command line). In a pipe: one
//! tab-separated line per row, never cut, so `cut -f` and `awk -F'\t'` work.
//!
//! The layout is done here, by hand, in one pass: the width of each column
//! (by display width), the elastic column cut exactly at the terminal's
//! edge ([`elastic_limit`], [`cut`]), then each row padded and
//! written. comfy-table did the padding until it was measured: it keeps
//! about 160 bytes more per cell than the cells themselves (0.8 MiB for
//! `info`'s table of a process with 1,000 open files, a third of that
//! command's peak memory), and its own dynamic arrangement was no help
//! either: tried with 3000 processes on a 120-column terminal (and compared
//! at 80), it cut commands at a word boundary, up to a whole word short of
//! the edge (32 of 455 lines of `ls -o pid,user,cmd` differed at 80
//! columns), and was slower (418 ms against 405 ms by hand, 1.03x; 0.62x
//! `ps aux` against 0.48x in the same run).

use std::io::{self, Write};

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Out, Paint};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A column: its header, alignment, and whether it may be cut to fit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub header: String,
    pub align: Align,
    pub elastic: bool,
}

impl Column {
    pub fn new(header: impl Into<String>, align: Align) -> Column {
        Column {
            header: header.into(),
            align,
            elastic: false,
        }
    }

    pub fn elastic(mut self) -> Column {
        self.elastic = true;
        self
    }
}

/// One cell: sanitized text and how to paint it on a colour terminal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Text {
    pub text: String,
    pub paint: Paint,
}

impl Text {
    pub fn new(text: impl Into<String>) -> Text {
        Text {
            text: text.into(),
            paint: Paint::Plain,
        }
    }

    pub fn painted(text: impl Into<String>, paint: Paint) -> Text {
        Text {
            text: text.into(),
            paint,
        }
    }
}

/// A whole table, ready to render.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Text>>,
}

/// The narrowest an elastic column is cut to, however small the terminal.
const MIN_ELASTIC: usize = 12;
/// Spaces between columns on a terminal.
const GAP: usize = 1;

impl Table {
    pub fn new(columns: Vec<Column>) -> Table {
        Table {
            columns,
            rows: Vec::new(),
        }
    }

    /// Render with a header line (unless `header` is false).
    pub fn render<W: Write>(&self, w: &mut W, out: &Out, header: bool) -> io::Result<()> {
        render_rows(
            &self.columns,
            &|visit: Visit<'_>| self.rows.iter().try_for_each(|row| visit(row)),
            w,
            out,
            header,
        )
    }
}

/// Something that hands each row of a table to a visitor, in order, and
/// can do so more than once.
pub type Rows<'a> = &'a dyn Fn(Visit<'_>) -> io::Result<()>;
/// The visitor a [`Rows`] hands each row to.
pub type Visit<'v> = &'v mut dyn FnMut(&[Text]) -> io::Result<()>;

/// Render rows made on demand by `rows`, as [`Table::render`] renders its
/// own: for a table of thousands of rows that is never held whole, its
/// cells made once to measure the columns and again to write them.
pub fn render_rows<W: Write>(
    columns: &[Column],
    rows: Rows<'_>,
    w: &mut W,
    out: &Out,
    header: bool,
) -> io::Result<()> {
    match out.width {
        None => render_plain(columns, rows, w, out.color, header),
        Some(width) => render_terminal(columns, rows, w, out, width, header),
    }
}

/// Tab-separated rows; painted only when colour was forced on.
fn render_plain<W: Write>(
    columns: &[Column],
    rows: Rows<'_>,
    w: &mut W,
    color: bool,
    header: bool,
) -> io::Result<()> {
    if header {
        let headers: Vec<String> = columns
            .iter()
            .map(|c| super::paint(&c.header, Paint::Bold, color))
            .collect();
        writeln!(w, "{}", headers.join("\t"))?;
    }
    rows(&mut |row| {
        let mut first = true;
        for cell in row {
            if !first {
                w.write_all(b"\t")?;
            }
            first = false;
            if color && cell.paint != Paint::Plain {
                w.write_all(super::paint(&cell.text, cell.paint, true).as_bytes())?;
            } else {
                w.write_all(cell.text.as_bytes())?;
            }
        }
        w.write_all(b"\n")
    })
}

/// Aligned columns, written row by row as they are laid out: the only
/// state is one width per column and one line, so a table of thousands
/// of rows costs no more than its cells (comfy-table, used before,
/// kept about 160 bytes more per cell).
fn render_terminal<W: Write>(
    columns: &[Column],
    rows: Rows<'_>,
    w: &mut W,
    out: &Out,
    width: usize,
    header: bool,
) -> io::Result<()> {
    let limit = elastic_limit(columns, rows, width, header)?;
    let shown = |i: usize, text: &'_ str| -> String {
        match limit {
            Some(max) if columns.get(i).is_some_and(|c| c.elastic) => cut(text, max),
            _ => text.to_string(),
        }
    };
    let mut widths: Vec<usize> = columns
        .iter()
        .map(|c| if header { c.header.width() } else { 0 })
        .collect();
    rows(&mut |row| {
        for (i, cell) in row.iter().enumerate().take(widths.len()) {
            let text = if limit.is_some() && columns[i].elastic {
                shown(i, &cell.text).width()
            } else {
                cell.text.width()
            };
            widths[i] = widths[i].max(text);
        }
        Ok(())
    })?;
    let mut line = String::new();
    let mut write = |cells: &mut dyn Iterator<Item = (String, Paint)>| -> io::Result<()> {
        line.clear();
        for (i, (text, paint)) in cells.enumerate().take(widths.len()) {
            let pad = " ".repeat(widths[i].saturating_sub(text.width()));
            let text = super::paint(&text, paint, out.color);
            match columns[i].align {
                Align::Left => {
                    line.push_str(&text);
                    line.push_str(&pad);
                }
                Align::Right => {
                    line.push_str(&pad);
                    line.push_str(&text);
                }
            }
            if i + 1 < widths.len() {
                line.push_str(&" ".repeat(GAP));
            }
        }
        let end = line.trim_end_matches(' ').len();
        w.write_all(&line.as_bytes()[..end])?;
        w.write_all(b"\n")
    };
    if header {
        write(&mut columns.iter().map(|c| (c.header.clone(), Paint::Bold)))?;
    }
    rows(&mut |row| {
        write(
            &mut row
                .iter()
                .enumerate()
                .map(|(i, cell)| (shown(i, &cell.text), cell.paint)),
        )
    })
}

/// How wide the elastic column may be so that a row fits `width`.
fn elastic_limit(
    columns: &[Column],
    rows: Rows<'_>,
    width: usize,
    header: bool,
) -> io::Result<Option<usize>> {
    let Some(elastic) = columns.iter().position(|c| c.elastic) else {
        return Ok(None);
    };
    let mut widest: Vec<usize> = columns
        .iter()
        .map(|c| if header { c.header.width() } else { 0 })
        .collect();
    rows(&mut |row| {
        for (i, cell) in row.iter().enumerate().take(widest.len()) {
            widest[i] = widest[i].max(cell.text.width());
        }
        Ok(())
    })?;
    let fixed: usize = widest
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != elastic)
        .map(|(_, w)| w + GAP)
        .sum();
    Ok(Some(width.saturating_sub(fixed).max(MIN_ELASTIC)))
}

/// Cut `text` to at most `max` display columns, ending in `…` when cut.
pub fn cut(text: &str, max: usize) -> String {
    cut_with(text, max, "…")
}

/// Cut `text` to at most `max` display columns, ending in `ellipsis` when
/// cut (`+` for ASCII-only output, as pstree does).
pub fn cut_with(text: &str, max: usize, ellipsis: &str) -> String {
    if text.width() <= max {
        return text.to_string();
    }
    let room = max.saturating_sub(ellipsis.width());
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        out.push(c);
    }
    if max >= ellipsis.width() {
        out.push_str(ellipsis);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new(vec![
            Column::new("PID", Align::Right),
            Column::new("USER", Align::Left),
            Column::new("COMMAND", Align::Left).elastic(),
        ]);
        t.rows.push(vec![
            Text::new("1"),
            Text::new("root"),
            Text::new("/sbin/init splash"),
        ]);
        t.rows.push(vec![
            Text::new("4242"),
            Text::new("alice"),
            Text::new("python3 -m http.server 8000 --bind 127.0.0.1"),
        ]);
        t
    }

    fn render(t: &Table, out: &Out, header: bool) -> String {
        let mut buf = Vec::new();
        t.render(&mut buf, out, header).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    #[test]
    fn pipes_get_tab_separated_rows() {
        let text = render(&sample(), &Out::PLAIN, true);
        assert_eq!(
            text,
            "PID\tUSER\tCOMMAND\n1\troot\t/sbin/init splash\n4242\talice\tpython3 -m http.server 8000 --bind 127.0.0.1\n"
        );
        let text = render(&sample(), &Out::PLAIN, false);
        assert!(text.starts_with("1\troot"));
    }

    #[test]
    fn terminals_get_aligned_columns_cut_to_width() {
        let out = Out {
            width: Some(30),
            ..Out::PLAIN
        };
        let text = render(&sample(), &out, true);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], " PID USER  COMMAND");
        assert_eq!(lines[1], "   1 root  /sbin/init splash");
        assert_eq!(lines[2], "4242 alice python3 -m http.se…");
        assert!(lines.iter().all(|l| l.chars().count() <= 30));
    }

    #[test]
    fn wide_terminals_cut_nothing() {
        let out = Out {
            width: Some(200),
            ..Out::PLAIN
        };
        let text = render(&sample(), &out, false);
        assert!(text.contains("--bind 127.0.0.1\n"));
        assert!(!text.contains("PID"));
    }

    #[test]
    fn colour_only_when_asked() {
        let mut t = sample();
        t.rows[0][1] = Text::painted("root", Paint::Red);
        let out = Out {
            width: Some(80),
            ..Out::PLAIN
        };
        assert!(!render(&t, &out, true).contains('\x1b'));
        let out = Out { color: true, ..out };
        assert!(render(&t, &out, true).contains('\x1b'));
    }

    #[test]
    fn cut_counts_display_width() {
        assert_eq!(cut("hello", 10), "hello");
        assert_eq!(cut("hello world", 6), "hello…");
        assert_eq!(cut("日本語テキスト", 7), "日本語…");
    }
}
