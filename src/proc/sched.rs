//! System-wide settings that decide whether a process's priorities do
//! what they say: autogroups (`kernel.sched_autogroup_enabled`), and the
//! I/O scheduler of each disk (`/sys/block/DEV/queue/scheduler`).

/// True when the kernel groups processes by session for CPU time
/// (sched(7), "The autogroup feature"): a niceness then weighs a process
/// only against the others in its autogroup.
pub fn autogroups_on() -> bool {
    std::fs::read_to_string("/proc/sys/kernel/sched_autogroup_enabled")
        .is_ok_and(|t| t.trim() == "1")
}

/// The I/O scheduler each disk uses, by device name, sorted: the choice
/// in brackets in `[mq-deadline] kyber bfq none`. Loop and RAM disks are
/// left out: they pass I/O on to another device or to memory.
pub fn io_schedulers() -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir("/sys/block") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if ["loop", "ram", "zram"].iter().any(|p| name.starts_with(p)) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path().join("queue/scheduler")) else {
            continue;
        };
        if let Some(chosen) = chosen_scheduler(&text) {
            out.push((name, chosen));
        }
    }
    out.sort();
    out
}

/// The bracketed choice in a `scheduler` file; `none` when it is the only
/// word (devices without a choice).
pub fn chosen_scheduler(text: &str) -> Option<String> {
    let text = text.trim();
    if let (Some(open), Some(close)) = (text.find('['), text.find(']'))
        && open < close
    {
        return Some(text[open + 1..close].to_string());
    }
    (!text.is_empty() && !text.contains(' ')).then(|| text.to_string())
}

/// True for the I/O schedulers that honour I/O priorities.
pub fn honours_ioprio(scheduler: &str) -> bool {
    matches!(scheduler, "bfq" | "cfq")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bracketed_scheduler_is_chosen() {
        assert_eq!(
            chosen_scheduler("none [mq-deadline] kyber bfq\n").as_deref(),
            Some("mq-deadline")
        );
        assert_eq!(chosen_scheduler("[none] bfq").as_deref(), Some("none"));
        assert_eq!(chosen_scheduler("none\n").as_deref(), Some("none"));
        assert_eq!(chosen_scheduler(""), None);
        assert!(honours_ioprio("bfq") && !honours_ioprio("mq-deadline"));
    }
}
