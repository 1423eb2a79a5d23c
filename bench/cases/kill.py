"""kill: end 1,000 victims matched by pattern and wait until they are gone.

`ptool kill -f MARK` (TERM, then waits on pidfds by itself) against
`pkill -f MARK` followed by `pidwait -f MARK` (both from procps).

Each run starts a fresh batch of 1,000 idle victims with a marker of its own,
on top of the workload. The victims are children of this script, so a victim
that exits stays a zombie until it is reaped: a reaper thread reaps each one
as soon as its pidfd says it has exited, for both sides alike. Neither side
is helped by that: ptool and pidwait both learn of an exit from a pidfd,
which is readable from the moment the process exits, reaped or not, and
`pidwait -f` does not match zombies (their command line is empty), so it
never waits on one. What both measure is the time for every victim to end.
"""

import os
import select
import subprocess
import threading
import time

from procstat import stat_fields

COUNT = 1000


class Reaper:
    """Reap a batch of our own children the moment each exits."""

    def __init__(self, procs):
        self.epoll = select.epoll()
        self.pending = {}
        for p in procs:
            fd = os.pidfd_open(p.pid)
            self.epoll.register(fd, select.EPOLLIN)
            self.pending[fd] = p
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while self.pending:
            for fd, _ in self.epoll.poll(1.0):
                p = self.pending.pop(fd)
                self.epoll.unregister(fd)
                os.close(fd)
                p.wait()

    def join(self, timeout):
        """True when every process of the batch has exited and been reaped."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


def batch(ctx, label):
    """Start COUNT victims; return the pattern that matches them, and them.

    The pattern is written `[p]tool-bench-...`, which matches the victims'
    marker but not itself, so a parent whose command line carries it
    (`/usr/bin/time pkill -f ...`) is not matched too."""
    marker = f"{ctx.marker}-{label}-{time.time_ns():x}"
    procs = ctx.start_victims(COUNT, marker, ready=True)
    return f"[{marker[0]}]{marker[1:]}", procs, Reaper(procs)


def timed(ctx, argvs, label):
    """Start a batch, then time `argvs` (run one after another) against it."""
    marker, procs, reaper = batch(ctx, label)
    start = time.perf_counter()
    codes = []
    for argv in argvs:
        codes.append(subprocess.run([a.replace("MARK", marker) for a in argv],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL).returncode)
    elapsed = time.perf_counter() - start
    if argvs[0][0] == ctx.ptool and codes[0] != 0:
        ctx.kill(procs)
        raise RuntimeError(f"{label}: ptool kill exited {codes[0]}")
    if not reaper.join(30):
        left = [p.pid for p in procs if p.returncode is None]
        states = []
        for pid in left[:5]:
            try:
                states.append(stat_fields(pid)[0])
            except OSError:
                states.append("gone")
        ctx.kill(procs)
        raise RuntimeError(f"{label}: {len(left)} victims left after {argvs} "
                           f"(exit codes {codes}; first: {list(zip(left, states))})")
    ctx.children = [c for c in ctx.children if c.returncode is None]
    return elapsed


def peak(ctx, argvs, label):
    """The largest peak RSS (KiB, GNU time) among `argvs`, run on a batch."""
    if not ctx.require("/usr/bin/time", "time"):
        return None
    marker, procs, reaper = batch(ctx, label)
    peaks = [ctx.peak_kib([a.replace("MARK", marker) for a in argv]) for argv in argvs]
    peaks = [p for p in peaks if p is not None]
    if not reaper.join(30):
        ctx.kill(procs)
    ctx.children = [c for c in ctx.children if c.returncode is None]
    return max(peaks) if peaks else None


def run(ctx):
    if not (ctx.require("pkill", "procps") and ctx.require("pidwait", "procps")):
        print("  skipped: pkill/pidwait not available")
        return
    ours = [[ctx.ptool, "kill", "-q", "-f", "MARK"]]
    theirs = [["pkill", "-f", "MARK"], ["pidwait", "-f", "MARK"]]
    t = ctx.alternate({
        "ours": lambda: timed(ctx, ours, "ours"),
        "theirs": lambda: timed(ctx, theirs, "theirs"),
    })
    ctx.record(
        f"ptool kill -f PAT  vs  pkill -f + pidwait ({COUNT})",
        t["ours"],
        t["theirs"],
        target=1.0,
        m_ours=peak(ctx, ours, "mem-ours"),
        m_theirs=peak(ctx, theirs, "mem-theirs"),
    )
