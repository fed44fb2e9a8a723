"""What this machine has and which processes live, for checks made before work starts (no torch import)."""
from __future__ import annotations

import os


def physical_memory() -> int:
    """Bytes of RAM (8 GiB where the system does not say)."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def gib(nbytes: float) -> str:
    return f"{nbytes / 2**30:.1f} GiB"


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists (another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True
