"""Run a command, pass its output through, and print a line whenever it has been silent for
SECONDS, so that a long quiet step of `make setup` (installing, parsing dbt) shows that it is
alive: `python3 tools/heartbeat.py "what it does" COMMAND...`. Only the standard library: it
runs before the virtual environment exists. Exits with the command's exit code."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

SECONDS = 5.0


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: heartbeat.py LABEL COMMAND...", file=sys.stderr)
        return 2
    label, command = argv[0], argv[1:]
    started = last = time.monotonic()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def forward() -> None:
        nonlocal last
        for line in iter(process.stdout.readline, b""):
            sys.stdout.buffer.write(line)
            sys.stdout.flush()
            last = time.monotonic()

    reader = threading.Thread(target=forward, daemon=True)
    reader.start()
    while process.poll() is None:
        time.sleep(0.5)
        if time.monotonic() - last >= SECONDS:
            print(f"  {label}: {time.monotonic() - started:.0f} s", flush=True)
            last = time.monotonic()
    reader.join(timeout=5)
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
