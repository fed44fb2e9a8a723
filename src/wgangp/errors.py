"""The one exception type users see.

Anything raised as :class:`UserError` is a problem with the user's input (a preset name, a config
key, a data file, a run directory, a checkpoint). The CLI prints its message on one line and exits
with status 2; the Python API lets it propagate so callers can catch it.
"""


class UserError(Exception):
    """A problem with the user's input, with advice on what to do. Exit code 2 in the CLI."""


class Diverged(UserError):
    """Training produced a non-finite loss or weight; nothing non-finite was written."""
