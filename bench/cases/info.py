"""info: `ptool info --files PID` vs `lsof -p PID` on a process holding 1,000
open descriptors (the victim's `--open-many`), and the whole page for scale."""

import os
import subprocess


def run(ctx):
    if not ctx.require("lsof"):
        print("  lsof is not available: skipped")
        return
    # Ready once all its descriptors are open.
    [victim] = ctx.start_victims(
        1, ctx.marker + "-info",
        ["--open-many", "1000", "--pipe", "--listen", "--connect"], ready=True)
    try:
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
        ctx.kill([victim])
