//! Parsing `/proc/PID/io`: the I/O a process has done (proc_pid_io(5)),
//! readable only with the right to ptrace it.

/// Byte and call counts. `read_chars`/`write_chars` count everything passed
/// through read(2)/write(2) (pipes and terminals included);
/// `read_bytes`/`write_bytes` only what reached or came from storage.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IoStats {
    pub read_chars: u64,
    pub write_chars: u64,
    pub read_calls: u64,
    pub write_calls: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

pub fn parse(text: &[u8]) -> IoStats {
    let mut io = IoStats::default();
    for line in String::from_utf8_lossy(text).lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value: u64 = value.trim().parse().unwrap_or(0);
        match key {
            "rchar" => io.read_chars = value,
            "wchar" => io.write_chars = value,
            "syscr" => io.read_calls = value,
            "syscw" => io.write_calls = value,
            "read_bytes" => io.read_bytes = value,
            "write_bytes" => io.write_bytes = value,
            "cancelled_write_bytes" => io.cancelled_write_bytes = value,
            _ => {}
        }
    }
    io
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counters() {
        let io = parse(b"rchar: 100\nwchar: 200\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\ncancelled_write_bytes: 0\n");
        assert_eq!(io.read_chars, 100);
        assert_eq!(io.write_chars, 200);
        assert_eq!((io.read_calls, io.write_calls), (3, 4));
        assert_eq!((io.read_bytes, io.write_bytes), (4096, 8192));
    }
}
