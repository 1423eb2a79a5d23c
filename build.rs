//! Link-time choices that make the `ptool` binary quicker to start: a
//! detached `ptool spawn` run from a shell loop pays start-up once per
//! command started (bench/cases/spawn.py).
//!
//! - GCC's unwinder goes into the binary instead of being loaded as the
//!   shared `libgcc_s.so.1`, which std links on linux-gnu and ptool needs
//!   only to print a panic's backtrace: one shared library fewer to load,
//!   0.2 ms of a 1.9 ms start, taking the loop from 1.47× `setsid -f` to
//!   1.29×. This is what `gcc -static-libgcc` does for C programs. The
//!   archive goes in whole, so its definitions win over the shared
//!   library's and the linker's `--as-needed` drops `libgcc_s`.
//! - Relative relocations are packed (`-z pack-relative-relocs`, DT_RELR):
//!   the dynamic loader then reads a 3 KiB table instead of a 190 KiB one,
//!   and a start takes 0.12 ms less (the loop 1.37× to 1.28×).
//!
//! - In release builds, the functions the scan commands run go first and
//!   side by side (the linker script `bench/layout/hot.ld`, written by
//!   `bench/layout/generate`, which says why): the kernel maps code in
//!   64 KiB blocks around each page a program runs, so scattered functions
//!   make nearly all of ptool's 3 MiB of code resident. Packed, `ptool
//!   tree` at 5,000 processes peaks at about 4,100 KiB instead of 5,800.
//!
//! Each applies only to native linux-gnu builds, and only when the C
//! compiler that links Rust programs supports it (a probe program is linked
//! and run); otherwise the binary is linked as usual.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

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
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    if links_packed_relocations(&out_dir) {
        println!("cargo:rustc-link-arg-bin=ptool=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed={HOT_FUNCTIONS}");
    let hot =
        Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join(HOT_FUNCTIONS);
    if std::env::var("PROFILE").as_deref() == Ok("release") && links_with_script(&out_dir, &hot) {
        println!("cargo:rustc-link-arg-bin=ptool=-Wl,-T,{}", hot.display());
    }
}

/// The linker script that puts the scan commands' functions first.
const HOT_FUNCTIONS: &str = "bench/layout/hot.ld";

/// Whether a program links with the linker script `script` (it exists, and
/// the linker takes `INSERT BEFORE`: GNU ld and LLD both do) and runs.
fn links_with_script(out_dir: &Path, script: &Path) -> bool {
    script.is_file()
        && probe(
            out_dir,
            "script-probe",
            "int main(void) { return 0; }\n",
            &[
                "-fPIE".into(),
                "-pie".into(),
                "-ffunction-sections".into(),
                format!("-Wl,-T,{}", script.display()),
            ],
        )
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

/// Whether a program linked with packed relative relocations links without
/// a warning (binutils 2.38 or later, against glibc 2.36 or later) and runs
/// (the dynamic loader here understands them).
fn links_packed_relocations(out_dir: &Path) -> bool {
    // A pointer in static data: one relative relocation to pack.
    let code = "static int x = 7;\nint *p = &x;\nint main(void) { return *p - 7; }\n";
    let flags = [
        "-fPIE",
        "-pie",
        "-Wl,-z,pack-relative-relocs",
        "-Wl,--fatal-warnings",
    ];
    probe(out_dir, "relr-probe", code, &flags.map(String::from))
}

/// Whether the C program `code`, linked by `cc` with `flags` in `out_dir`
/// as `name`, links and runs successfully.
fn probe(out_dir: &Path, name: &str, code: &str, flags: &[String]) -> bool {
    let source = out_dir.join(format!("{name}.c"));
    let program = out_dir.join(name);
    if std::fs::write(&source, code).is_err() {
        return false;
    }
    let quiet = |cmd: &mut Command| {
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    quiet(
        Command::new("cc")
            .args(flags)
            .arg(&source)
            .arg("-o")
            .arg(&program),
    ) && quiet(&mut Command::new(&program))
}
