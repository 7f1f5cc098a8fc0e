"""A Python process that runs, in order, the functions a pipeline process sends it.

A run keeps two of them: one for Great Expectations (data_quality/runner.py) and one for dbt
(orchestration/dbt_runner.py). Importing either library and loading its project costs a
small run seconds of Python; in a worker started with the run, that is paid on the other core
while the run's own process loads Dagster and ingests.

Requests go to the worker's stdin and messages come back on its stdout, each a pickle:
(function, args) in; ("event", value) for what the running function reports (`emit`),
("output", text) for what it prints, then ("answer", True, result) or ("answer", False,
exception). The worker ends when its stdin closes, and on its own when the process that
started it is gone (it must not go on writing a warehouse nobody waits for).
"""

from __future__ import annotations

import atexit
import io
import os
import pickle
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

_ORPHAN_POLL_S = 0.2
_NICENESS = "KYLUAT_WORKER_NICENESS"
_PARENT = "KYLUAT_WORKER_PARENT"
"""The pid of the process that started the worker (it may be gone before the worker starts)."""

_QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
"""A worker ends without tearing its libraries down (os._exit): multiprocessing's resource
tracker, started by dbt in its worker, then frees the locks dbt left and would warn about each
on the run's terminal. It inherits this filter through PYTHONWARNINGS."""


class Worker:
    """The worker process and its channel: requests go out at once, answers come back in the
    order asked, each to its `Pending`. `name` says whose worker it is in errors."""

    def __init__(self, name: str, niceness: int = 10) -> None:
        """`niceness`: a worker's warm-up must not slow the process that started it, whose
        Python is the run's critical path; of two workers, the one needed first is the less
        nice."""
        self.name = name
        self._process = subprocess.Popen(
            [sys.executable, "-m", "kyluat.worker"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, _PARENT: str(os.getpid()), _NICENESS: str(niceness),
                 "PYTHONWARNINGS": ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"),
                                                          _QUIET_TRACKER]))})
        self._waiting: deque[Pending] = deque()  # asked, answer not read yet
        self._lock = threading.Lock()

    @property
    def alive(self) -> bool:
        return self._process.poll() is None

    def submit(self, function, *args, on_event: Callable[[Any], None] | None = None) -> Pending:
        """Ask for `function(*args)` without waiting; its `Pending` has the answer. What the
        function emits goes to `on_event`, what it prints to this process's standard output,
        both while its answer is awaited."""
        with self._lock:
            try:
                pickle.dump((function, args), self._process.stdin)
                self._process.stdin.flush()
            except (BrokenPipeError, OSError):
                raise self._died() from None
            pending = Pending(self, on_event)
            self._waiting.append(pending)
            return pending

    def call(self, function, *args, on_event: Callable[[Any], None] | None = None):
        """`function(*args)` in the worker: its result, or its exception raised here."""
        return self.submit(function, *args, on_event=on_event).result()

    def _read_until(self, pending: Pending) -> None:
        with self._lock:
            while not pending.done:
                try:
                    message = pickle.load(self._process.stdout)
                except (EOFError, pickle.UnpicklingError):
                    raise self._died() from None
                first = self._waiting[0]
                if message[0] == "output":
                    sys.stdout.write(message[1])
                elif message[0] == "event":
                    if first.on_event is not None:
                        first.on_event(message[1])
                else:
                    self._waiting.popleft()
                    first.done, first.answer = True, message[1:]

    def _died(self) -> RuntimeError:
        code = self._process.wait()
        return RuntimeError(f"the {self.name} worker process ended (exit code {code}); its "
                            "error is above. Run again")

    def stop(self) -> None:
        """End the worker once it has answered what it was asked; at once when all it has
        left is its warm-up (a run that had nothing for it)."""
        self._process.stdin.close()  # the worker's end of file
        if all(p.disposable for p in self._waiting):
            self._process.kill()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()


class Pending:
    """An answer of the worker, read when asked for."""

    def __init__(self, worker: Worker, on_event: Callable[[Any], None] | None) -> None:
        self._worker = worker
        self.on_event = on_event
        self.disposable = False  # nobody waits for it: the worker may be stopped before
        self.done = False
        self.answer: tuple[bool, object] | None = None

    def result(self):
        self._worker._read_until(self)
        ok, value = self.answer
        if not ok:
            raise value
        return value


_started: dict[str, Worker] = {}


def started(name: str, warm_up, *args, niceness: int = 10) -> Worker:
    """This process's worker `name`, started on the first call (or after it died) and sent
    `warm_up(*args)` at once, an answer nobody waits for; every worker is stopped at exit."""
    worker = _started.get(name)
    if worker is None or not worker.alive:
        worker = _started[name] = Worker(name, niceness)
        worker.submit(warm_up, *args).disposable = True
    return worker


@atexit.register
def _stop_started() -> None:
    for worker in _started.values():
        worker.stop()
    _started.clear()


_channel: io.BufferedWriter | None = None
_channel_lock = threading.Lock()


def _send(message: tuple) -> None:
    try:
        data = pickle.dumps(message)
    except Exception as exc:
        data = pickle.dumps(("answer", False, RuntimeError(f"{type(exc).__name__}: {exc}")))
    with _channel_lock:
        _channel.write(data)
        _channel.flush()


def emit(value) -> None:
    """From a function running in a worker: hand `value` to its caller's `on_event`."""
    _send(("event", value))


class _Output(io.TextIOBase):
    """The worker's standard output: each write goes to the caller, whose stdout (a run's log,
    a terminal) is where the function's lines belong."""

    def write(self, text: str) -> int:
        if text:
            _send(("output", text))
        return len(text)

    def writable(self) -> bool:
        return True


def _end_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_ORPHAN_POLL_S)
    os._exit(1)


def serve() -> None:
    global _channel
    requests, _channel = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = _Output()  # whatever a library prints must not reach the channel as is
    os.nice(int(os.environ.pop(_NICENESS)))
    parent = int(os.environ.pop(_PARENT))
    threading.Thread(target=_end_with_parent, args=(parent,), daemon=True).start()
    while True:
        try:
            function, args = pickle.load(requests)
        except EOFError:
            return
        try:
            answer = ("answer", True, function(*args))
        except Exception as exc:  # the caller raises it
            answer = ("answer", False, exc)
        sys.stdout.flush()
        _send(answer)


if __name__ == "__main__":
    from kyluat import worker  # this file runs as __main__: `emit` is the module's own

    worker.serve()
    os._exit(0)  # answers are flushed; tearing the libraries down would only make the caller wait
