"""completions: the PID list a TAB after `ptool kill ` waits for.

`ptool complete-pids` (what the bash, zsh and fish scripts run at a PID)
against `ps -axo pid=,comm=`, which is how bash-completion's `_pids`, zsh's
`_pids` and fish's `__fish_complete_pids` list processes: both print every
PID with its name, so the ratio is the latency a TAB adds over theirs.
"""


def run(ctx):
    if not ctx.require("ps", "procps"):
        print("  ps unavailable; skipping", flush=True)
        return
    ctx.compare(
        "ptool complete-pids (kill, all PIDs)  vs  ps -axo pid=,comm=",
        [ctx.ptool, "complete-pids", "bash", "2", "ptool", "kill", ""],
        ["ps", "-axo", "pid=,comm="],
        target=1.0,
    )
