//! System-wide figures needed to turn per-process counters into human values:
//! clock ticks, page size, total memory, and the clocks that anchor start
//! times.

/// A snapshot of the system clocks and constants, taken once per run.
#[derive(Debug, Clone, Copy)]
pub struct System {
    /// `_SC_CLK_TCK`: the unit of the CPU-time and start-time fields.
    pub clk_tck: u64,
    pub page_size: u64,
    /// Total usable RAM in bytes (for `%MEM`).
    pub mem_total: u64,
    /// Seconds since boot, from CLOCK_BOOTTIME: the clock `starttime` counts
    /// in (it keeps counting across suspend, like /proc/uptime).
    pub uptime: f64,
    /// Wall-clock time of the snapshot, seconds since the Unix epoch.
    pub now: f64,
}

impl System {
    pub fn read() -> System {
        let info = rustix::system::sysinfo();
        System {
            clk_tck: rustix::param::clock_ticks_per_second().max(1),
            page_size: rustix::param::page_size() as u64,
            mem_total: info.totalram * u64::from(info.mem_unit.max(1)),
            uptime: crate::sys::time::boot_seconds(),
            now: crate::sys::time::unix_seconds(),
        }
    }

    /// Seconds since boot at which something `ticks` after boot happened.
    pub fn ticks_to_secs(&self, ticks: u64) -> f64 {
        ticks as f64 / self.clk_tck as f64
    }

    /// How long ago, in seconds, a process that started `start_ticks` after
    /// boot started (never negative).
    pub fn age(&self, start_ticks: u64) -> f64 {
        (self.uptime - self.ticks_to_secs(start_ticks)).max(0.0)
    }

    /// Wall-clock start time (Unix seconds) of a process.
    pub fn start_time(&self, start_ticks: u64) -> f64 {
        self.now - self.age(start_ticks)
    }
}

/// The 1-minute load average (`sysinfo(2)`, fixed point with 16 bits of
/// fraction).
pub fn load_average() -> f64 {
    rustix::system::sysinfo().loads[0] as f64 / 65536.0
}

/// Memory available for new work without swapping, in bytes: `MemAvailable`
/// from `/proc/meminfo` (free memory plus what the kernel can reclaim), or
/// free plus buffer memory on kernels without that line.
pub fn mem_available() -> u64 {
    if let Ok(text) = std::fs::read_to_string("/proc/meminfo") {
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("MemAvailable:") {
                let kib = rest.trim().trim_end_matches("kB").trim();
                if let Ok(kib) = kib.parse::<u64>() {
                    return kib.saturating_mul(1024);
                }
            }
        }
    }
    let info = rustix::system::sysinfo();
    (info.freeram + info.bufferram).saturating_mul(u64::from(info.mem_unit.max(1)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clocks_are_sane() {
        let sys = System::read();
        assert!(sys.clk_tck >= 100);
        assert!(sys.page_size >= 4096);
        assert!(sys.mem_total > 1 << 20);
        assert!(sys.uptime > 0.0);
        assert!(sys.age(0) > 0.0);
        assert!(sys.start_time(0) < sys.now);
    }
}
