"""A real fapai server in a child process, for the tests and the benches (one helper, not four).

``uvicorn_server(env)`` starts ``uvicorn --factory app.main:create_app`` (or, with ``workers``,
the ``fapai serve --workers N`` command itself) on a free loopback port with ``env`` added to
the environment, yields its base URL once it answers, and stops it (and only it) afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fast_rules(bidding_seconds: int = 1, extension_seconds: int = 1) -> dict[str, str]:
    """``FAPAI_*`` settings that shorten the legal clock for a test server: announced 0 days
    ahead, bidding and extensions in seconds, the closing loop ten times a second."""
    return {
        "FAPAI_ANNOUNCE_DAYS_MOVABLE": "0",
        "FAPAI_ANNOUNCE_DAYS_IMMOVABLE": "0",
        "FAPAI_MIN_BIDDING_SECONDS": str(bidding_seconds),
        "FAPAI_EXTENSION_SECONDS": str(extension_seconds),
        "FAPAI_CLOSING_INTERVAL_SECONDS": "0.1",
    }


def lot_request(starts_at: datetime, bidding_seconds: float, number: int = 1) -> dict[str, Any]:
    """The JSON body of a lawful ``POST /api/lots``: a Guangzhou flat at a ¥700,000 start (70%
    of its appraisal), bidding from ``starts_at`` for ``bidding_seconds``; ``number`` tells
    cases apart."""
    return {
        "case_number": f"(2026)粤0104执{number}号",
        "court": "广州市越秀区人民法院",
        "title": f"越秀区东风中路{number}号",
        "property_type": "residential",
        "city": "广州市",
        "reference_price": 1_000_000,
        "reference_method": "appraisal",
        # 拍卖规定 第十三条、第十四条、第三十条: real estate states these at publication.
        "occupancy": "空置，法院负责交付",
        "taxes_borne_by": "买卖双方各自承担",
        "defects": "无",
        "start_price": 700_000,
        "deposit": 70_000,
        "increment": 1_000,
        "starts_at": starts_at.isoformat(),
        "ends_at": (starts_at + timedelta(seconds=bidding_seconds)).isoformat(),
    }


def wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    """Poll a real process until ``predicate()`` holds, at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/lots", params={"page_size": 1}, timeout=2).status_code < 500
    except httpx.TransportError:
        return False


def server_command(port: int, workers: int | None = None) -> list[str]:
    """The command line: plain uvicorn, or ``fapai serve --workers N`` when ``workers``."""
    if workers is not None:
        serve = ["-m", "app", "serve", "--workers", str(workers)]
        return [sys.executable, *serve, "--host", "127.0.0.1", "--port", str(port)]
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


@contextmanager
def uvicorn_server(
    env: Mapping[str, str],
    log_path: Path | None = None,
    *,
    workers: int | None = None,
    timeout: float = 60,
) -> Iterator[str]:
    """A fapai server process on a free port; its base URL once ``GET /api/lots`` answers.

    Its output goes to ``log_path`` (quoted when it fails to start), else nowhere. It stays in
    the caller's process group, so stopping the tests' group stops it too; ``fapai serve``
    stops its own workers on SIGTERM.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = log_path.open("wb") if log_path is not None else None
    proc = subprocess.Popen(
        server_command(port, workers),
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )

    def said() -> str:
        return log_path.read_text(errors="replace")[-3000:] if log_path is not None else ""

    try:
        deadline = time.monotonic() + timeout
        while not _answers(base):
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited ({proc.returncode}): {said()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {timeout:.0f} s: {said()}")
            time.sleep(0.1)  # waiting for another process to bind its port
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log is not None:
            log.close()


def as_person(client: httpx.Client, token: str | None) -> httpx.Client:
    """``client`` as a browser of one person: the site's own Origin on its form posts (what a
    browser sends, :mod:`app.security`), and signed in with ``token`` through ``POST /signin``
    (a web session in the cookie), or anonymous."""
    client.cookies.clear()
    client.headers["Origin"] = f"{client.base_url.scheme}://{client.base_url.netloc.decode()}"
    if token:
        answer = client.post("/signin", data={"token": token}, follow_redirects=False)
        assert answer.status_code == 303, f"sign-in refused: {answer.status_code}"
    return client
