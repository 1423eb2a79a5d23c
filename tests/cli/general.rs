//! Behaviour shared by every subcommand: help, version, usage errors, pipes.

use crate::support::*;

#[test]
fn help_and_version_succeed() {
    let out = ptool(["--help"]);
    out.success();
    assert!(out.stdout.contains("ls"));
    let out = ptool(["--version"]);
    out.success();
    assert!(out.stdout.starts_with("ptool "));
}

#[test]
fn unknown_flags_are_one_line_usage_errors() {
    ptool(["--bogus"]).usage_error();
    ptool(["ls", "--bogus"]).usage_error();
    ptool(["nosuchcommand"]).usage_error();
}

#[test]
fn no_subcommand_shows_help_and_exits_2() {
    let out = ptool(Vec::<&str>::new());
    out.expect_code(2);
    assert!(out.stderr.contains("Usage"));
}
