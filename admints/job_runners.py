"""Who runs a job (R-ACC-6): the runner identity written on a running job row (host, process
id, a process start marker so that a reused pid is not taken for the runner), whether that
process still lives, and the heartbeat thread that shows it is still working."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable

from flask import Flask


def process_marker(pid: int) -> str | None:
    """The start time of process `pid` (clock ticks since boot), None when it does not exist
    or is a zombie, "" when this system has no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read().decode("ascii", errors="replace")
    except FileNotFoundError:
        return None if os.path.exists("/proc/self/stat") else ""
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: cut after the last ")".
    fields = data.rsplit(")", 1)[1].split()
    state, start = fields[0], fields[19]  # fields 3 and 22 of proc(5)
    return None if state in ("Z", "X") else start


def this_process() -> dict:
    """The runner columns of a job run by this process."""
    return {"runner_host": socket.gethostname()[:255], "runner_pid": os.getpid(),
            "runner_started": process_marker(os.getpid()) or ""}


def alive(pid: int, started: str | None) -> bool:
    marker = process_marker(pid)
    if marker is None:
        return False
    if marker == "":  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return not started or marker == started


class Heartbeat:
    """Calls `beat` (which bumps the job's `heartbeat_at`) every JOB_HEARTBEAT_SECONDS, in its own
    thread and app context, until stopped (best effort)."""

    def __init__(self, app: Flask, job_id: int, beat: Callable[[], object]):
        self.app, self.job_id, self.beat = app, job_id, beat
        self.interval = float(app.config.get("JOB_HEARTBEAT_SECONDS", 15))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"admints-heartbeat-{self.job_id}")
        self._thread.start()

    def _loop(self) -> None:
        with self.app.app_context():
            while not self._stop.wait(self.interval):
                self.beat()

    def stop(self) -> None:
        self._stop.set()
