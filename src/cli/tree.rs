//! `ptool tree`'s flags.

use clap::Args;

use super::SelectArgs;

/// `ptool tree`: draw the process tree.
#[derive(Debug, Args)]
#[command(after_help = TREE_AFTER_HELP)]
pub struct TreeArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub draw: TreeDrawArgs,
}

/// What `ptool tree` keeps and how it draws it.
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Drawing the tree")]
pub struct TreeDrawArgs {
    /// Draw the chain from the root down to each selected process (like pstree -s)
    #[arg(short = 's', long)]
    pub ancestors: bool,
    /// Also keep the descendants of each selected process
    #[arg(short = 'd', long)]
    pub descendants: bool,
    /// Show PIDs, as name(1234); turns compaction off
    #[arg(short = 'p', long)]
    pub pids: bool,
    /// Show command-line arguments after each name
    #[arg(short = 'a', long)]
    pub args: bool,
    /// Show the owner on each root and wherever it changes from the parent
    #[arg(long)]
    pub owner: bool,
    /// Show threads, as {name}
    #[arg(short = 'T', long)]
    pub threads: bool,
    // The help text is given as a string: rustdoc would read `[name]` in a
    // doc comment as a link.
    #[arg(
        short = 'c',
        long,
        help = "Show identical leaf siblings one by one instead of as N*[name]"
    )]
    pub no_compact: bool,
    /// Draw the lines in plain ASCII
    #[arg(short = 'A', long, conflicts_with = "unicode")]
    pub ascii: bool,
    /// Draw the lines in Unicode even when stdout is not a UTF-8 terminal
    #[arg(short = 'U', long)]
    pub unicode: bool,
}

const TREE_AFTER_HELP: &str =
    "With no selector, every process is drawn from its roots; PIDs alone draw
their subtrees. A pattern or other criterion keeps each match with its
ancestors (within the given PIDs' subtrees, if any) and marks it: bold on a
colour terminal, a '*' at the start of its line otherwise. Children are
drawn in the order they started.

Examples:
  ptool tree                       every process, like pstree
  ptool tree -p 1234               the subtree of 1234, with PIDs
  ptool tree -s -p 1234            the chain from the root down to 1234
  ptool tree -n '^sleep$' -d       every sleep, its ancestors and its children
  ptool tree --json 1234 | jq '.[0].children[].pid'";

#[cfg(test)]
mod tests {
    use crate::cli::{Cli, Command, DeferredArgs};
    use clap::Parser as _;

    #[test]
    fn tree_flags_parse() {
        let cli = Cli::try_parse_from(["ptool", "tree", "-s", "-p", "-A", "-T", "--owner", "42"])
            .expect("parses");
        let Command::Tree(DeferredArgs(args)) = cli.command else {
            panic!("not tree");
        };
        let d = &args.draw;
        assert!(d.ancestors && d.pids && d.ascii && d.threads && d.owner);
        assert!(!d.unicode && !d.args && !d.no_compact && !d.descendants);
        assert_eq!(args.select.pids, vec![42]);
        // -u stays the selector's owner filter
        let cli = Cli::try_parse_from(["ptool", "pstree", "-u", "root", "-a"]).expect("parses");
        let Command::Tree(DeferredArgs(args)) = cli.command else {
            panic!("not tree");
        };
        assert_eq!(args.select.users, vec!["root".to_string()]);
        assert!(args.draw.args);
        assert!(Cli::try_parse_from(["ptool", "tree", "-A", "-U"]).is_err());
    }
}
