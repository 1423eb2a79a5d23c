//! Local time, for showing start times the way `ps` does.

/// Seconds since boot on CLOCK_BOOTTIME, the clock process start times
/// (`/proc/PID/stat` field 22) count in: it keeps counting across suspend.
pub fn boot_seconds() -> f64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::Boottime);
    t.tv_sec as f64 + t.tv_nsec as f64 / 1e9
}

/// Seconds since the Unix epoch, now.
pub fn unix_seconds() -> f64 {
    unix_seconds_of(std::time::SystemTime::now())
}

/// Seconds since the Unix epoch at `t` (0 for times before it).
pub fn unix_seconds_of(t: std::time::SystemTime) -> f64 {
    t.duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A timeout for poll(2) and epoll_wait(2).
pub fn timespec(d: std::time::Duration) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// A broken-down local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    /// 1..=12
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    /// Seconds east of UTC.
    pub utc_offset: i64,
}

/// The local time at `unix_secs`, per the TZ environment and /etc/localtime.
pub fn local(unix_secs: i64) -> Option<LocalTime> {
    let t: libc::time_t = unix_secs;
    // SAFETY: `tm` is a plain C struct for which all-zero bytes are valid.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is the
    // thread-safe variant and writes only into `tm`.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    ok.then(|| LocalTime {
        year: tm.tm_year + 1900,
        month: (tm.tm_mon + 1) as u32,
        day: tm.tm_mday as u32,
        hour: tm.tm_hour as u32,
        minute: tm.tm_min as u32,
        second: tm.tm_sec as u32,
        utc_offset: tm.tm_gmtoff,
    })
}

/// Load the local time zone now: glibc reads `/etc/localtime` on the first
/// conversion, which is better done ahead of a moment that is being timed,
/// such as reporting a process the instant it ends.
pub fn load_local_zone() {
    let _ = local(0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_the_epoch() {
        let t = local(0).expect("converts");
        assert!(t.year == 1970 || t.year == 1969);
        assert_eq!(
            i64::from(t.hour) * 3600 % 86_400,
            (t.utc_offset + 86_400) % 86_400 / 3600 * 3600
        );
    }
}
