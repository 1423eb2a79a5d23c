"""set: change the niceness and CPU affinity of 1,000 threads.

`ptool set --nice N --cpus C PID...` against `renice -n N -p TID...`
followed by `taskset -a -c -p C PID` (util-linux), in two shapes: one
process of 1,000 threads, and 50 processes of 20 threads each (taskset runs
once per process, since it takes one PID). Both sides are given the PIDs,
and renice the thread IDs too, listed before the clock starts: `renice -p
PID` alone changes only the main thread. Each run sets values other than
the last run's, and after every run, outside the timing, every thread's
niceness (`/proc/PID/task/TID/stat` field 19) and `Cpus_allowed_list` are
checked, for both sides alike.

Where the time goes (1x1000): starting a process (Python's fork and exec
about 1 ms; ptool starts once, the reference twice); the kernel's work per
thread, which both sides do: setpriority and sched_setaffinity, plus a
read of each old value (ptool, for its old -> new report; renice and
taskset read before and after); listing `/proc/PID/task`, about half a
microsecond per thread in the kernel, once on each side; ptool then
checks that no other thread exists (the thread count, and one
tgkill(PID, TID, 0) per thread, which costs about what a second listing
did) and lists again only when one may have started meanwhile.
"""

import os
import subprocess
import time

THREADS = 1000


def tids(pid):
    return sorted(int(t) for t in os.listdir(f"/proc/{pid}/task"))


def thread_state(pid, tid):
    with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
        raw = f.read()
    fields = raw[raw.rindex(b")") + 2:].split()
    nice = int(fields[19 - 3])
    with open(f"/proc/{pid}/task/{tid}/status") as f:
        cpus = next(line.split(":", 1)[1].strip() for line in f
                    if line.startswith("Cpus_allowed_list:"))
    return nice, cpus


def verify(label, procs, nice, cpus):
    """Every thread of every process has the niceness and CPUs asked for."""
    count = 0
    for p in procs:
        for tid in tids(p.pid):
            got = thread_state(p.pid, tid)
            if got != (nice, cpus):
                raise RuntimeError(f"{label}: thread {tid} of {p.pid} has (nice, cpus) "
                                   f"{got}, not {(nice, cpus)}")
            count += 1
    if count != THREADS:
        raise RuntimeError(f"{label}: {count} threads, not {THREADS}")


def settings(online):
    """An endless round of (nice, cpus) pairs, each unlike the one before."""
    cpu_lists = ["0", "1"] if len(online) >= 2 else ["0"]
    i = 0
    while True:
        yield (5 if i % 2 == 0 else 10), cpu_lists[i % len(cpu_lists)]
        i += 1


def online_cpus():
    with open("/sys/devices/system/cpu/online") as f:
        text = f.read().strip()
    cpus = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        cpus.extend(range(int(a), int(b or a) + 1))
    return cpus


def run_all(argvs):
    start = time.perf_counter()
    for argv in argvs:
        r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
        if r.returncode != 0:
            raise RuntimeError(f"{argv[:4]}... exited {r.returncode}: {r.stderr[-300:]!r}")
    return time.perf_counter() - start


def shape(ctx, label, count, threads_each):
    marker = f"{ctx.marker}-set-{label}-{time.time_ns():x}"
    procs = ctx.start_victims(count, marker, ["--threads", str(threads_each - 1)], ready=True)
    try:
        all_tids = [str(t) for p in procs for t in tids(p.pid)]
        pids = [str(p.pid) for p in procs]
        values = settings(online_cpus())

        def ours():
            nice, cpus = next(values)
            argv = [ctx.ptool, "set", "-q", "--nice", str(nice), "--cpus", cpus, *pids]
            t = run_all([argv])
            verify(f"ptool ({label})", procs, nice, cpus)
            return t

        def theirs():
            nice, cpus = next(values)
            argvs = [["renice", "-n", str(nice), "-p", *all_tids]]
            argvs += [["taskset", "-a", "-c", "-p", cpus, pid] for pid in pids]
            t = run_all(argvs)
            verify(f"renice + taskset ({label})", procs, nice, cpus)
            return t

        t = ctx.alternate({"ours": ours, "theirs": theirs})
        n = f"{count}x{threads_each}"
        m_ours = ctx.peak_kib([ctx.ptool, "set", "-q", "--nice", "7", *pids])
        peaks = [ctx.peak_kib(["renice", "-n", "7", "-p", *all_tids]),
                 ctx.peak_kib(["taskset", "-a", "-c", "-p", "0", pids[0]])]
        peaks = [p for p in peaks if p is not None]
        ctx.record(f"ptool set --nice --cpus  vs  renice + taskset -a ({n})",
                   t["ours"], t["theirs"], target=0.5,
                   m_ours=m_ours, m_theirs=max(peaks) if peaks else None)
    finally:
        ctx.kill(procs)


def run(ctx):
    if not (ctx.require("renice", "util-linux") and ctx.require("taskset", "util-linux")):
        print("  skipped: renice/taskset not available")
        return
    shape(ctx, "one", 1, THREADS)
    shape(ctx, "fifty", 50, THREADS // 50)
