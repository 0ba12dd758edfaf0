"""The one protocol every Python job speaks: JSON objects, one per line, on the process's original stdout.

Events: progress {fraction|null, message}, metric {name, value, unit, step|null}, artifact {path, kind, meta}, result {data},
error {message, type, traceback}. Anything a library prints goes to stderr, which Whittle keeps as the job log,
so a stray print() can never be mistaken for an event.
"""
from __future__ import annotations

import json
import os
import sys
import time
import traceback
from typing import Any, Callable

from . import guard

# sitecustomize.py installs it first; this keeps a job guarded even where site customization was skipped.
guard.install()

_events = sys.stdout
sys.stdout = sys.stderr

_last_progress = 0.0


def emit(event: str, **fields: Any) -> None:
    _events.write(json.dumps({"event": event, **fields}, default=str) + "\n")
    _events.flush()


def progress(fraction: float | None, message: str, *, force: bool = False) -> None:
    """Throttled to 10 per second unless forced; the last update of a step should be forced."""
    global _last_progress
    now = time.monotonic()
    if not force and now - _last_progress < 0.1:
        return
    _last_progress = now
    emit("progress", fraction=None if fraction is None else max(0.0, min(1.0, fraction)), message=message)


def metric(name: str, value: float | int | str, unit: str | None = None, *, step: int | None = None) -> None:
    """A point of the series `name`; give `step` (training step, sample index) for curves. Numeric values are stored."""
    emit("metric", name=name, value=value, unit=unit, step=step)


def artifact(path: str, kind: str, **meta: Any) -> None:
    emit("artifact", path=os.path.abspath(path), kind=kind, meta=meta)


def result(**data: Any) -> None:
    emit("result", data=data)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class JobError(Exception):
    """An expected failure: the message is shown to the user as is, without a traceback."""


def run(main: Callable[[], None]) -> None:
    """Runs a job's main(), turning any exception into an error event and exit status 1."""
    try:
        main()
    except JobError as err:
        emit("error", message=str(err), type="JobError", traceback=None)
        sys.exit(1)
    except guard.ModelCodeRefused as err:
        emit("error", message=str(err), type="ModelCodeRefused", traceback=None)
        sys.exit(1)
    except KeyboardInterrupt:
        emit("error", message="cancelled", type="KeyboardInterrupt", traceback=None)
        sys.exit(130)
    except BaseException as err:  # noqa: BLE001 - every failure must reach the job record
        if isinstance(err, SystemExit) and err.code in (0, None):
            raise
        tb = traceback.format_exc()
        traceback.print_exc(file=sys.stderr)
        message = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
        emit("error", message=message, type=type(err).__name__, traceback=tb)
        sys.exit(1)
