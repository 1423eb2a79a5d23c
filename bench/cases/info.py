"""info: `ptool info --files PID` vs `lsof -p PID` on a process holding 1,000
open descriptors (the victim's `--open-many`), and the whole page for scale."""

import os
import subprocess


def run(ctx):
    if not ctx.require("lsof"):
        print("  lsof is not available: skipped")
        return
    # Started by hand rather than with ctx.start_victims, to read its ready
    # line: it is printed once all the descriptors are open.
    victim = subprocess.Popen(
        [ctx.victim, ctx.marker + "-info", "--forever", "--open-many", "1000",
         "--pipe", "--listen", "--connect"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
    )
    ctx.children.append(victim)
    try:
        ready = victim.stdout.readline()
        if not ready:
            raise RuntimeError("the victim did not start")
        pid = str(victim.pid)
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        print(f"  victim {pid} holds {fds} descriptors", flush=True)
        # Time only a run that lists them all.
        listed = subprocess.run([ctx.ptool, "info", "--files", pid],
                                capture_output=True, text=True, check=True)
        rows = len(listed.stdout.splitlines()) - 1
        if rows != fds:
            raise RuntimeError(f"ptool info --files listed {rows} of {fds} descriptors")
        ctx.compare(
            "ptool info --files PID  vs  lsof -p PID",
            [ctx.ptool, "info", "--files", pid],
            ["lsof", "-p", pid],
            target=0.5,
        )
        ctx.compare(
            "ptool info PID  vs  lsof -p PID",
            [ctx.ptool, "info", pid],
            ["lsof", "-p", pid],
            target=1.0,
        )
    finally:
        victim.stdout.close()
        ctx.kill([victim])
