"""top: the CPU of `ptool top` per refresh against `top -b`, its screen against
its batch mode, its peak memory against htop's, and how soon a key is drawn.

CPU is user + system time of the whole process over 10 refreshes at the same
interval (batch: `ptool top -b` vs `top -b -n 10 -d ...`). The interactive
screen and htop run in tmux (a real terminal) under GNU time, for their CPU
and peak memory over the same time. The key latency is measured on a
pseudo-terminal of the benchmark's own, from writing `?` to reading the help
screen's text back.
"""

import fcntl
import os
import pty
import resource
import select
import struct
import subprocess
import tempfile
import termios
import time

REFRESHES = 10
INTERVAL = 0.2  # seconds


def child_cpu(argv):
    """User + system seconds of one run of `argv` (output discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, env=dict(os.environ, COLUMNS="200"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


class Tmux:
    """A tmux server of its own, for screens that need a terminal."""

    def __init__(self, ctx):
        self.socket = f"bench-top-{os.getpid()}"
        self.ctx = ctx
        # A session that stays, so the server does not exit between runs.
        subprocess.run(self.cmd("new-session", "-d", "-s", "keep", "sleep 3600"), check=True)

    def cmd(self, *args):
        return ["tmux", "-L", self.socket, "-f", "/dev/null", *args]

    def run_in_terminal(self, shell_command, bound=120):
        """Run `shell_command` in a 200x50 terminal until it ends."""
        done = f"done-{time.time_ns()}"
        subprocess.run(self.cmd("new-session", "-d", "-x", "200", "-y", "50",
                                f"{shell_command}; tmux -L {self.socket} wait-for -S {done}"),
                       check=True)
        subprocess.run(self.cmd("wait-for", done), timeout=bound)

    def timed(self, argv_text, bound=120):
        """(user + system seconds, peak KiB) of a command run in the terminal."""
        with tempfile.NamedTemporaryFile("r", suffix=".time") as f:
            self.run_in_terminal(f"/usr/bin/time -f '%U %S %M' -o {f.name} {argv_text}", bound)
            fields = f.read().split()
        user, system, peak = float(fields[-3]), float(fields[-2]), int(fields[-1])
        return user + system, peak

    def close(self):
        subprocess.run(self.cmd("kill-server"), stderr=subprocess.DEVNULL)


def key_latency(ptool, samples=7):
    """Median seconds from a key (`?`) written to ptool top's terminal to the
    help screen's text coming back from it, on a pseudo-terminal of our
    own (no terminal emulator in between)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(ptool, [ptool, "top", "-d", "1s"])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 200, 0, 0))
    os.kill(pid, 28)  # SIGWINCH: the size is set after ptool started

    def until(marker, bound=30.0):
        seen = b""
        deadline = time.perf_counter() + bound
        while marker not in seen:
            left = deadline - time.perf_counter()
            if left <= 0:
                raise RuntimeError(f"ptool top did not show {marker!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                seen = seen[-200:] + os.read(fd, 65536)

    try:
        until(b"Tasks:")
        times = []
        for _ in range(samples):
            time.sleep(0.3)
            start = time.perf_counter()
            os.write(fd, b"?")
            until(b"keys (Esc")
            times.append(time.perf_counter() - start)
            os.write(fd, b"\x1b")
            until(b"PID")
        times.sort()
        return times[len(times) // 2]
    finally:
        os.write(fd, b"q")
        try:
            until(b"\x1b[?1049l", 10)  # the alternate screen is left
        except (RuntimeError, OSError):
            os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def run(ctx):
    if not ctx.require("top", "procps"):
        print("  skipped: procps top is not available")
        return
    interval = f"{int(INTERVAL * 1000)}ms"
    ours = [ctx.ptool, "top", "-b", "--iterations", str(REFRESHES), "-d", interval]
    theirs = ["top", "-b", "-n", str(REFRESHES), "-d", str(INTERVAL)]
    t = ctx.alternate({
        "ours": lambda: child_cpu(ours),
        "theirs": lambda: child_cpu(theirs),
    })
    ctx.record(f"ptool top -b  vs  top -b (CPU, {REFRESHES} refreshes)", t["ours"], t["theirs"],
               0.5, ctx.peak_kib(ours), ctx.peak_kib(theirs))
    ours_json = [ctx.ptool, "top", "--json", "--iterations", str(REFRESHES), "-d", interval]
    t = ctx.alternate({
        "ours": lambda: child_cpu(ours_json),
        "theirs": lambda: child_cpu(theirs),
    })
    ctx.record(f"ptool top --json  vs  top -b (CPU, {REFRESHES} refreshes)", t["ours"],
               t["theirs"], 1.0)

    if not (ctx.require("tmux") and ctx.require("htop") and ctx.require("/usr/bin/time", "time")):
        print("  skipped the screen comparisons: tmux, htop or GNU time is missing")
        return
    tmux = Tmux(ctx)
    try:
        screen = f"{ctx.ptool} top --iterations {REFRESHES} -d {interval}"
        batch = f"{ctx.ptool} top -b --iterations {REFRESHES} -d {interval} > /dev/null"
        runs = max(3, ctx.runs // 2)
        screens, batches = [], []
        for _ in range(runs):
            screens.append(tmux.timed(screen))
            batches.append(tmux.timed(batch))
        screens.sort()
        batches.sort()
        s_cpu, s_peak = screens[len(screens) // 2]
        b_cpu, _ = batches[len(batches) // 2]
        ctx.record("ptool top (screen)  vs  ptool top -b (CPU)", s_cpu, b_cpu, 1.0)
        # htop has no refresh count: as long as ptool's screen ran, at the
        # same interval (-d is in tenths of a second).
        seconds = REFRESHES * INTERVAL
        # --foreground: htop must stay in the terminal's foreground group.
        htop = f"timeout --foreground -s TERM {seconds} htop -d {int(INTERVAL * 10)}"
        peaks = sorted(tmux.timed(htop)[1] for _ in range(runs))
        ctx.record("ptool top (screen)  vs  htop (peak memory)", s_peak, peaks[len(peaks) // 2],
                   1.0, s_peak, peaks[len(peaks) // 2], unit="KiB")
        latency = key_latency(ctx.ptool)
        ctx.record("ptool top: key to screen  vs  50 ms budget", latency, 0.050, 1.0)
    finally:
        tmux.close()
