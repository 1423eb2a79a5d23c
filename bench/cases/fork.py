"""fork: 2,000 trivial jobs (`true`) two at a time, `ptool fork -j 2` vs
`xargs -n 1 -P 2` and vs GNU `parallel -j 2`, all fed the same 2,000 input
lines on stdin (so each runs `true N`, one process per input)."""

JOBS = 2000


def run(ctx):
    inputs = f"seq {JOBS} | "
    ours = inputs + f"{ctx.ptool} fork -j 2 -- true"
    ctx.compare(
        f"ptool fork -j 2 ({JOBS} x true)  vs  xargs -P 2",
        ours,
        inputs + "xargs -n 1 -P 2 true",
        target=1.2,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2 -n {JOBS} -- true  vs  xargs -P 2",
        f"{ctx.ptool} fork -j 2 -n {JOBS} -- true",
        inputs + "xargs -n 1 -P 2 true",
        target=1.2,
        shell=True,
    )
    if not ctx.require("parallel"):
        print("  GNU parallel is not available: skipped")
        return
    # GNU parallel prints a citation notice unless told it has been seen.
    ctx.compare(
        f"ptool fork -j 2 ({JOBS} x true)  vs  GNU parallel -j 2",
        ours,
        inputs + "parallel --will-cite -j 2 true",
        target=0.2,
        runs=3,
        shell=True,
    )
