//! The arguments of the commands that describe ptool itself: `completions`
//! (shell completion scripts), `man` (roff manual pages) and the hidden
//! `complete-pids` that the completion scripts call back for live PIDs.

use std::path::PathBuf;

use clap::{Args, ValueEnum, ValueHint};

/// The shells ptool writes completion scripts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TargetShell {
    Bash,
    Zsh,
    Fish,
    Elvish,
    #[value(name = "powershell")]
    PowerShell,
}

/// `ptool completions SHELL`: print a completion script.
#[derive(Debug, Args)]
#[command(after_help = COMPLETIONS_AFTER_HELP)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: TargetShell,
}

const COMPLETIONS_AFTER_HELP: &str =
    "The script completes subcommands, flags, fixed values (signal names, column
and sort keys, states, --color) and file names; in bash, zsh and fish a PID
completes to the live processes, shown with their names where the shell can.

Examples:
  mkdir -p ~/.local/share/bash-completion/completions && ptool completions bash > ~/.local/share/bash-completion/completions/ptool
  mkdir -p ~/.zfunc && ptool completions zsh > ~/.zfunc/_ptool
  mkdir -p ~/.config/fish/completions && ptool completions fish > ~/.config/fish/completions/ptool.fish";

/// `ptool man [SUBCOMMAND]`: print a manual page.
#[derive(Debug, Args)]
#[command(after_help = MAN_AFTER_HELP)]
pub struct ManArgs {
    /// The subcommand whose page to print (default: ptool's own page)
    #[arg(value_name = "SUBCOMMAND", conflicts_with = "dir")]
    pub subcommand: Option<String>,
    /// Write every page (ptool.1, ptool-ls.1, ...) into DIR instead of printing one
    #[arg(long, value_name = "DIR", value_hint = ValueHint::DirPath)]
    pub dir: Option<PathBuf>,
}

const MAN_AFTER_HELP: &str = "Examples:
  ptool man | man -l -
  ptool man kill | man -l -
  ptool man --dir ~/.local/share/man/man1";

/// `ptool complete-pids SHELL INDEX WORDS...`: the live PIDs a completion
/// script should offer for word INDEX of the command line WORDS, or nothing
/// when that word is not a PID. Called by the scripts `completions` writes.
#[derive(Debug, Args)]
pub struct CompletePidsArgs {
    /// The shell asking (decides the format: bash, zsh or fish)
    #[arg(value_enum)]
    pub shell: TargetShell,
    /// Which of WORDS is being completed (0 is the command name)
    pub index: usize,
    /// The command line so far, split into words by the shell
    #[arg(num_args = 0.., trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}
