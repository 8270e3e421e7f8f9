"""Run the `drift` entry point in-process (tests, notebooks): returns the exit code it would give."""

from __future__ import annotations

import sys


def drift(*args) -> int:
    """`drift ARGS...` through cli.main.main (DriftError -> 1), without a subprocess."""
    from cli.main import main

    old = sys.argv
    sys.argv = ["drift", *map(str, args)]
    try:
        main()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = old
