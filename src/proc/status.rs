//! Parsing `/proc/PID/status` (proc_pid_status(5)): ids, memory details and
//! signal masks. It costs about twice `stat` to read, so a listing reads it
//! only for the columns that need it.

/// The fields ptool uses from `/proc/PID/status`. Memory values are in bytes
/// and absent for kernel threads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcStatus {
    /// The name as the kernel escapes it in `status` (unlike `stat`).
    pub name: String,
    pub umask: Option<u32>,
    pub tgid: i32,
    pub ppid: i32,
    pub tracer_pid: i32,
    /// real, effective, saved, filesystem
    pub uids: [u32; 4],
    /// real, effective, saved, filesystem
    pub gids: [u32; 4],
    pub groups: Vec<u32>,
    pub fd_size: Option<u64>,
    pub vm_peak: Option<u64>,
    pub vm_size: Option<u64>,
    pub vm_lck: Option<u64>,
    pub vm_hwm: Option<u64>,
    pub vm_rss: Option<u64>,
    pub rss_anon: Option<u64>,
    pub rss_file: Option<u64>,
    pub rss_shmem: Option<u64>,
    pub vm_data: Option<u64>,
    pub vm_stk: Option<u64>,
    pub vm_exe: Option<u64>,
    pub vm_lib: Option<u64>,
    pub vm_swap: Option<u64>,
    pub threads: i64,
    /// Signals pending for the thread.
    pub sig_pnd: u64,
    /// Signals pending for the whole process.
    pub shd_pnd: u64,
    pub sig_blk: u64,
    pub sig_ign: u64,
    pub sig_cgt: u64,
    pub cap_eff: u64,
    pub voluntary_ctxt_switches: u64,
    pub nonvoluntary_ctxt_switches: u64,
}

/// Parse the contents of a `status` file; unknown lines are ignored.
pub fn parse(buf: &[u8]) -> ProcStatus {
    let text = String::from_utf8_lossy(buf);
    let mut s = ProcStatus::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let kb = || -> Option<u64> {
            let number = value.strip_suffix(" kB").unwrap_or(value);
            number.trim().parse::<u64>().ok().map(|n| n * 1024)
        };
        let hex = || u64::from_str_radix(value, 16).unwrap_or(0);
        let int = || value.parse::<i64>().unwrap_or(0);
        match key {
            "Name" => s.name = value.to_string(),
            "Umask" => s.umask = u32::from_str_radix(value, 8).ok(),
            "Tgid" => s.tgid = int() as i32,
            "PPid" => s.ppid = int() as i32,
            "TracerPid" => s.tracer_pid = int() as i32,
            "Uid" => s.uids = four(value),
            "Gid" => s.gids = four(value),
            "Groups" => {
                s.groups = value
                    .split_whitespace()
                    .filter_map(|g| g.parse().ok())
                    .collect()
            }
            "FDSize" => s.fd_size = value.parse().ok(),
            "VmPeak" => s.vm_peak = kb(),
            "VmSize" => s.vm_size = kb(),
            "VmLck" => s.vm_lck = kb(),
            "VmHWM" => s.vm_hwm = kb(),
            "VmRSS" => s.vm_rss = kb(),
            "RssAnon" => s.rss_anon = kb(),
            "RssFile" => s.rss_file = kb(),
            "RssShmem" => s.rss_shmem = kb(),
            "VmData" => s.vm_data = kb(),
            "VmStk" => s.vm_stk = kb(),
            "VmExe" => s.vm_exe = kb(),
            "VmLib" => s.vm_lib = kb(),
            "VmSwap" => s.vm_swap = kb(),
            "Threads" => s.threads = int(),
            "SigPnd" => s.sig_pnd = hex(),
            "ShdPnd" => s.shd_pnd = hex(),
            "SigBlk" => s.sig_blk = hex(),
            "SigIgn" => s.sig_ign = hex(),
            "SigCgt" => s.sig_cgt = hex(),
            "CapEff" => s.cap_eff = hex(),
            "voluntary_ctxt_switches" => s.voluntary_ctxt_switches = int() as u64,
            "nonvoluntary_ctxt_switches" => s.nonvoluntary_ctxt_switches = int() as u64,
            _ => {}
        }
    }
    s
}

fn four(value: &str) -> [u32; 4] {
    let mut out = [0; 4];
    for (slot, field) in out.iter_mut().zip(value.split_whitespace()) {
        *slot = field.parse().unwrap_or(0);
    }
    out
}

/// The signal numbers set in a mask from `status` (bit N-1 is signal N).
pub fn signals_in(mask: u64) -> Vec<i32> {
    (1..=64).filter(|n| mask & (1u64 << (n - 1)) != 0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "Name:\tsleep\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t77\nPid:\t77\nPPid:\t1\nTracerPid:\t0\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t100\t100\t100\nGroups:\t4 24 27\nVmPeak:\t    8000 kB\nVmRSS:\t     900 kB\nVmSwap:\t       0 kB\nThreads:\t1\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000100\nSigBlk:\t0000000000010000\nSigIgn:\t0000000000004001\nSigCgt:\t0000000000000a00\nvoluntary_ctxt_switches:\t5\nnonvoluntary_ctxt_switches:\t2\n";

    #[test]
    fn parses_fields() {
        let s = parse(SAMPLE.as_bytes());
        assert_eq!(s.name, "sleep");
        assert_eq!(s.umask, Some(0o022));
        assert_eq!(s.uids, [1000, 1001, 1002, 1003]);
        assert_eq!(s.groups, vec![4, 24, 27]);
        assert_eq!(s.vm_peak, Some(8000 * 1024));
        assert_eq!(s.vm_rss, Some(900 * 1024));
        assert_eq!(s.vm_hwm, None);
        assert_eq!(s.voluntary_ctxt_switches, 5);
        assert_eq!(signals_in(s.sig_ign), vec![1, 15]);
        assert_eq!(signals_in(s.sig_cgt), vec![10, 12]);
        assert_eq!(signals_in(s.sig_blk), vec![17]);
        assert_eq!(signals_in(s.shd_pnd), vec![9]);
    }
}
