"""Real processes for the production-server tests (`services` marker; their redis-server is
services_helpers.RedisServer): a gunicorn (`gunicorn.conf.py` and `admints.serving`, as
`make serve` starts it) on free ports of 127.0.0.1, and a tiny cookie-keeping HTTP client that
opens a new connection per request, so that requests spread over the gunicorn workers. The
access log carries the pid of the worker that served each request (`served_by`)."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(check, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not listening yet (socket or redis error)
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} ne répond pas après {timeout:.0f} s")


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py app:create_app()` with the given environment."""

    def __init__(self, env: dict, log: Path, workers: int = 2, threads: int = 2) -> None:
        self.port = free_port()
        self.log = log
        self.env = {**os.environ, **env, "WEB_CONCURRENCY": str(workers),
                    "GUNICORN_THREADS": str(threads),
                    "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                    "GUNICORN_ACCESS_LOG": str(log)}
        self.proc: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "admints.serving:production_app()"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,
            stderr=open(self.log.with_suffix(".err"), "ab"))
        try:
            _wait(lambda: Client(self.port).get("/login").status == 200, "gunicorn", 120)
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)

    def restart(self) -> None:
        self.stop()
        self.start()

    def served_by(self, marker: str) -> set[str]:
        """Pids of the workers that served the requests whose line has `marker`."""
        lines = self.log.read_text().splitlines() if self.log.exists() else []
        return {m.group(1) for line in lines if marker in line
                for m in [re.search(r"<(\d+)>", line)] if m}


class Response:
    def __init__(self, status: int, headers: dict, body: str) -> None:
        self.status, self.headers, self.text = status, headers, body


class Client:
    """Keeps cookies; one new connection per request (Connection: close)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None,
                extra: dict | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {"Connection": "close", **(extra or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            text = "" if raw.getheader("Content-Encoding") else data.decode("utf-8", "replace")
            for name, value in raw.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    val = rest.split(";", 1)[0]
                    if "Max-Age=0" in value or "expires=Thu, 01 Jan 1970" in value:
                        self.cookies.pop(key, None)
                    else:
                        self.cookies[key] = val
            return Response(raw.status, dict(raw.getheaders()), text)
        finally:
            conn.close()

    def get(self, path: str, headers: dict | None = None) -> Response:
        return self.request("GET", path, extra=headers)

    def post(self, path: str, form: dict) -> Response:
        return self.request("POST", path, form)

    def csrf(self, path: str = "/login") -> str:
        html = self.get(path).text
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', html)
        assert match, f"pas de jeton CSRF sur {path}"
        return match.group(1)

    def login(self, login: str, password: str, marker: str = "") -> Response:
        token = self.csrf("/login")
        return self.post(f"/login?{marker}", {"login": login, "password": password,
                                               "csrf_token": token})

    def logout(self) -> Response:
        token = self.csrf("/")
        return self.post("/logout", {"csrf_token": token})
