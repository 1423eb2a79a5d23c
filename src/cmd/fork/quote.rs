//! Shell quoting: how an input becomes data, never code, inside a command
//! string for `/bin/sh -c`, and how `--dry-run` and the joblog print a
//! command so that it can be pasted back into a shell.
//!
//! A word made only of characters no POSIX shell treats specially is left
//! as it is (`file.txt`, `-n`, `a/b:c`), as GNU parallel prints it;
//! anything else goes in single quotes, where only `'` itself needs care
//! (`'it'"'"'s'`). Newlines and other bytes are fine inside single quotes.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// True for the bytes that need no quoting anywhere in a word.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-_./+,:@%".contains(&b)
}

/// Append `word` to `out`, quoted for a POSIX shell.
pub fn quote_into(word: &[u8], out: &mut Vec<u8>) {
    if !word.is_empty() && word.iter().all(|&b| is_plain(b)) {
        out.extend_from_slice(word);
        return;
    }
    out.push(b'\'');
    for &b in word {
        if b == b'\'' {
            out.extend_from_slice(b"'\"'\"'");
        } else {
            out.push(b);
        }
    }
    out.push(b'\'');
}

/// `word`, quoted for a POSIX shell.
#[cfg(test)]
fn quote(word: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(word.len() + 2);
    quote_into(word, &mut out);
    out
}

/// An argument vector as one shell command line.
pub fn command_line(argv: &[OsString]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, word) in argv.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        quote_into(word.as_bytes(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_stay_plain() {
        assert_eq!(quote(b"file.txt"), b"file.txt");
        assert_eq!(quote(b"-n"), b"-n");
        assert_eq!(quote(b"a/b:c,d@e%f+g"), b"a/b:c,d@e%f+g");
    }

    #[test]
    fn everything_else_is_single_quoted() {
        assert_eq!(quote(b""), b"''");
        assert_eq!(quote(b"a b"), b"'a b'");
        assert_eq!(quote(b"it's"), b"'it'\"'\"'s'");
        assert_eq!(quote(b"$(rm -rf x)"), b"'$(rm -rf x)'");
        assert_eq!(quote(b"a\nb"), b"'a\nb'");
        assert_eq!(quote("é".as_bytes()), "'é'".as_bytes());
        assert_eq!(quote(b"A=1"), b"'A=1'");
        assert_eq!(quote(b"~"), b"'~'");
    }

    #[test]
    fn quoted_words_survive_a_real_shell() {
        let nasty: &[&[u8]] = &[
            b"a b",
            b"it's",
            b"\"q\"",
            b"$(echo pwned)",
            b"`id`",
            b"a\nb",
            b";|&<>*?[]{}!#~\\",
            b"-n",
            b"",
            "ünï".as_bytes(),
        ];
        for word in nasty {
            let mut script = b"printf '%s' ".to_vec();
            quote_into(word, &mut script);
            let out = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(std::ffi::OsStr::from_bytes(&script))
                .output()
                .expect("sh runs");
            assert_eq!(&out.stdout[..], *word, "{}", String::from_utf8_lossy(word));
        }
    }

    #[test]
    fn command_lines_quote_each_word() {
        let argv: Vec<OsString> = ["echo", "a b", "-n"].iter().map(OsString::from).collect();
        assert_eq!(command_line(&argv), b"echo 'a b' -n");
    }
}
