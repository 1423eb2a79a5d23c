//! Rendering a process tree: box-drawn lines (Unicode or ASCII), compaction
//! of identical leaves, marks for matches, cutting at the terminal width, and
//! nested JSON. It only formats the [`Tree`] it is given, so every drawing is
//! unit tested against exact strings.
//!
//! Both renderers walk the tree with an explicit stack rather than recursion,
//! so a chain of thousands of nested processes cannot overflow the stack.

use std::collections::HashMap;
use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::forest::{Forest, Selection};
use crate::output::json::JsonWriter;
use crate::output::sanitize::{escape, to_json_string};
use crate::output::table::cut_with;
use crate::output::{Out, Paint, Report, paint};
use crate::proc::{joined_args, split_args};

/// The processes to draw: an arena of nodes and the roots to start from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub nodes: Vec<Node>,
    pub roots: Vec<usize>,
    /// Matches are marked (bold, or a `*` gutter without colour) and JSON
    /// nodes carry `matched`.
    pub marking: bool,
    /// The owners' user names (or UIDs as text), once each, when read: a
    /// name per node would cost a string per process.
    pub users: HashMap<u32, String>,
}

impl Tree {
    /// The part of `forest` that `selection` keeps, as the renderer draws
    /// it: the forest's own nodes, each given its kept children and its
    /// mark, so nothing is copied. Nodes not kept stay in the vector,
    /// unreachable from the roots.
    pub fn from_forest(forest: Forest<Node>, selection: &Selection) -> Tree {
        let (mut nodes, children) = forest.into_parts();
        for (i, mut kids) in children.into_iter().enumerate() {
            kids.retain(|&c| selection.keep[c]);
            nodes[i].children = kids;
            nodes[i].matched = selection.matched[i];
        }
        Tree {
            nodes,
            roots: selection.roots.clone(),
            marking: selection.marking,
            users: HashMap::new(),
        }
    }

    /// The owner's user name (or UID as text) of `node`, when read.
    pub fn user(&self, node: &Node) -> Option<&str> {
        self.users.get(&node.uid?).map(String::as_str)
    }
}

impl Node {
    /// The node of `p`, as the scan reads it (`accepted`: what the selector
    /// said of it then).
    pub fn new(p: crate::proc::Process, accepted: bool) -> Node {
        Node {
            pid: p.pid,
            ppid: p.stat.ppid,
            start_ticks: p.stat.start_ticks,
            thread_count: p.stat.threads,
            uid: p.uid(),
            accepted,
            ..Node::named(&p.stat.name, p.cmdline.as_deref())
        }
    }

    /// A node with this name and raw command line, nothing else set.
    pub fn named(name: &[u8], cmdline: Option<&[u8]>) -> Node {
        let mut node = Node::default();
        node.set_text(name, cmdline);
        node
    }

    /// Set the name and the raw command line (`None`: not read).
    pub fn set_text(&mut self, name: &[u8], cmdline: Option<&[u8]>) {
        let cmdline_bytes = cmdline.unwrap_or_default();
        let mut text = Vec::with_capacity(name.len() + cmdline_bytes.len());
        text.extend_from_slice(name);
        text.extend_from_slice(cmdline_bytes);
        self.text = text.into_boxed_slice();
        self.name_len = name.len();
        self.has_cmdline = cmdline.is_some();
    }

    /// The name (`comm`).
    pub fn name(&self) -> &[u8] {
        &self.text[..self.name_len]
    }

    /// The raw command line (NUL-separated arguments), when it was read.
    pub fn cmdline(&self) -> Option<&[u8]> {
        self.has_cmdline.then(|| &self.text[self.name_len..])
    }
}

impl crate::forest::Member for Node {
    fn pid(&self) -> i32 {
        self.pid
    }

    fn ppid(&self) -> i32 {
        self.ppid
    }

    fn start_key(&self) -> (u64, i32) {
        (self.start_ticks, self.pid)
    }
}

/// One process as drawn. Text fields are raw bytes from the process: the
/// renderer escapes them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub pid: i32,
    pub ppid: i32,
    /// The name ([`Node::name`]) and the command line ([`Node::cmdline`])
    /// in one allocation: two would cost 56 more bytes a process.
    text: Box<[u8]>,
    name_len: usize,
    has_cmdline: bool,
    /// The owner; its name is in [`Tree::users`].
    pub uid: Option<u32>,
    pub matched: bool,
    /// Threads other than the main one, with `--threads`.
    pub threads: Vec<Thread>,
    /// Indices into [`Tree::nodes`], in drawing order.
    pub children: Vec<usize>,
    /// For the forest the tree is cut from ([`super::forest`]): the start
    /// time (siblings' order), the number of threads, and whether the
    /// selector accepted the process.
    pub start_ticks: u64,
    pub thread_count: i64,
    pub accepted: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Thread {
    pub tid: i32,
    pub name: Vec<u8>,
}

/// How to draw: what each label shows and what the output can take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub pids: bool,
    pub args: bool,
    pub owner: bool,
    pub threads: bool,
    /// Show identical leaf siblings once, as `N*[label]`.
    pub compact: bool,
    pub unicode: bool,
    pub color: bool,
    /// Cut lines to this many columns (a terminal's width).
    pub width: Option<usize>,
}

/// The pieces lines are drawn with.
struct Lines {
    branch: &'static str,
    last: &'static str,
    through: &'static str,
    blank: &'static str,
    ellipsis: &'static str,
}

const UNICODE: Lines = Lines {
    branch: "├─",
    last: "└─",
    through: "│ ",
    blank: "  ",
    ellipsis: "…",
};

// `+` marks a cut line, as pstree does.
const ASCII: Lines = Lines {
    branch: "|-",
    last: "`-",
    through: "| ",
    blank: "  ",
    ellipsis: "+",
};

/// The gutter before each line when matches are marked without colour.
const MARK: &str = "* ";
const NO_MARK: &str = "  ";

/// One line below a process: a child, a thread, or a group of identical
/// leaves.
#[derive(Debug)]
struct Entry {
    label: String,
    count: usize,
    matched: bool,
    thread: bool,
    /// The child to descend into, when it has anything below it.
    below: Option<usize>,
}

impl Entry {
    fn text(&self) -> String {
        if self.count > 1 {
            format!("{}*[{}]", self.count, self.label)
        } else {
            self.label.clone()
        }
    }
}

/// Draw `tree` as lines of text.
pub fn render_text<W: Write>(tree: &Tree, style: &Style, w: &mut W) -> io::Result<()> {
    let lines = if style.unicode { &UNICODE } else { &ASCII };
    let gutter = tree.marking && !style.color;
    let mut drawer = Drawer {
        w,
        style,
        lines,
        gutter,
    };
    // Where a frame's lines start: the shared prefix is cut back to its
    // length, so memory stays linear in the depth of the tree.
    struct Frame {
        below: Below,
        left: usize,
        prefix_len: usize,
    }
    let frame = |parent: usize, prefix_len: usize| {
        let (below, left) = Below::of(tree, parent, style);
        Frame {
            below,
            left,
            prefix_len,
        }
    };
    let mut prefix = String::new();
    for &root in &tree.roots {
        let node = &tree.nodes[root];
        drawer.line("", "", &label(tree, node, None, style), node.matched, false)?;
        prefix.clear();
        let mut stack = vec![frame(root, 0)];
        while let Some(top) = stack.last_mut() {
            if top.left == 0 {
                stack.pop();
                continue;
            }
            top.left -= 1;
            let last = top.left == 0;
            let Some(entry) = top.below.next(tree, style) else {
                stack.pop();
                continue;
            };
            prefix.truncate(top.prefix_len);
            let connector = if last { lines.last } else { lines.branch };
            drawer.line(
                &prefix,
                connector,
                &entry.text(),
                entry.matched,
                entry.thread,
            )?;
            if let Some(child) = entry.below {
                prefix.push_str(if last { lines.blank } else { lines.through });
                stack.push(frame(child, prefix.len()));
            }
        }
    }
    Ok(())
}

/// The lines below one process still to draw: all made at once when
/// identical leaves are grouped ([`entries`]), else each as it is drawn,
/// so a process with thousands of children costs no list of their labels.
enum Below {
    Grouped(std::vec::IntoIter<Entry>),
    Each { parent: usize, next: usize },
}

impl Below {
    /// The lines below `parent`, and how many there are.
    fn of(tree: &Tree, parent: usize, style: &Style) -> (Below, usize) {
        let node = &tree.nodes[parent];
        // With --args only threads are grouped ([`entries`]).
        if style.compact && (!style.args || !node.threads.is_empty()) {
            let grouped = entries(tree, parent, style);
            let len = grouped.len();
            (Below::Grouped(grouped.into_iter()), len)
        } else {
            let len = node.threads.len() + node.children.len();
            (Below::Each { parent, next: 0 }, len)
        }
    }

    fn next(&mut self, tree: &Tree, style: &Style) -> Option<Entry> {
        match self {
            Below::Grouped(entries) => entries.next(),
            Below::Each { parent, next } => {
                let entry = entry(tree, *parent, *next, style);
                *next += 1;
                entry
            }
        }
    }
}

struct Drawer<'a, W> {
    w: &'a mut W,
    style: &'a Style,
    lines: &'a Lines,
    gutter: bool,
}

impl<W: Write> Drawer<'_, W> {
    fn line(
        &mut self,
        prefix: &str,
        connector: &str,
        text: &str,
        matched: bool,
        thread: bool,
    ) -> io::Result<()> {
        let mut head = String::with_capacity(prefix.len() + 8);
        if self.gutter {
            head.push_str(if matched { MARK } else { NO_MARK });
        }
        match self.style.width {
            // Every character of a prefix is one column wide: take no more
            // than fit, so a very deep line costs the width, not the depth.
            Some(width) => head.extend(prefix.chars().take(width + 1)),
            None => head.push_str(prefix),
        }
        head.push_str(connector);
        let mut text = std::borrow::Cow::Borrowed(text);
        if let Some(width) = self.style.width {
            let used = head.width();
            if used >= width {
                // No room for the label: cut the whole line, so the cut shows.
                head.push_str(&text);
                head = cut_with(&head, width, self.lines.ellipsis);
                text = std::borrow::Cow::Borrowed("");
            } else {
                text = std::borrow::Cow::Owned(cut_with(&text, width - used, self.lines.ellipsis));
            }
        }
        let look = if matched {
            Paint::Bold
        } else if thread {
            Paint::Dim
        } else {
            Paint::Plain
        };
        self.w.write_all(head.as_bytes())?;
        self.w
            .write_all(paint(&text, look, self.style.color).as_bytes())?;
        self.w.write_all(b"\n")
    }
}

/// The lines below `parent`: its threads, then its children; with
/// compaction, identical leaves are one entry at the place of the first.
fn entries(tree: &Tree, parent: usize, style: &Style) -> Vec<Entry> {
    let node = &tree.nodes[parent];
    // Not sized for every child: identical leaves make one entry.
    let mut out: Vec<Entry> = Vec::new();
    let mut groups: HashMap<(String, bool, bool), usize> = HashMap::new();
    let mut add = |entry: Entry, out: &mut Vec<Entry>| {
        // With --args, as with `pstree -a`, processes are never compacted
        // (their command lines may differ); threads still are.
        if style.compact && entry.below.is_none() && (entry.thread || !style.args) {
            let key = (entry.label.clone(), entry.matched, entry.thread);
            if let Some(&at) = groups.get(&key) {
                out[at].count += 1;
                return;
            }
            groups.insert(key, out.len());
        }
        out.push(entry);
    };
    for k in 0..node.threads.len() + node.children.len() {
        if let Some(entry) = entry(tree, parent, k, style) {
            add(entry, &mut out);
        }
    }
    out
}

/// The `k`th line below `parent`, ungrouped: its threads first, then its
/// children.
fn entry(tree: &Tree, parent: usize, k: usize, style: &Style) -> Option<Entry> {
    let node = &tree.nodes[parent];
    if let Some(t) = node.threads.get(k) {
        let mut label = format!("{{{}}}", escape(&t.name));
        if style.pids {
            label.push_str(&format!("({})", t.tid));
        }
        return Some(Entry {
            label,
            count: 1,
            matched: false,
            thread: true,
            below: None,
        });
    }
    let c = *node.children.get(k - node.threads.len())?;
    let child = &tree.nodes[c];
    let leaf = child.children.is_empty() && child.threads.is_empty();
    Some(Entry {
        label: label(tree, child, Some(node), style),
        count: 1,
        matched: child.matched,
        thread: false,
        below: (!leaf).then_some(c),
    })
}

/// A process's label: `name(pid,user) args`, each part when asked, and
/// `(name)` with `--args` for a process without a command line. The owner
/// shows on a root and wherever it differs from the parent's.
fn label(tree: &Tree, node: &Node, parent: Option<&Node>, style: &Style) -> String {
    let mut out = escape(node.name()).into_owned();
    if style.args && command_line(node).is_none() {
        // No command line (a kernel thread, a zombie): in parentheses, as
        // `pstree -a` shows it.
        out = format!("({out})");
    }
    let mut extras: Vec<String> = Vec::new();
    if style.pids {
        extras.push(node.pid.to_string());
    }
    if style.owner
        && parent.is_none_or(|p| p.uid != node.uid)
        && let Some(user) = tree.user(node)
    {
        extras.push(escape(user.as_bytes()).into_owned());
    }
    if !extras.is_empty() {
        out.push('(');
        out.push_str(&extras.join(","));
        out.push(')');
    }
    if style.args
        && let Some(args) = shown_args(node)
    {
        out.push(' ');
        out.push_str(&escape(&args));
    }
    out
}

/// The arguments `--args` shows after the name: the command line, without
/// its first word when that only names the program again (`sleep 10` after
/// `sleep`, `/usr/bin/python3 x.py` after `python3`). A command line
/// rewritten by its process (`sshd: alice [priv]`) is shown whole.
fn shown_args(node: &Node) -> Option<Vec<u8>> {
    let mut args = split_args(node.cmdline()?);
    let program = args
        .first()?
        .rsplit(|&b| b == b'/')
        .next()
        .unwrap_or_default();
    // The kernel keeps 15 bytes of a name (TASK_COMM_LEN - 1): a name that
    // long may be the cut-off start of the program's.
    let name = node.name();
    let same = program == name || (name.len() == COMM_MAX && program.starts_with(name));
    if same {
        args.remove(0);
    }
    if args.is_empty() {
        return None;
    }
    Some(args.join(&b' '))
}

const COMM_MAX: usize = 15;

/// The command line joined with spaces, as `ptool ls` shows it.
fn command_line(node: &Node) -> Option<Vec<u8>> {
    joined_args(node.cmdline()?)
}

/// What `tree` prints: the tree drawn in a style, or streamed as JSON.
#[derive(Debug, Clone, Copy)]
pub struct Drawn<'a> {
    pub tree: &'a Tree,
    pub style: &'a Style,
}

impl Report for Drawn<'_> {
    fn render<W: Write>(&self, _out: &Out, w: &mut W) -> io::Result<()> {
        render_text(self.tree, self.style, w)
    }

    fn json<W: Write>(&self, out: &Out, w: &mut W) -> io::Result<()> {
        render_json(self.tree, self.style, out.is_terminal(), w)
    }
}

/// `--json`: an array of the roots, each an object with its `children`
/// nested. Pretty when `pretty` (a terminal), compact otherwise.
pub fn render_json<W: Write>(
    tree: &Tree,
    style: &Style,
    pretty: bool,
    w: &mut W,
) -> io::Result<()> {
    let mut j = JsonWriter::new(w, pretty);
    j.open(b'[')?;
    let mut stack: Vec<std::slice::Iter<'_, usize>> = Vec::new();
    let mut roots = tree.roots.iter();
    loop {
        let next = match stack.last_mut() {
            Some(children) => children.next(),
            None => roots.next(),
        };
        match next {
            Some(&i) => {
                j.item()?;
                open_node(&mut j, tree, &tree.nodes[i], style)?;
                stack.push(tree.nodes[i].children.iter());
            }
            None if stack.pop().is_some() => {
                j.close(b']')?;
                j.close(b'}')?;
            }
            None => break,
        }
    }
    j.close(b']')?;
    j.w.write_all(b"\n")
}

/// Write a node's fields, up to and including the opening of `children`.
fn open_node<W: Write>(
    j: &mut JsonWriter<'_, W>,
    tree: &Tree,
    node: &Node,
    style: &Style,
) -> io::Result<()> {
    j.open(b'{')?;
    j.field("pid", &node.pid)?;
    j.field("ppid", &node.ppid)?;
    j.field("name", &to_json_string(node.name()))?;
    j.field("cmd", &command_line(node).map(|c| to_json_string(&c)))?;
    j.field("user", &tree.user(node))?;
    if tree.marking {
        j.field("matched", &node.matched)?;
    }
    if style.threads {
        j.key("threads")?;
        j.open(b'[')?;
        for t in &node.threads {
            j.item()?;
            j.open(b'{')?;
            j.field("tid", &t.tid)?;
            j.field("name", &to_json_string(&t.name))?;
            j.close(b'}')?;
        }
        j.close(b']')?;
    }
    j.key("children")?;
    j.open(b'[')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(pid: i32, ppid: i32, name: &str, children: Vec<usize>) -> Node {
        Node {
            pid,
            ppid,
            uid: Some(1000),
            children,
            ..Node::named(name.as_bytes(), None)
        }
    }

    /// init(1)
    ///   sh(10): a(11) b(12) -> {c(13) c(14)}, d(15), e(16..19)
    ///   cron(2)
    fn family() -> Tree {
        let mut nodes = vec![
            node(1, 0, "init", vec![1, 11]),
            node(10, 1, "sh", vec![2, 3, 6, 7, 8, 9, 10]),
            node(11, 10, "a", vec![]),
            node(12, 10, "b", vec![4, 5]),
            node(13, 12, "c", vec![]),
            node(14, 12, "c", vec![]),
            node(15, 10, "d", vec![]),
            node(16, 10, "e", vec![]),
            node(17, 10, "e", vec![]),
            node(18, 10, "e", vec![]),
            node(19, 10, "e", vec![]),
            node(2, 1, "cron", vec![]),
        ];
        nodes[0].uid = Some(0);
        nodes[11].uid = Some(0);
        Tree {
            nodes,
            roots: vec![0],
            marking: false,
            users: HashMap::from([(0, "root".into()), (1000, "alice".into())]),
        }
    }

    fn text(tree: &Tree, style: Style) -> String {
        let mut buf = Vec::new();
        render_text(tree, &style, &mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    fn json(tree: &Tree, style: Style, pretty: bool) -> String {
        let mut buf = Vec::new();
        render_json(tree, &style, pretty, &mut buf).expect("renders");
        String::from_utf8(buf).expect("utf-8")
    }

    const COMPACT: Style = Style {
        pids: false,
        args: false,
        owner: false,
        threads: false,
        compact: true,
        unicode: false,
        color: false,
        width: None,
    };

    #[test]
    fn ascii_compacted() {
        assert_eq!(
            text(&family(), COMPACT),
            "init\n\
             |-sh\n\
             | |-a\n\
             | |-b\n\
             | | `-2*[c]\n\
             | |-d\n\
             | `-4*[e]\n\
             `-cron\n"
        );
    }

    #[test]
    fn unicode_with_pids_uncompacted() {
        let style = Style {
            pids: true,
            compact: false,
            unicode: true,
            ..COMPACT
        };
        assert_eq!(
            text(&family(), style),
            "init(1)\n\
             ├─sh(10)\n\
             │ ├─a(11)\n\
             │ ├─b(12)\n\
             │ │ ├─c(13)\n\
             │ │ └─c(14)\n\
             │ ├─d(15)\n\
             │ ├─e(16)\n\
             │ ├─e(17)\n\
             │ ├─e(18)\n\
             │ └─e(19)\n\
             └─cron(2)\n"
        );
    }

    #[test]
    fn owner_where_it_changes() {
        let mut tree = family();
        tree.nodes[4].uid = Some(0);
        let style = Style {
            owner: true,
            ..COMPACT
        };
        assert_eq!(
            text(&tree, style),
            "init(root)\n\
             |-sh(alice)\n\
             | |-a\n\
             | |-b\n\
             | | |-c(root)\n\
             | | `-c\n\
             | |-d\n\
             | `-4*[e]\n\
             `-cron\n"
        );
        let style = Style {
            pids: true,
            ..style
        };
        assert!(text(&tree, style).contains("|-sh(10,alice)\n"));
    }

    #[test]
    fn matches_get_a_gutter_without_colour_and_bold_with() {
        let mut tree = family();
        tree.marking = true;
        tree.nodes[3].matched = true;
        for i in 7..=10 {
            tree.nodes[i].matched = true;
        }
        tree.nodes[9].matched = false;
        assert_eq!(
            text(&tree, COMPACT),
            "  init\n  \
               |-sh\n  \
               | |-a\n\
             * | |-b\n  \
               | | `-2*[c]\n  \
               | |-d\n\
             * | |-3*[e]\n  \
               | `-e\n  \
               `-cron\n"
        );
        let style = Style {
            color: true,
            ..COMPACT
        };
        let coloured = text(&tree, style);
        assert!(coloured.contains("| |-\x1b[1mb\x1b[0m\n"), "{coloured}");
        assert!(coloured.starts_with("init\n"));
    }

    #[test]
    fn threads_args_and_escaping() {
        let mut tree = Tree {
            nodes: vec![
                Node {
                    pid: 5,
                    ppid: 1,
                    threads: vec![
                        Thread {
                            tid: 6,
                            name: b"worker".to_vec(),
                        },
                        Thread {
                            tid: 7,
                            name: b"worker".to_vec(),
                        },
                    ],
                    children: vec![1, 2, 3],
                    ..Node::named(b"python3", Some(b"/usr/bin/python3\0-m\0http.server\0"))
                },
                Node {
                    pid: 8,
                    ..Node::named(b"\x1b]0;pwned\x07", Some(b"evil\0a\nb\0"))
                },
                Node {
                    pid: 9,
                    ..Node::named(b"sshd", Some(b"sshd: alice [priv]\0"))
                },
                Node {
                    pid: 10,
                    ..Node::named(b"kworker/0:1", Some(b""))
                },
                Node {
                    pid: 11,
                    ..Node::named(b"sleep", Some(b"sleep\x0010\0"))
                },
                Node {
                    pid: 12,
                    ..Node::named(b"sleep", Some(b"sleep\x0010\0"))
                },
            ],
            roots: vec![0],
            marking: false,
            users: HashMap::new(),
        };
        tree.nodes[0].children.extend([4, 5]);
        let style = Style {
            args: true,
            threads: true,
            ..COMPACT
        };
        // As `pstree -a`: threads compact, processes do not; no command
        // line, in parentheses.
        assert_eq!(
            text(&tree, style),
            "python3 -m http.server\n\
             |-2*[{worker}]\n\
             |-\\e]0;pwned\\x07 evil a\\nb\n\
             |-sshd sshd: alice [priv]\n\
             |-(kworker/0:1)\n\
             |-sleep 10\n\
             `-sleep 10\n"
        );
        let style = Style {
            args: false,
            ..style
        };
        assert!(text(&tree, style).ends_with("|-kworker/0:1\n`-2*[sleep]\n"));
        let style = Style {
            pids: true,
            args: true,
            compact: false,
            ..style
        };
        assert!(
            text(&tree, style)
                .starts_with("python3(5) -m http.server\n|-{worker}(6)\n|-{worker}(7)\n")
        );
    }

    #[test]
    fn lines_are_cut_at_the_width() {
        let style = Style {
            width: Some(8),
            unicode: true,
            ..COMPACT
        };
        let mut tree = family();
        tree.nodes[2].set_text(b"abcdefghij", None);
        let drawn = text(&tree, style);
        assert!(drawn.contains("\n│ ├─abc…\n│ ├─b\n│ │ └─2…\n"), "{drawn}");
        assert!(drawn.lines().all(|l| l.width() <= 8), "{drawn}");
        let narrow = Style {
            width: Some(3),
            unicode: false,
            ..COMPACT
        };
        let drawn = text(&tree, narrow);
        assert!(drawn.contains("\n| +\n"), "{drawn}");
        assert!(drawn.lines().all(|l| l.width() <= 3), "{drawn}");
        // a prefix that fills the width still shows that the line was cut
        let four = Style {
            width: Some(4),
            ..narrow
        };
        assert!(text(&tree, four).contains("\n| |+\n"));
        assert_eq!(cut_with("日本語テキスト", 7, "…"), "日本語…");
        assert_eq!(cut_with("short", 7, "…"), "short");
    }

    #[test]
    fn json_nests_like_serde_json() {
        let mut tree = family();
        tree.nodes[1].set_text(b"sh", Some(b"sh\0-c\0x\xff\0"));
        tree.nodes[2].uid = None;
        let style = Style {
            threads: true,
            ..COMPACT
        };
        tree.nodes[3].threads.push(Thread {
            tid: 99,
            name: b"b".to_vec(),
        });
        tree.marking = true;
        tree.nodes[4].matched = true;
        let compact = json(&tree, style, false);
        let value: serde_json::Value = serde_json::from_str(&compact).expect("valid JSON");
        let pretty = json(&tree, style, true);
        assert_eq!(
            pretty,
            format!(
                "{}\n",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )
        );
        assert_eq!(
            compact,
            format!("{}\n", serde_json::to_string(&value).unwrap_or_default())
        );
        let sh = &value[0]["children"][0];
        assert_eq!(sh["pid"], 10);
        assert_eq!(sh["ppid"], 1);
        assert_eq!(sh["cmd"], "sh -c x\\xff");
        assert_eq!(sh["user"], "alice");
        assert_eq!(sh["matched"], false);
        assert_eq!(sh["children"][0]["user"], serde_json::Value::Null);
        assert_eq!(sh["children"][1]["threads"][0]["tid"], 99);
        assert_eq!(sh["children"][1]["children"][0]["matched"], true);
        let e: Vec<_> = sh["children"]
            .as_array()
            .map(|a| a.iter().map(|c| c["name"].clone()).collect())
            .unwrap_or_default();
        assert_eq!(e, ["a", "b", "d", "e", "e", "e", "e"]);
        assert_eq!(value[0]["children"][1]["children"], serde_json::json!([]));
        // no matched flag without marking, no threads without --threads
        let plain = json(&family(), COMPACT, false);
        assert!(!plain.contains("matched") && !plain.contains("threads"));
        assert_eq!(json(&Tree::default(), COMPACT, true), "[]\n");
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let depth = 50_000;
        let nodes = (0..depth)
            .map(|i| Node {
                pid: i as i32 + 1,
                children: if i + 1 < depth { vec![i + 1] } else { vec![] },
                ..Node::named(b"x", None)
            })
            .collect();
        let tree = Tree {
            nodes,
            roots: vec![0],
            marking: false,
            users: HashMap::new(),
        };
        let mut sink = io::sink();
        render_json(&tree, &COMPACT, false, &mut sink).expect("json");
        let narrow = Style {
            width: Some(40),
            ..COMPACT
        };
        render_text(&tree, &narrow, &mut sink).expect("text");
    }
}
