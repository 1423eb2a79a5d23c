"""Reading /proc for the benchmark cases (beside bench.py, so that cases
can `from procstat import stat_fields`)."""


def stat_fields(pid):
    """The fields of /proc/PID/stat after the name (split at the last ')'),
    so that fields[0] is field 3 (state) and field N is fields[N - 3]."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()
