"""spawn: the cost of starting a command.

`ptool spawn --wait -- true` vs `timeout 10 true` (a supervised foreground
run), and 200 detached starts in a shell loop, `ptool spawn -q -- true` vs
`setsid -f true`, and the same 200 starts made by one `ptool spawn -n 200`.
ptool waits until each detached command has really exec'd (so it can report
127/126); `setsid -f` returns without knowing, and its child's exec goes on
on the other core while the loop starts the next one. The rest of the
difference is start-up: ptool is a larger program to load than `setsid`.
"""

LOOP = 200


def run(ctx):
    ctx.compare(
        "ptool spawn --wait -- true  vs  timeout 10 true",
        [ctx.ptool, "spawn", "--wait", "--", "true"],
        ["timeout", "10", "true"],
        target=1.5,
    )
    ours = f'for i in $(seq {LOOP}); do "{ctx.ptool}" spawn -q -- true; done'
    theirs = f"for i in $(seq {LOOP}); do setsid -f true; done"
    ctx.compare(
        f"{LOOP}x ptool spawn -- true  vs  {LOOP}x setsid -f true",
        ours,
        theirs,
        target=1.5,
        shell=True,
    )
    ctx.compare(
        f"ptool spawn -n {LOOP} -- true  vs  {LOOP}x setsid -f true",
        f'"{ctx.ptool}" spawn -q -n {LOOP} -- true',
        theirs,
        target=1.5,
        runs=max(3, ctx.runs // 2),
        shell=True,
    )
