"""One error type for bad input, so the CLI can print it cleanly and exit non-zero."""


class DriftError(ValueError):
    """Bad input or state the user can fix; the message names the file, line or field."""
