"""Run a command with SIGINT and SIGTERM at their defaults: `python tools/interruptible.py
COMMAND...` (used by `make ui`). A program started in the background of a script inherits
SIGINT ignored, and `dagster dev` maps SIGTERM to its SIGINT handler, so it then ignored
SIGTERM as well and outlived `make ui`. Only the standard library."""

from __future__ import annotations

import os
import shutil
import signal
import sys


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: interruptible.py COMMAND...", file=sys.stderr)
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)  # a default disposition survives exec
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})  # so does a mask
    program = shutil.which(argv[0]) or argv[0]
    os.execv(program, argv)  # the same process: make's signals reach the command itself


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
