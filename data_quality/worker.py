"""The process that runs Great Expectations for the pipeline (data_quality.runner.Checker).

Requests arrive on stdin and answers leave on stdout, each a pickle: (function, args) in,
(True, result) or (False, exception) out, in order. It ends when stdin closes, which is also
what happens when the process that started it dies.
"""

from __future__ import annotations

import os
import pickle
import sys


def serve() -> None:
    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # whatever a library prints must not reach the answers
    while True:
        try:
            function, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = (True, function(*args))
        except Exception as exc:  # the caller raises it
            answer = (False, exc)
        try:
            data = pickle.dumps(answer)
        except Exception as exc:
            data = pickle.dumps((False, RuntimeError(f"{type(exc).__name__}: {exc}")))
        answers.write(data)
        answers.flush()


if __name__ == "__main__":
    serve()
    os._exit(0)  # answers are flushed; tearing GE's modules down would only make the caller wait
