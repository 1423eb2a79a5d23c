"""ptool's benchmark: ptool against the tools it replaces, in one run.

Starts a workload of idle processes (ptool-victim, each carrying one marker),
runs every case in bench/cases/ (or those named on the command line), and
prints, per comparison, the median wall time of each side, their ratio and the
target, and the peak memory of each side. Absolute times on a shared machine
are noise; the ratios within one run are what to read.

Every process it starts is recorded and killed (through a pidfd) and reaped
on the way out, even after an error or Ctrl-C.
"""

import argparse
import importlib.util
import os
import pathlib
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
RELEASE = ROOT / "target" / "release"


class Ctx:
    """What a case gets: paths, the workload marker, and timing helpers."""

    def __init__(self, procs, runs):
        self.ptool = str(RELEASE / "ptool")
        self.victim = str(RELEASE / "ptool-victim")
        self.procs = procs
        self.runs = runs
        self.marker = f"ptool-bench-{os.getpid()}-{time.time_ns():x}"
        self.children = []  # every Popen we start, for cleanup
        self.results = []

    # --- processes -------------------------------------------------------
    def start_victims(self, count, marker=None, extra=(), ready=False):
        """Start `count` idle victims with `marker` (default: the workload's).

        With `ready`, return only once each has printed its ready line: a
        victim prints it when everything it was asked to hold is open, and
        until it runs at all its /proc/PID/cmdline is empty, so no `-f`
        pattern can match it yet."""
        marker = marker or self.marker
        started = []
        for _ in range(count):
            p = subprocess.Popen(
                [self.victim, marker, "--forever", *extra],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE if ready else subprocess.DEVNULL,
            )
            self.children.append(p)
            started.append(p)
        if ready:
            for p in started:
                line = p.stdout.readline()
                p.stdout.close()
                if not line:
                    raise RuntimeError(f"victim {p.pid} did not start")
        return started

    def kill(self, procs):
        """Kill (by pidfd, so never a recycled PID) and reap `procs`."""
        for p in procs:
            if p.returncode is None:
                try:
                    fd = os.pidfd_open(p.pid)
                    signal.pidfd_send_signal(fd, signal.SIGKILL)
                    os.close(fd)
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        self.children = [c for c in self.children if c.returncode is None]

    def cleanup(self):
        self.kill(list(self.children))

    # --- timing ----------------------------------------------------------
    def peak_kib(self, argv, shell=False):
        """Peak RSS in KiB of one run, by GNU time: measured in a process
        that exec()s the command, so the forking parent's memory (Python's)
        does not count, as it would in wait4's ru_maxrss."""
        if not self.require("/usr/bin/time", "time"):
            return None
        if shell:
            argv = ["sh", "-c", argv]
        p = subprocess.run(["/usr/bin/time", "-f", "%M", *argv], stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            return int(p.stderr.strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None

    def time_once(self, argv, shell=False):
        """Wall seconds of one run."""
        start = time.perf_counter()
        subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, shell=shell)
        return time.perf_counter() - start

    def alternate(self, samplers, runs=None):
        """The median of each sampler's measurements ({tag: () -> value}),
        after one warm-up run each (page cache, dynamic loader). They run in
        alternation, one of each in turn, so that a burst of load from
        elsewhere on this shared machine weighs on all of them alike."""
        for sample in samplers.values():
            sample()
        values = {tag: [] for tag in samplers}
        for _ in range(runs or self.runs):
            for tag, sample in samplers.items():
                values[tag].append(sample())
        return {tag: statistics.median(v) for tag, v in values.items()}

    def compare(self, name, ours, theirs, target, runs=None, shell=False):
        """Time `ours` and `theirs` in alternation and record the ratio of
        their medians. `target` is the largest acceptable ours/theirs ratio."""
        t = self.alternate({
            "ours": lambda: self.time_once(ours, shell=shell),
            "theirs": lambda: self.time_once(theirs, shell=shell),
        }, runs)
        m_ours, m_theirs = self.peak_kib(ours, shell), self.peak_kib(theirs, shell)
        self.record(name, t["ours"], t["theirs"], target, m_ours, m_theirs)

    def record(self, name, t_ours, t_theirs, target, m_ours=None, m_theirs=None, unit="s"):
        ratio = t_ours / t_theirs if t_theirs else float("inf")
        self.results.append((name, t_ours, t_theirs, ratio, target, m_ours, m_theirs, unit))
        ok = "ok" if ratio <= target else "MISS"
        print(f"  {name}: ptool {fmt(t_ours, unit)}  reference {fmt(t_theirs, unit)}  "
              f"ratio {ratio:.2f} (target <= {target}) {ok}", flush=True)

    def require(self, tool, package=None):
        """Make sure a reference tool is installed (from Debian's packages)."""
        if shutil.which(tool) or os.access(tool, os.X_OK):
            return True
        package = package or tool
        print(f"  installing {package} for the comparison...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", package],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if not shutil.which(tool):
            subprocess.run(["apt-get", "update", "-qq"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            subprocess.run(["apt-get", "install", "-y", "-qq", package],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return shutil.which(tool) is not None or os.access(tool, os.X_OK)


def fmt(value, unit):
    if unit == "s":
        return f"{value * 1000:8.1f} ms"
    return f"{value:8.3f} {unit}"


def load_cases():
    cases = {}
    for path in sorted((ROOT / "bench" / "cases").glob("*.py")):
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        cases[path.stem] = module
    return cases


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--procs", type=int, default=5000, help="idle processes in the workload")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per command (median)")
    parser.add_argument("cases", nargs="*", help="cases to run (default: all)")
    args = parser.parse_args()

    cases = load_cases()
    chosen = args.cases or list(cases)
    unknown = [c for c in chosen if c not in cases]
    if unknown:
        sys.exit(f"unknown case(s): {', '.join(unknown)}; have: {', '.join(cases)}")

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ctx = Ctx(args.procs, args.runs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        print(f"workload: {args.procs} idle processes marked {ctx.marker}", flush=True)
        ctx.start_victims(args.procs)
        for name in chosen:
            print(f"[{name}]", flush=True)
            cases[name].run(ctx)
    finally:
        ctx.cleanup()

    print()
    print(f"{'comparison':<48} {'ptool':>11} {'reference':>11} {'ratio':>6} {'target':>7}  peak KiB (ptool/ref)")
    for name, t_ours, t_theirs, ratio, target, m_ours, m_theirs, unit in ctx.results:
        mem = f"{m_ours}/{m_theirs}" if m_ours is not None else "-"
        ok = "" if ratio <= target else "  MISS"
        print(f"{name:<48} {fmt(t_ours, unit):>11} {fmt(t_theirs, unit):>11} {ratio:6.2f} {target:>7}  {mem}{ok}")


if __name__ == "__main__":
    main()
