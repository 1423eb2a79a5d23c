"""fork: 2,000 trivial jobs two at a time, `ptool fork -j 2` vs
`xargs -P 2` and vs GNU `parallel -j 2`.

Two like-for-like pairs of workloads:
- `true N`: every tool is fed the same 2,000 lines on stdin and runs
  `true N` per line (`ptool fork -- true`, `xargs -n 1`, `parallel`);
- bare `true`: every tool runs `true` with no argument 2,000 times
  (`ptool fork -n 2000 -- true`, `xargs -I %`, `parallel -N0`).

The distinction matters on a fast machine: GNU `true` given an argument
calls setlocale(3), which makes each job dearer for every tool alike and so
compresses the ratios towards 1; the bare runs show the per-job overhead of
the tools themselves more clearly."""

JOBS = 2000


def run(ctx):
    inputs = f"seq {JOBS} | "
    with_arg = inputs + f"{ctx.ptool} fork -j 2 -- true"
    bare = f"{ctx.ptool} fork -j 2 -n {JOBS} -- true"
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x true N  vs  xargs -P 2",
        with_arg,
        inputs + "xargs -n 1 -P 2 true",
        target=1.2,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x bare true  vs  xargs -P 2",
        bare,
        inputs + "xargs -P 2 -I % true",
        target=1.2,
        shell=True,
    )
    if not ctx.require("parallel"):
        print("  GNU parallel is not available: skipped")
        return
    # GNU parallel prints a citation notice unless told it has been seen.
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x true N  vs  parallel -j 2",
        with_arg,
        inputs + "parallel --will-cite -j 2 true",
        target=0.2,
        runs=3,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x bare true  vs  parallel -j 2",
        bare,
        inputs + "parallel --will-cite -j 2 -N0 true",
        target=0.2,
        runs=3,
        shell=True,
    )
