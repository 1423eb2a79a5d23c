"""fork: `ptool fork` vs `xargs -P` and GNU `parallel`, side by side.

Trivial jobs, two at a time (per-job overhead of the tools themselves):
- `true N`: every tool is fed the same 2,000 lines on stdin and runs
  `true N` per line (`ptool fork -- true`, `xargs -n 1`, `parallel`);
- bare `true`: every tool runs `true` with no argument 2,000 times
  (`ptool fork --count 2000 -- true`, `xargs -I %`, `parallel -N0`);
- replacement strings: `true {.} {/}` per input, with parallel's syntax;
- a shell-string command (`'true {} && true'`), which both tools run under
  /bin/sh with the input quoted.

GNU `true` given an argument calls setlocale(3), which makes each job
dearer for every tool alike and so compresses the ratios towards 1; the
bare runs show the per-job overhead of the tools more clearly.

Data through jobs' stdin: a 1 GiB file of numbered lines, generated in a
temporary directory (and deleted), split into 1 MiB blocks for `wc -l`,
two jobs at a time: `--pipe` (ptool reads stdin and writes each block into
a job's stdin pipe) and `--pipepart` (ptool splices each range of the file
into a job's pipe; parallel starts a reader per block). The peak memory of
`--pipe` must stay under jobs x block + 8 MiB."""

import os
import shutil
import tempfile

JOBS = 2000
GIB = 1 << 30


def make_big_file(path):
    line = b"".join(b"%015d\n" % i for i in range(4096))  # 64 KiB of lines
    with open(path, "wb") as f:
        for _ in range(GIB // len(line)):
            f.write(line)


def run(ctx):
    inputs = f"seq {JOBS} | "
    paths = f"seq -f 'dir/sub/file%g.tar.gz' {JOBS} | "
    with_arg = inputs + f"{ctx.ptool} fork -j 2 -- true"
    bare = f"{ctx.ptool} fork -j 2 --count {JOBS} -- true"
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x true N  vs  xargs -P 2",
        with_arg,
        inputs + "xargs -n 1 -P 2 true",
        target=1.0,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x bare true  vs  xargs -P 2",
        bare,
        inputs + "xargs -P 2 -I % true",
        target=1.0,
        shell=True,
    )
    if not ctx.require("parallel"):
        print("  GNU parallel is not available: skipped")
        return
    # GNU parallel prints a citation notice unless told it has been seen.
    par = "parallel --will-cite"
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x true N  vs  parallel -j 2",
        with_arg,
        inputs + f"{par} -j 2 true",
        target=0.2,
        runs=3,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x bare true  vs  parallel -j 2",
        bare,
        inputs + f"{par} -j 2 -N0 true",
        target=0.2,
        runs=3,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x true {{.}} {{/}}  vs  parallel",
        paths + f"{ctx.ptool} fork -j 2 true {{.}} {{/}}",
        paths + f"{par} -j 2 true {{.}} {{/}}",
        target=0.25,
        runs=3,
        shell=True,
    )
    ctx.compare(
        f"ptool fork -j 2, {JOBS} x 'true {{}} && true'  vs  parallel",
        paths + f"{ctx.ptool} fork -j 2 'true {{}} && true'",
        paths + f"{par} -j 2 'true {{}} && true'",
        target=0.25,
        runs=3,
        shell=True,
    )
    run_pipe(ctx)


def run_pipe(ctx):
    """The --pipe and --pipepart comparisons (GNU parallel required)."""
    par = "parallel --will-cite"
    tmp = tempfile.mkdtemp(prefix="ptool-bench-fork-")
    try:
        big = os.path.join(tmp, "big.txt")
        make_big_file(big)
        ctx.compare(
            "ptool fork --pipe -j 2 wc -l, 1 GiB  vs  parallel --pipe",
            f"{ctx.ptool} fork --pipe -j 2 --block 1M wc -l < {big}",
            f"{par} --pipe -j 2 --block 1M wc -l < {big}",
            target=0.5,
            runs=3,
            shell=True,
        )
        ctx.compare(
            "ptool fork --pipepart -j 2 wc -l, 1 GiB  vs  parallel",
            f"{ctx.ptool} fork --pipepart -a {big} -j 2 --block 1M wc -l",
            f"{par} --pipepart -a {big} -j 2 --block 1M wc -l",
            target=1.0,
            runs=3,
            shell=True,
        )
        # Memory: jobs x block + 8 MiB, with 1 MiB and 16 MiB blocks.
        for block_mib in (1, 16):
            peak = ctx.peak_kib(
                f"{ctx.ptool} fork --pipe -j 2 --block {block_mib}M wc -l < {big}", shell=True
            )
            bound = (2 * block_mib + 8) * 1024
            ok = "ok" if peak is not None and peak <= bound else "MISS"
            print(f"  ptool fork --pipe -j 2 --block {block_mib}M: peak {peak} KiB "
                  f"(bound {bound} KiB) {ok}", flush=True)
            ctx.record(
                f"fork --pipe --block {block_mib}M peak KiB vs jobs x block + 8 MiB",
                float(peak or 0), float(bound), 1.0, unit="KiB",
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
