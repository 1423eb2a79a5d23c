"""ls: `ptool ls` vs `ps aux`, and `ptool ls -f PAT --pids` vs `pgrep -f PAT`."""


def run(ctx):
    ctx.compare("ptool ls  vs  ps aux", [ctx.ptool, "ls"], ["ps", "aux"], target=0.5)
    ctx.compare(
        "ptool ls -f PAT --pids  vs  pgrep -f PAT",
        [ctx.ptool, "ls", "-f", ctx.marker, "--pids"],
        ["pgrep", "-f", ctx.marker],
        target=0.5,
    )
    ctx.compare(
        "ptool ls --json  vs  ps aux",
        [ctx.ptool, "ls", "--json"],
        ["ps", "aux"],
        target=1.0,
    )
