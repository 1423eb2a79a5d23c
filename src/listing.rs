//! A listing of processes as rows of typed column values: what `ls` prints
//! and `top` shows. Gathering computes the values and sorts; rendering
//! turns the rows into a table, or JSON objects keyed by column.

use std::cmp::Ordering;
use std::io::Write;

use crate::columns::{Column, Context, SortKey};
use crate::output::table::{Column as TableColumn, Table, Text};
use crate::output::value::Value;
use crate::output::{Out, Paint};
use crate::proc::Process;

/// The gathered listing: which columns, and one row of values per process.
/// As JSON: an array with one object per row, keyed by column key.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl serde::Serialize for Listing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap as _, SerializeSeq as _};
        struct Object<'a>(&'a [Column], &'a [Value]);
        impl serde::Serialize for Object<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut map = s.serialize_map(Some(self.0.len()))?;
                for (column, value) in self.0.iter().zip(self.1) {
                    map.serialize_entry(column.key(), value)?;
                }
                map.end()
            }
        }
        let mut seq = s.serialize_seq(Some(self.rows.len()))?;
        for row in &self.rows {
            seq.serialize_element(&Object(&self.columns, &row.values))?;
        }
        seq.end()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub pid: i32,
    pub tid: Option<i32>,
    pub values: Vec<Value>,
}

impl Listing {
    /// The table: the command column (or the last path column) is the one
    /// cut to fit a terminal.
    pub fn table(&self) -> Table {
        let elastic = self
            .columns
            .iter()
            .rposition(|c| matches!(c, Column::Cmd | Column::Exe | Column::Cwd));
        let mut table = Table::new(
            self.columns
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let column = TableColumn::new(c.header(), c.align());
                    if Some(i) == elastic {
                        column.elastic()
                    } else {
                        column
                    }
                })
                .collect(),
        );
        table.rows = self
            .rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(&row.values)
                    .map(|(c, v)| Text::painted(v.display(), paint_for(*c, v)))
                    .collect()
            })
            .collect();
        table
    }
}

/// Compute the rows, sort them and apply the limit.
pub fn gather(
    procs: &[Process],
    columns: &[Column],
    sort: &[SortKey],
    limit: Option<usize>,
    ctx: &mut Context,
) -> Listing {
    let mut keyed: Vec<(Vec<Value>, Row)> = procs
        .iter()
        .map(|p| {
            let keys = sort.iter().map(|k| ctx.value(k.column, p)).collect();
            let values = columns.iter().map(|c| ctx.value(*c, p)).collect();
            (
                keys,
                Row {
                    pid: p.pid,
                    tid: p.tid,
                    values,
                },
            )
        })
        .collect();
    if !sort.is_empty() {
        // Stable: ties keep PID order.
        keyed.sort_by(|(a, _), (b, _)| compare(sort, a, b));
    }
    let mut rows: Vec<Row> = keyed.into_iter().map(|(_, row)| row).collect();
    if let Some(limit) = limit {
        rows.truncate(limit);
    }
    Listing {
        columns: columns.to_vec(),
        rows,
    }
}

/// The order of two rows by their sort-key values (`sort[i]` gave `a[i]`
/// and `b[i]`): the first key that differs decides.
pub fn compare(sort: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    sort.iter()
        .zip(a.iter().zip(b))
        .map(|(key, (x, y))| {
            let order = x.compare(y);
            if key.descending {
                order.reverse()
            } else {
                order
            }
        })
        .find(|o| o.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// The human table (see [`Listing::table`]).
pub fn render_table<W: Write>(
    listing: &Listing,
    out: &Out,
    header: bool,
    w: &mut W,
) -> std::io::Result<()> {
    listing.table().render(w, out, header)
}

/// The colour of a cell: the state letter by state, a stand-in command dim.
pub fn paint_for(column: Column, value: &Value) -> Paint {
    match (column, value) {
        (Column::State, Value::Text(s)) => Paint::for_state(s.bytes().next().unwrap_or(0)),
        (Column::Cmd, Value::Shown(_)) => Paint::Dim,
        _ => Paint::Plain,
    }
}
