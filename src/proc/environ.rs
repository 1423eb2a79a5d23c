//! Parsing `/proc/PID/environ`: the environment a process was started with
//! (NUL-separated `KEY=value`), readable only with the right to ptrace it.
//! Every byte of it is chosen by the process: untrusted.

/// One entry, as raw bytes: `KEY=value` split at the first `=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Var {
    pub key: Vec<u8>,
    /// `None` for an entry without `=` (execve(2) accepts any string, and a
    /// process may rewrite its memory), which is not the same as `KEY=`.
    pub value: Option<Vec<u8>>,
}

/// The entries in order; empty ones (two NULs in a row) are left out.
pub fn parse(raw: &[u8]) -> Vec<Var> {
    raw.split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.iter().position(|&b| b == b'=') {
            Some(eq) => Var {
                key: entry[..eq].to_vec(),
                value: Some(entry[eq + 1..].to_vec()),
            },
            None => Var {
                key: entry.to_vec(),
                value: None,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_entries() {
        let var = |key: &[u8], value: Option<&[u8]>| Var {
            key: key.to_vec(),
            value: value.map(<[u8]>::to_vec),
        };
        let env = parse(b"A=1\0B=x=y\0\0C\0D=\0");
        assert_eq!(
            env,
            vec![
                var(b"A", Some(b"1")),
                var(b"B", Some(b"x=y")),
                var(b"C", None),
                var(b"D", Some(b"")),
            ]
        );
    }
}
