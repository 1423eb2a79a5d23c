//! Links GCC's unwinder into the `ptool` binary instead of loading it as a
//! shared library at every start.
//!
//! On linux-gnu, std links the unwinder as the shared `libgcc_s.so.1`. ptool
//! needs it only to print a panic's backtrace, yet each start pays for
//! loading one more library: 0.2 ms of the 1.9 ms a `ptool spawn -- true`
//! took in a shell loop (bench/cases/spawn.py), which made the loop 1.47×
//! `setsid -f` instead of 1.29×. This is what `gcc -static-libgcc` does for
//! C programs. The archive goes in whole, so its definitions win over the
//! shared library's and the linker's `--as-needed` drops `libgcc_s`.
//!
//! Only for native linux-gnu builds, and only when the C compiler that links
//! Rust programs knows where `libgcc_eh.a` is; otherwise nothing changes.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let target = std::env::var("TARGET").unwrap_or_default();
    let host = std::env::var("HOST").unwrap_or_default();
    if target != host || !target.ends_with("-linux-gnu") {
        return;
    }
    if let Some(archive) = gcc_archive("libgcc_eh.a") {
        println!(
            "cargo:rustc-link-arg-bin=ptool=-Wl,--push-state,--whole-archive,{},--pop-state",
            archive.display()
        );
    }
}

/// Where `cc` finds `name`: it prints the bare name when it has none.
fn gcc_archive(name: &str) -> Option<PathBuf> {
    let out = Command::new("cc")
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_absolute() && path.is_file()).then_some(path)
}
