"""The one exception type users see.

Anything raised as :class:`UserError` is a problem with the user's input (a preset name, a config
key, a data file, a run directory, a checkpoint). The CLI prints its message on one line and exits
with status 2; the Python API lets it propagate so callers can catch it.
"""
import re
from contextlib import contextmanager


class UserError(Exception):
    """A problem with the user's input, with advice on what to do. Exit code 2 in the CLI."""


class Diverged(UserError):
    """Training produced a non-finite loss or weight; nothing non-finite was written."""


def is_out_of_memory(e: BaseException) -> bool:
    """An allocation failure: Python's MemoryError, torch's (CUDA) OutOfMemoryError, or the CPU
    allocator's RuntimeError."""
    if isinstance(e, MemoryError) or type(e).__name__ == "OutOfMemoryError":
        return True
    text = str(e)
    return isinstance(e, RuntimeError) and ("can't allocate memory" in text or "out of memory" in text.lower())


@contextmanager
def out_of_memory(what: str, advice: str):
    """``with out_of_memory("training", "lower data.batch_size"):`` turns an allocation failure into a
    one-line :class:`UserError` naming what ran out and what to change (the failed allocation's size
    when torch says it)."""
    try:
        yield
    except BaseException as e:
        if not is_out_of_memory(e):
            raise
        size = re.search(r"(allocate|Tried to allocate) ([0-9.]+ ?[KMGT]i?B|[0-9]+ bytes)", str(e))
        detail = f" (an allocation of {size.group(2)} failed)" if size else ""
        raise UserError(f"out of memory during {what}{detail}; {advice}") from None
