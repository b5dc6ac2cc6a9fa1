"""Real services for the tests marked `services` (issue 14, `make test-services`): a
redis-server on a free port (ADMINTS_REDIS_PORTS="56380-56389" narrows the range), Celery
workers as child processes on the test's database, and the app wired to them.

Fixtures (import them in the test module): `redis_server` (a started `RedisServer`, stopped at
the end; `.stop()` / `.start()` again on the same port), `celery_app_on(redis)` via the `broker`
fixture (the test app with CELERY_BROKER_URL and JOB_RUNNER "celery"), `workers` (a factory:
`workers.start(smtp_port)` → a running `Worker`, all stopped at the end). Without a
redis-server binary the tests are skipped (scripts/system-deps.sh redis installs it)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from admints.celery_app import init_celery

from .outbox_helpers import ROOT, child_env, wait_for
from .smtp_server import free_port

REDIS = shutil.which("redis-server")


def _port() -> int:
    spec = os.environ.get("ADMINTS_REDIS_PORTS", "")
    if spec:
        low, high = (int(p) for p in spec.split("-"))
        for port in range(low, high + 1):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) != 0:
                    return port
    return free_port()


class RedisServer:
    """A throw-away redis-server (no persistence), restartable on its port; its log in
    `log_dir` (none without). Shared by the services tests, tests/test_serve.py and the
    benches."""

    def __init__(self, log_dir: Path | None = None):
        self.port = _port()
        self.log_dir = log_dir
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return REDIS is not None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def client(self):
        """A redis-py client on this server (to look at the keys the app wrote)."""
        from redis import Redis

        return Redis.from_url(self.url)

    def _log_args(self) -> list[str]:
        if self.log_dir is None:
            return []
        return ["--logfile", str(self.log_dir / f"redis-{self.port}.log")]

    def start(self) -> RedisServer:
        # A free port may still be taken between the check and redis' bind (a client's
        # ephemeral port on 127.0.0.1): redis then exits at once, and another port is tried —
        # on the first start only, a restart must keep its port.
        for _attempt in range(1 if self.proc else 5):
            self.proc = subprocess.Popen(
                [REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", *self._log_args()],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wait_for(lambda: self.ping() or self.proc.poll() is not None, timeout=30,
                     what=f"redis-server on port {self.port}")
            if self.proc.poll() is None:
                return self
            self.port = free_port()  # bound by the kernel just now: really free
        raise AssertionError(f"redis-server did not start (last port {self.port})")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


class Worker:
    """`celery -A admints.worker worker` (prefork, one process) in its own process group; with
    `beat=True`, `celery -A admints.worker beat` instead."""

    def __init__(self, app, redis: RedisServer, smtp_port: int, log_dir: Path, name: str,
                 beat: bool = False, **env):
        self.log = log_dir / f"worker-{name}.log"
        environ = child_env(app, smtp_port, CELERY_BROKER_URL=redis.url, JOB_RUNNER="celery",
                            CELERY_VISIBILITY_TIMEOUT="3", JOB_HEARTBEAT_SECONDS="1",
                            JOB_RECOVER_ON_START="0",
                            CELERY_BEAT_FILE=str(log_dir / "beat-schedule"), **env)
        self.handle = self.log.open("w")
        command = ["beat"] if beat else [
            "worker", "--pool", "prefork", "--concurrency", "1", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "--hostname", f"{name}@%h"]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "admints.worker", *command,
             "--loglevel", "INFO"],
            cwd=ROOT, env=environ, stdout=self.handle, stderr=subprocess.STDOUT,
            start_new_session=True)
        ready = "beat: Starting" if beat else "ready."
        wait_for(lambda: ready in self.output() or self.proc.poll() is not None,
                 timeout=60, what=f"celery {name}")
        assert self.proc.poll() is None, self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL to the whole worker (main process and its pool child)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self.handle.close()


class Workers:
    def __init__(self, app, redis: RedisServer, log_dir: Path):
        self.app, self.redis, self.log_dir, self.all = app, redis, log_dir, []

    def start(self, smtp_port: int, *, beat: bool = False, **env) -> Worker:
        """A worker (or Celery beat) sending its emails to `smtp_port`."""
        worker = Worker(self.app, self.redis, smtp_port, self.log_dir, f"w{len(self.all)}",
                        beat=beat, **env)
        self.all.append(worker)
        return worker


@pytest.fixture
def redis_server(tmp_path):
    if REDIS is None:
        pytest.skip("redis-server absent (bash scripts/system-deps.sh redis)")
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def broker(app, redis_server):
    """The test app sending its background jobs to Celery through `redis_server`."""
    app.config.update(CELERY_BROKER_URL=redis_server.url, JOB_RUNNER="celery",
                      CELERY_VISIBILITY_TIMEOUT=3)
    init_celery(app)
    yield app.extensions["celery"]
    app.extensions.pop("celery", None)


@pytest.fixture
def workers(app, redis_server, tmp_path):
    pool = Workers(app, redis_server, tmp_path)
    yield pool
    for worker in pool.all:
        worker.stop()


def wait_status(db, job_id: int, statuses, timeout: float = 60.0):
    """The job row once its status is one of `statuses`."""
    from admints.models import Job

    def ready():
        db.session.expire_all()
        return db.session.get(Job, job_id).status in statuses
    wait_for(ready, timeout=timeout, what=f"job {job_id} to be {statuses}")
    db.session.expire_all()
    return db.session.get(Job, job_id)


def elapsed(start: float) -> float:
    return round(time.monotonic() - start, 2)
