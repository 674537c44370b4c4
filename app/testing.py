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
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
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


def listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` or one of its children listens on ``port`` (so the server
    answering there is this one, not another process that took the port first)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        return False
    for proc in family:
        try:
            sockets = proc.net_connections(kind="tcp")
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        if any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in sockets):
            return True
    return False


def start_server(
    env: Mapping[str, str],
    log_path: Path,
    *,
    workers: int | None = None,
    timeout: float = 60,
    attempts: int = 3,
) -> tuple[subprocess.Popen[bytes], str]:
    """A fapai server process on a free port and its base URL, once it answers there.

    :func:`free_port` can only say the port was free a moment ago: uvicorn binds after the
    app's start-up (seconds), and another process (a parallel test's server, any outgoing
    connection) may take the port in between. So the process must itself listen on the port
    before it counts as started, and a start that lost its port is tried again on another.
    Its output is appended to ``log_path`` (quoted when it fails to start).
    """
    deadline = time.monotonic() + timeout
    for attempt in range(1, attempts + 1):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            proc = subprocess.Popen(
                server_command(port, workers),
                cwd=ROOT,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            while not (listens(proc.pid, port) and _answers(base)):
                if proc.poll() is not None:
                    said = log_path.read_bytes()[offset:].decode(errors="replace")
                    if "address already in use" in said.lower() and attempt < attempts:
                        break  # the port was taken in between: try another
                    raise RuntimeError(f"the server exited ({proc.returncode}): {said[-3000:]}")
                if time.monotonic() > deadline:
                    said = log_path.read_text(errors="replace")[-3000:]
                    raise RuntimeError(f"the server did not answer in {timeout:.0f} s: {said}")
                time.sleep(0.1)  # waiting for another process to bind its port
            else:
                return proc, base
        except BaseException:
            stop_server(proc)
            raise
    raise AssertionError("unreachable: the last attempt returns or raises")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stops a server process (and only it): SIGTERM, then SIGKILL after 15 s."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def uvicorn_server(
    env: Mapping[str, str],
    log_path: Path | None = None,
    *,
    workers: int | None = None,
    timeout: float = 60,
) -> Iterator[str]:
    """A fapai server process on a free port; its base URL once ``GET /api/lots`` answers.

    Its output goes to ``log_path`` (quoted when it fails to start), else to a temporary file
    removed afterwards. It stays in the caller's process group, so stopping the tests' group
    stops it too; ``fapai serve`` stops its own workers on SIGTERM.
    """
    with ExitStack() as stack:
        if log_path is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="fapai-server-"))
            log_path = Path(folder) / "server.log"
        proc, base = start_server(env, log_path, workers=workers, timeout=timeout)
        try:
            yield base
        finally:
            stop_server(proc)


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
