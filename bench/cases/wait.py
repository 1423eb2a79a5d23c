"""wait: how soon `ptool wait` returns after a process ends, vs `pidwait` and
`tail --pid`, and the CPU time it uses while waiting on the whole workload.

Latency: the process to watch is a fresh ptool-victim that exits as soon as
its stdin reaches end of file. The waiter is started, and once it is blocked
in the kernel (waiting, not starting up: its /proc/PID/syscall shows a
sleeping call), the pipe is closed. The clock runs from just before the
close to the moment the waiter has exited (its wait4 returns). The victim is
the benchmark's child and a thread reaps it at once, as a parent blocked in
wait() would; ptool waits for that reap to report the exit status.

CPU: each waiter waits on the workload's idle processes for 10 s (ptool with
--timeout, pidwait ended by SIGTERM); the CPU time is the child's user +
system time from wait4's rusage, start-up scan of /proc included. The CPU it
had used when it first blocked is read from /proc/PID/stat, so the part
spent while waiting is printed too.
"""

import os
import platform
import signal
import subprocess
import threading
import time

from procstat import stat_fields

# Sleeping system calls a waiter blocks in, by architecture:
# epoll_wait, epoll_pwait, epoll_pwait2, poll, ppoll, select, pselect6,
# nanosleep, clock_nanosleep, wait4, read.
BLOCKING = {
    "x86_64": {232, 281, 441, 7, 271, 23, 270, 35, 230, 61, 0},
    "aarch64": {22, 441, 73, 72, 101, 115, 260, 63},
}


def blocked(pid):
    """True when `pid` sleeps in one of the BLOCKING system calls."""
    try:
        state = stat_fields(pid)[0]
        with open(f"/proc/{pid}/syscall") as f:
            call = f.read().split()[0]
    except (OSError, IndexError):
        return False
    calls = BLOCKING.get(platform.machine(), set())
    return state == "S" and call.isdigit() and int(call) in calls


def wait_blocked(proc, bound=30.0):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[:3]} exited early with {proc.returncode}")
        if blocked(proc.pid):
            return
        time.sleep(0.001)
    raise RuntimeError(f"{proc.args[:3]} never blocked")


def one_latency(ctx, make_argv, tag):
    """Seconds from ending a fresh victim to its waiter having exited."""
    marker = f"{ctx.marker}-wait-{tag}-{time.time_ns():x}"
    r, w = os.pipe()
    victim = subprocess.Popen([ctx.victim, marker], stdin=r, stdout=subprocess.DEVNULL)
    os.close(r)
    ctx.children.append(victim)
    waiter = subprocess.Popen(
        make_argv(victim.pid, marker),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ctx.children.append(waiter)
    try:
        wait_blocked(waiter)
        reaper = threading.Thread(target=victim.wait)
        reaper.start()
        start = time.perf_counter()
        os.close(w)
        w = None
        waiter.wait(timeout=30)
        elapsed = time.perf_counter() - start
        reaper.join(timeout=30)
        if waiter.returncode != 0:
            raise RuntimeError(f"{waiter.args[:3]} exited {waiter.returncode}")
        return elapsed
    finally:
        if w is not None:
            os.close(w)
        ctx.kill([victim, waiter])


def latencies(ctx, waiters, runs):
    """Median latency of each of `waiters` ({tag: make_argv}), measured in
    alternation."""
    return ctx.alternate(
        {tag: (lambda make=make, tag=tag: one_latency(ctx, make, tag))
         for tag, make in waiters.items()},
        runs)


def cpu_ticks(pid):
    """User + system CPU seconds of a running process, from /proc/PID/stat
    (fields 14 and 15, in clock ticks)."""
    fields = stat_fields(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(ctx, argv, seconds, stop=False):
    """CPU seconds (user + system) of one run of `argv`: in all (from wait4's
    rusage), when it first blocked (its start-up), and half a second before
    the end (so the difference is what waiting cost, and the rest what
    exiting with thousands of pidfds cost). With `stop`, end it by SIGTERM
    after `seconds` (a waiter without a timeout)."""
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    ctx.children.append(p)
    started = time.monotonic()
    wait_blocked(p)
    startup = cpu_ticks(p.pid)
    time.sleep(max(0.0, seconds - 0.5 - (time.monotonic() - started)))
    late = cpu_ticks(p.pid)
    if stop:
        time.sleep(max(0.0, seconds - (time.monotonic() - started)))
        os.kill(p.pid, signal.SIGTERM)
    _, _, usage = os.wait4(p.pid, 0)
    p.returncode = 0  # reaped here; keep ctx.kill from waiting on it
    ctx.children.remove(p)
    return usage.ru_utime + usage.ru_stime, startup, late - startup


def run(ctx):
    waiters = {
        "ptool": lambda pid, marker: [ctx.ptool, "wait", str(pid)],
        "ptool0": lambda pid, marker: [ctx.ptool, "wait", "--status-wait", "0", str(pid)],
    }
    if ctx.require("pidwait", "procps"):
        waiters["pidwait"] = lambda pid, marker: ["pidwait", "-f", marker]
    t = latencies(ctx, waiters, max(ctx.runs, 21))
    if "pidwait" in t:
        ctx.record("wait latency: ptool wait PID  vs  pidwait", t["ptool"], t["pidwait"],
                   target=1.0)
        ctx.record("wait latency: --status-wait 0  vs  pidwait", t["ptool0"], t["pidwait"],
                   target=1.0)
    # `tail` polls once a second: a few runs tell.
    tail = {"tail": lambda pid, marker: ["tail", f"--pid={pid}", "-f", "/dev/null"]}
    t_tail = latencies(ctx, tail, max(ctx.runs, 9))["tail"]
    ctx.record("wait latency: ptool wait PID  vs  tail --pid", t["ptool"], t_tail, target=0.1)

    wait_for = 10
    select = ["-f", ctx.marker]

    def show(name, total, startup, waiting):
        print(f"  {name}: {total * 1000:.0f} ms CPU in all: {startup * 1000:.0f} ms starting, "
              f"{waiting * 1000:.0f} ms in {wait_for - 0.5:.1f} s of waiting, the rest exiting "
              f"(/proc/PID/stat, clock-tick resolution)", flush=True)

    c_ptool, s_ptool, w_ptool = cpu_seconds(
        ctx, [ctx.ptool, "wait", *select, "--timeout", f"{wait_for}s"], wait_for)
    show("ptool wait", c_ptool, s_ptool, w_ptool)
    if ctx.require("pidwait", "procps"):
        c_pidwait, s_pidwait, w_pidwait = cpu_seconds(ctx, ["pidwait", *select], wait_for, stop=True)
        show("pidwait", c_pidwait, s_pidwait, w_pidwait)
        ctx.record(f"wait CPU, {ctx.procs} procs for {wait_for} s: ptool  vs  pidwait",
                   c_ptool, c_pidwait, target=1.0)
