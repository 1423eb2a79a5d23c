//! What `ptool fork` keeps on disk: the joblog in GNU parallel's exact
//! layout (so scripts that read parallel's joblogs keep working), reading it
//! back for `--resume`, `--resume-failed` and `--retry-failed`, and
//! `--results DIR` in parallel's directory layout
//! (`DIR/1/<input 1>/2/<input 2>/{seq,stdout,stderr}`).

use std::collections::{HashMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::report::JobReport;

/// GNU parallel's joblog header.
pub const JOBLOG_HEADER: &str =
    "Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n";

/// One joblog line, as GNU parallel writes it: `Host` is `:` (this
/// machine), the start in Unix seconds with milliseconds, the runtime
/// right-aligned in 10 columns, the bytes sent to the job's stdin and
/// received from its stdout, the exit value (0 when a signal ended the job)
/// and the signal, then the command line as a shell would run it, a
/// newline in it written as a NUL (as parallel does), so that each job
/// stays one line.
pub fn joblog_line(job: &JobReport) -> Vec<u8> {
    let exitval = if job.signal.is_some() {
        0
    } else {
        job.exit.unwrap_or(0)
    };
    let mut line = format!(
        "{}\t:\t{:.3}\t{:>10.3}\t{}\t{}\t{}\t{}\t",
        job.seq,
        crate::sys::time::unix_seconds_of(job.start),
        job.runtime.as_secs_f64(),
        job.sent,
        job.received,
        exitval,
        job.signal.unwrap_or(0),
    )
    .into_bytes();
    line.extend(job.display.iter().map(|&b| if b == b'\n' { 0 } else { b }));
    line.push(b'\n');
    line
}

/// The joblog being written.
#[derive(Debug)]
pub struct Joblog {
    pub file: File,
    pub path: String,
}

impl Joblog {
    /// Create (truncate) the joblog, or open it to append (`--resume` and
    /// friends); the header is written when the file is new or empty.
    pub fn open(path: &Path, append: bool) -> io::Result<Joblog> {
        // A FIFO without a reader: ENXIO at once, not a hang.
        let mut file = if append {
            crate::sys::open::open_output(path, OpenOptions::new().create(true).append(true))?
        } else {
            crate::sys::open::open_output(
                path,
                OpenOptions::new().write(true).create(true).truncate(true),
            )?
        };
        if file.metadata()?.len() == 0 {
            file.write_all(JOBLOG_HEADER.as_bytes())?;
        }
        Ok(Joblog {
            file,
            path: crate::output::sanitize::escape(path.as_os_str().as_bytes()).into_owned(),
        })
    }
}

/// A job as an earlier joblog recorded it (its last line wins).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logged {
    pub ok: bool,
    pub command: Vec<u8>,
}

/// Read a joblog back: each job number with its last outcome. A line that
/// does not start a record continues the previous command (a command with
/// a newline in it). A missing file is an empty log.
pub fn read_joblog(path: &Path) -> io::Result<HashMap<u64, Logged>> {
    let mut text = Vec::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_end(&mut text)?;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e),
    }
    let mut jobs: HashMap<u64, Logged> = HashMap::new();
    let mut last: Option<u64> = None;
    for line in text.split(|&b| b == b'\n') {
        let fields: Vec<&[u8]> = line.splitn(9, |&b| b == b'\t').collect();
        let number = |i: usize| -> Option<i64> {
            std::str::from_utf8(fields.get(i)?)
                .ok()?
                .trim()
                .parse()
                .ok()
        };
        let record = if fields.len() == 9 {
            number(0).and_then(|seq| Some((seq, number(6)?, number(7)?)))
        } else {
            None
        };
        match record {
            Some((seq, exitval, signal)) if seq > 0 => {
                let seq = seq as u64;
                jobs.insert(
                    seq,
                    Logged {
                        ok: exitval == 0 && signal == 0,
                        command: fields[8]
                            .iter()
                            .map(|&b| if b == 0 { b'\n' } else { b })
                            .collect(),
                    },
                );
                last = Some(seq);
            }
            _ if line.starts_with(b"Seq\t") => last = None,
            _ => {
                if let Some(job) = last.and_then(|seq| jobs.get_mut(&seq)) {
                    job.command.push(b'\n');
                    job.command.extend_from_slice(line);
                }
            }
        }
    }
    // The split leaves an empty piece after the last newline.
    for job in jobs.values_mut() {
        if job.command.ends_with(b"\n") {
            job.command.pop();
        }
    }
    Ok(jobs)
}

/// The job numbers `--resume` (every logged job) or `--resume-failed`
/// (only those that succeeded) skips.
pub fn skipped(log: &HashMap<u64, Logged>, failed_too: bool) -> HashSet<u64> {
    log.iter()
        .filter(|(_, job)| failed_too || job.ok)
        .map(|(seq, _)| *seq)
        .collect()
}

/// A value as one directory name, as GNU parallel escapes it: `\` doubled,
/// `/` as `\_`; ptool also keeps `.`, `..` and the empty value from naming
/// a directory that already means something, and cuts at 255 bytes.
pub fn results_name(value: &[u8]) -> Vec<u8> {
    match value {
        b"" => return b"\\0".to_vec(),
        b"." => return b"\\.".to_vec(),
        b".." => return b"\\.\\.".to_vec(),
        _ => {}
    }
    let mut out = Vec::with_capacity(value.len());
    for &b in value {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\_"),
            _ => out.push(b),
        }
    }
    out.truncate(255);
    out
}

/// The directory for a job's results: `ROOT/1/<value 1>/2/<value 2>/...`,
/// a column named by `--header` by its name instead of its number.
pub fn results_dir(
    root: &Path,
    values: &[Vec<u8>],
    labels: &HashMap<usize, Vec<u8>>,
    seq: u64,
) -> PathBuf {
    let mut dir = root.to_path_buf();
    if values.is_empty() {
        dir.push("seq");
        dir.push(seq.to_string());
    }
    let mut levels: Vec<(Vec<u8>, &[u8])> = values
        .iter()
        .enumerate()
        .map(|(i, value)| {
            let label = labels
                .get(&(i + 1))
                .cloned()
                .unwrap_or_else(|| (i + 1).to_string().into_bytes());
            (label, value.as_slice())
        })
        .collect();
    // As parallel: named columns nest in the order of their names.
    if !labels.is_empty() {
        levels.sort_by(|a, b| a.0.cmp(&b.0));
    }
    for (label, value) in levels {
        dir.push(std::ffi::OsStr::from_bytes(&results_name(&label)));
        dir.push(std::ffi::OsStr::from_bytes(&results_name(value)));
    }
    dir
}

/// Write a finished job's `seq`, `stdout` and `stderr` files.
pub fn write_results(
    root: &Path,
    values: &[Vec<u8>],
    labels: &HashMap<usize, Vec<u8>>,
    seq: u64,
    out: &[u8],
    err: &[u8],
) -> io::Result<()> {
    let dir = results_dir(root, values, labels, seq);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("seq"), seq.to_string())?;
    std::fs::write(dir.join("stdout"), out)?;
    std::fs::write(dir.join("stderr"), err)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmd::fork::report::JobStatus;
    use std::time::{Duration, SystemTime};

    fn job(seq: u64, exit: Option<i32>, signal: Option<i32>, display: &[u8]) -> JobReport {
        JobReport {
            seq,
            input: b"x".to_vec(),
            slot: 1,
            pid: Some(100),
            command: vec![],
            display: display.to_vec(),
            start: SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_250),
            runtime: Duration::from_millis(1500),
            exit,
            signal,
            status: JobStatus::Ok,
            attempts: 1,
            error: None,
            sent: 0,
            received: 2,
        }
    }

    #[test]
    fn joblog_lines_have_parallels_layout() {
        let line = joblog_line(&job(3, Some(2), None, b"echo 'a\tb'"));
        assert_eq!(
            String::from_utf8(line).expect("utf-8"),
            "3\t:\t1700000000.250\t     1.500\t0\t2\t2\t0\techo 'a\tb'\n"
        );
        let line = joblog_line(&job(4, None, Some(9), b"kill"));
        assert!(line.ends_with(b"\t0\t9\tkill\n"));
    }

    #[test]
    fn joblogs_read_back() {
        let path = std::env::temp_dir().join(format!("ptool-joblog-test-{}", std::process::id()));
        let mut text = JOBLOG_HEADER.as_bytes().to_vec();
        text.extend(joblog_line(&job(1, Some(0), None, b"echo a")));
        text.extend(joblog_line(&job(2, Some(1), None, b"echo 'x\ny'")));
        text.extend(joblog_line(&job(3, None, Some(15), b"sleep 9")));
        text.extend(joblog_line(&job(2, Some(0), None, b"echo b")));
        text.extend(joblog_line(&job(4, Some(3), None, b"printf 'p\nq\tr'")));
        std::fs::write(&path, &text).expect("write");
        let log = read_joblog(&path).expect("reads");
        let _ = std::fs::remove_file(&path);
        assert_eq!(log.len(), 4);
        assert!(log[&1].ok);
        assert!(log[&2].ok, "the later line for job 2 wins");
        assert!(!log[&3].ok);
        assert_eq!(log[&4].command, b"printf 'p\nq\tr'");
        let mut resume: Vec<u64> = skipped(&log, true).into_iter().collect();
        resume.sort_unstable();
        assert_eq!(resume, [1, 2, 3, 4]);
        let mut failed: Vec<u64> = skipped(&log, false).into_iter().collect();
        failed.sort_unstable();
        assert_eq!(failed, [1, 2]);
        assert!(
            read_joblog(Path::new("/nonexistent/ptool-joblog"))
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn results_paths_follow_parallel() {
        let dir = results_dir(
            Path::new("r"),
            &[b"a".to_vec(), b"b/c".to_vec()],
            &HashMap::new(),
            1,
        );
        assert_eq!(dir, Path::new("r/1/a/2/b\\_c"));
        assert_eq!(results_name(b".."), b"\\.\\.");
        assert_eq!(results_name(b"a\\b"), b"a\\\\b");
        assert_eq!(
            results_dir(Path::new("r"), &[], &HashMap::new(), 7),
            Path::new("r/seq/7")
        );
    }
}
