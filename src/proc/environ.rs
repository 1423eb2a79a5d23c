//! Parsing `/proc/PID/environ`: the environment a process was started with
//! (NUL-separated `KEY=value`), readable only with the right to ptrace it.
//! Every byte of it is chosen by the process: untrusted.

/// One `KEY=value` entry, as raw bytes.
pub type Var = (Vec<u8>, Vec<u8>);

/// The variables in order, split at the first `=`. An entry without `=`
/// (possible after a process rewrote its memory) has an empty value.
pub fn parse(raw: &[u8]) -> Vec<Var> {
    raw.split(|&b| b == 0)
        .filter(|entry| !entry.is_empty())
        .map(|entry| match entry.iter().position(|&b| b == b'=') {
            Some(eq) => (entry[..eq].to_vec(), entry[eq + 1..].to_vec()),
            None => (entry.to_vec(), Vec::new()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_entries() {
        let env = parse(b"A=1\0B=x=y\0\0C\0");
        assert_eq!(
            env,
            vec![
                (b"A".to_vec(), b"1".to_vec()),
                (b"B".to_vec(), b"x=y".to_vec()),
                (b"C".to_vec(), Vec::new()),
            ]
        );
    }
}
