"""tree: `ptool tree` vs `pstree` on the whole workload.

pstree reads every process's threads too (it draws them unless -T), so the
like-for-like row is `ptool tree --pids --threads` vs `pstree -p`; the main
row, `ptool tree --pids` vs `pstree -p`, compares the default views.
"""


def run(ctx):
    if not ctx.require("pstree", "psmisc"):
        print("  pstree unavailable; skipping", flush=True)
        return
    ctx.compare("ptool tree --pids  vs  pstree -p", [ctx.ptool, "tree", "--pids"], ["pstree", "-p"], target=0.3)
    ctx.compare(
        "ptool tree --pids --threads  vs  pstree -p",
        [ctx.ptool, "tree", "--pids", "--threads"],
        ["pstree", "-p"],
        target=0.3,
    )
    ctx.compare("ptool tree  vs  pstree", [ctx.ptool, "tree"], ["pstree"], target=0.3)
    ctx.compare(
        "ptool tree --json  vs  pstree -p",
        [ctx.ptool, "tree", "--json"],
        ["pstree", "-p"],
        target=1.0,
    )
