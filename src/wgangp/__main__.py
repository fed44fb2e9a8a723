"""``python -m wgangp`` and the ``wgangp`` command: the CLI, then an exit without the interpreter's teardown."""
import os
import sys

from wgangp.cli import main


def console() -> None:
    """Run :func:`wgangp.cli.main` and exit with its status.

    By the time ``main`` returns, every file the command wrote is closed and in place (the library
    writes through a temporary file and a rename) and a torchrun group is destroyed; what the
    interpreter would still do is tear down torch's module graph, which a command-line user only
    waits for (a median 2.97 s of a short ``wgangp train`` on 2 CPU cores, 0.95 s after a bare
    ``import torch``: ``python benchmarks/cli_exit.py``, ``benchmarks/results/cli_exit.txt``). An exception
    that escapes ``main`` leaves the normal way, with its traceback and the atexit handlers.
    """
    rc = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:                 # a reader that left (wgangp list | head): nothing more to say
        pass
    if "torch" in sys.modules:
        os._exit(rc)
    sys.exit(rc)


if __name__ == "__main__":
    console()
