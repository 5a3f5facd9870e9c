"""The one exception type for bad input: the CLI turns it into a message and exit code 2."""


class EnunciateError(Exception):
    """A user-facing error: one sentence saying what was wrong and what to do."""
