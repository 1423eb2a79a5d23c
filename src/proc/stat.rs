//! Parsing `/proc/PID/stat` (proc_pid_stat(5)).
//!
//! The name (field 2) is whatever the process chose, up to 15 bytes, and may
//! contain spaces, parentheses and newlines: `a) (b` is a valid name. So the
//! name runs from the first `(` to the *last* `)`, and the numbered fields are
//! split on spaces after that.

/// The fields ptool uses from `/proc/PID/stat`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stat {
    /// (2) the name, raw bytes (see `comm`).
    pub name: Vec<u8>,
    /// (3) one-letter state: R, S, D, Z, T, t, X, I, ...
    pub state: u8,
    /// (4)
    pub ppid: i32,
    /// (5)
    pub pgid: i32,
    /// (6)
    pub sid: i32,
    /// (7) the controlling terminal as a device number; 0 for none.
    pub tty_nr: u32,
    /// (8) the foreground process group of that terminal.
    pub tpgid: i32,
    /// (9) PF_* flags.
    pub flags: u32,
    /// (10) minor page faults.
    pub minflt: u64,
    /// (12) major page faults.
    pub majflt: u64,
    /// (14) user-mode CPU time, in clock ticks.
    pub utime: u64,
    /// (15) kernel-mode CPU time, in clock ticks.
    pub stime: u64,
    /// (16) user-mode CPU time of its children that it waited for, in
    /// clock ticks.
    pub cutime: u64,
    /// (17) kernel-mode CPU time of its waited-for children, in clock ticks.
    pub cstime: u64,
    /// (18) the kernel's priority value.
    pub priority: i64,
    /// (19) -20 (favoured) .. 19.
    pub nice: i64,
    /// (20)
    pub threads: i64,
    /// (22) start time, in clock ticks after boot.
    pub start_ticks: u64,
    /// (23) virtual memory size, bytes.
    pub vsize: u64,
    /// (24) resident set size, pages.
    pub rss_pages: u64,
    /// (39) the CPU it last ran on.
    pub processor: i64,
    /// (40) real-time priority, 0 for normal processes.
    pub rt_priority: u64,
    /// (41) scheduling policy (SCHED_*).
    pub policy: u64,
    /// (52, Linux 3.5+) the wait(2) status of an ended process, which its
    /// zombie shows until it is collected; 0 while it runs, and 0 to a
    /// reader without ptrace-read access (see [`crate::proc::Reader::zombie_status`]).
    pub exit_code: i32,
}

/// PF_KTHREAD from include/linux/sched.h: the task is a kernel thread.
const PF_KTHREAD: u32 = 0x0020_0000;

impl Stat {
    pub fn is_kernel_thread(&self) -> bool {
        self.flags & PF_KTHREAD != 0
    }

    /// The whole process has ended: a zombie (Z) or being removed (X), with
    /// no thread left running. When the main thread ends first (pthread_exit
    /// in `main`) the process shows Z while its other threads run on;
    /// `threads` still counts them then (a true zombie counts 1, itself).
    pub fn has_ended(&self) -> bool {
        matches!(self.state, b'Z' | b'X') && self.threads <= 1
    }

    /// user + system CPU time, in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        self.utime + self.stime
    }
}

/// Parse the contents of a `stat` file. `None` when it is malformed.
pub fn parse(buf: &[u8]) -> Option<Stat> {
    let open = buf.iter().position(|&b| b == b'(')?;
    let close = buf.iter().rposition(|&b| b == b')')?;
    if close < open {
        return None;
    }
    let name = buf[open + 1..close].to_vec();
    let rest = std::str::from_utf8(buf.get(close + 2..)?).ok()?;
    // fields[0] is field (3), the state.
    let fields: Vec<&str> = rest.split_ascii_whitespace().collect();
    let num = |field: usize| -> Option<i64> { fields.get(field - 3)?.parse().ok() };
    let unum = |field: usize| -> Option<u64> { fields.get(field - 3)?.parse().ok() };
    let int = |field: usize| -> Option<i32> { fields.get(field - 3)?.parse().ok() };
    Some(Stat {
        name,
        state: *fields.first()?.as_bytes().first()?,
        ppid: int(4)?,
        pgid: int(5)?,
        sid: int(6)?,
        // tty_nr is printed as a signed int by the kernel
        tty_nr: num(7)? as u32,
        tpgid: int(8)?,
        flags: unum(9)? as u32,
        minflt: unum(10)?,
        majflt: unum(12)?,
        utime: unum(14)?,
        stime: unum(15)?,
        cutime: unum(16)?,
        cstime: unum(17)?,
        priority: num(18)?,
        nice: num(19)?,
        threads: num(20)?,
        start_ticks: unum(22)?,
        vsize: unum(23)?,
        rss_pages: unum(24)?,
        processor: num(39).unwrap_or(0),
        rt_priority: unum(40).unwrap_or(0),
        policy: unum(41).unwrap_or(0),
        exit_code: int(52).unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &[u8] = b"4242 (a) (b) S 1 4242 4242 34816 4242 4194560 100 0 2 0 7 3 0 0 20 0 1 0 123456 10485760 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    #[test]
    fn name_runs_to_the_last_paren() {
        let stat = parse(LINE).expect("parses");
        assert_eq!(stat.name, b"a) (b");
        assert_eq!(stat.state, b'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.pgid, 4242);
        assert_eq!(stat.tty_nr, 34816);
        assert_eq!(stat.minflt, 100);
        assert_eq!(stat.majflt, 2);
        assert_eq!((stat.utime, stat.stime), (7, 3));
        assert_eq!((stat.priority, stat.nice, stat.threads), (20, 0, 1));
        assert_eq!(stat.start_ticks, 123456);
        assert_eq!(stat.vsize, 10485760);
        assert_eq!(stat.rss_pages, 300);
        assert_eq!(stat.processor, 1);
        assert!(!stat.is_kernel_thread());
    }

    #[test]
    fn names_with_newlines_and_spaces() {
        let line = b"7 (x\n) y ) R 2 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0";
        let stat = parse(line).expect("parses");
        assert_eq!(stat.name, b"x\n) y ");
        assert_eq!(stat.state, b'R');
        assert!(stat.is_kernel_thread());
    }

    #[test]
    fn a_zombie_has_ended_only_with_no_thread_running() {
        // 9 (z) Z, ..., threads (20) = 1, ..., exit_code (52) = 0x300.
        let mut fields = vec!["0"; 50];
        fields[0] = "Z";
        fields[20 - 3] = "1";
        fields[52 - 3] = "768";
        let line = format!("9 (z) {}", fields.join(" "));
        let stat = parse(line.as_bytes()).expect("parses");
        assert_eq!(stat.exit_code, 768);
        assert!(stat.has_ended());
        // Its main thread ended and another still runs.
        fields[20 - 3] = "2";
        let line = format!("9 (z) {}", fields.join(" "));
        assert!(!parse(line.as_bytes()).expect("parses").has_ended());
        // Running; and a kernel before 3.5, without field 52.
        let stat = parse(LINE).expect("parses");
        assert!(!stat.has_ended());
        assert_eq!(stat.exit_code, 0);
    }

    #[test]
    fn malformed_is_none() {
        assert_eq!(parse(b""), None);
        assert_eq!(parse(b"1 (x) S"), None);
        assert_eq!(parse(b") (x"), None);
    }

    #[test]
    fn parses_own_stat() -> std::io::Result<()> {
        let buf = std::fs::read("/proc/self/stat")?;
        let stat = parse(&buf).expect("own stat parses");
        assert!(stat.start_ticks > 0);
        assert!(stat.threads >= 1);
        Ok(())
    }
}
