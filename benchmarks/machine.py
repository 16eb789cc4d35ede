"""What every benchmark prints before and after its runs: other work disturbs timings."""

from __future__ import annotations

import os


def machine_state() -> str:
    """Load average and free memory, with a warning when the machine is busy."""
    load = os.getloadavg()[0]
    available = 0.0
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) / 2**20
    except OSError:
        pass
    note = (" -- other processes are busy, timings may be disturbed"
            if load > 0.5 * (os.cpu_count() or 1) else "")
    return (f"load average (1 min) {load:.2f} on {os.cpu_count()} CPUs, {available:.1f} GiB "
            f"memory available{note}")
