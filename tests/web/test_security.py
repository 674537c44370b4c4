"""The protections of app.security through a real uvicorn process (and headless Chromium where a
browser's own behaviour is the point): body caps, rate limits (in process and shared through
Redis), trusted hosts, security headers, id ranges, web sessions that sign-out and revocation
end, login CSRF and same-site form posts, ``next=`` that never leaves the site."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from app.testing import uvicorn_server
from auction import auth
from fapai.clock import SystemClock
from fapai.db import make_engine, session_factory, session_scope, writer_engine
from fapai.settings import Settings

SIGNIN_LIMIT = 4


@dataclass(frozen=True)
class Server:
    base: str
    url: str  # the database
    court: str
    bidder: str

    def get(self, path: str, **kwargs) -> httpx.Response:
        return httpx.get(self.base + path, timeout=30, **kwargs)


def _accounts(url: str) -> tuple[str, str]:
    db = make_engine(url)
    now = SystemClock().now()
    with session_scope(session_factory(db)) as s:
        home = auth.ensure_court(s, "GZTH", "广州市天河区人民法院")
        _, court = auth.create_user(s, "书记员", "court", now, court=home)
        _, bidder = auth.create_user(s, "张三", "bidder", now)
    db.dispose()
    return court, bidder


@pytest.fixture(scope="module")
def server(_sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    import shutil

    folder = tmp_path_factory.mktemp("secure")
    shutil.copyfile(_sqlite_template, folder / "fapai.db")
    url = f"sqlite:///{folder / 'fapai.db'}"
    court, bidder = _accounts(url)
    env = {
        "FAPAI_DATABASE_URL": url,
        "FAPAI_MAX_BODY_BYTES": "100000",
        "FAPAI_SESSION_HOURS": "1",
    }
    with uvicorn_server(env, folder / "server.log") as base:
        yield Server(base, url, court, bidder)


def _raw(base: str, head: bytes, body_chunks: list[bytes]) -> bytes:
    """Send a request by hand (headers, then body pieces as long as the server reads) and
    return the start of the answer."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head)
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the rest: what we want
        sock.settimeout(30)
        return sock.recv(4096)


def test_a_huge_body_is_refused_before_it_is_read(server: Server) -> None:
    # 300 MB declared, a few bytes sent: the answer comes without waiting for the rest.
    head = (
        b"POST /api/bidders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 314572800\r\n\r\n"
    )
    answer = _raw(server.base, head, [b'{"name": "'])
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Chunked (no length declared): refused once the bytes read pass the cap.
    head = (
        b"POST /api/bidders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"a" * 50_000
    chunks = [b"%x\r\n%s\r\n" % (len(piece), piece)] * 10 + [b"0\r\n\r\n"]
    answer = _raw(server.base, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    form = httpx.post(
        server.base + "/bidders/new",
        data={"name": "长" * 20_000, "id_number": "x", "phone": "1"},
        headers={"Origin": server.base},
        timeout=30,
    )
    assert form.status_code == 413 and "请求内容过大" in form.text


def test_every_response_carries_the_security_headers(server: Server) -> None:
    for path in ("/", "/api/lots", "/static/fapai.css", "/lots/999999", "/signin", "/docs"):
        response = server.get(path)
        csp = response.headers["content-security-policy"]
        script = next(d for d in csp.split(";") if d.strip().startswith("script-src"))
        assert ("'unsafe-inline'" in script) == (path == "/docs"), (path, csp)
        assert "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "same-origin"
    pages = [server.get(p).text for p in ("/", "/signin", "/bidders/new")]
    assert not any("<script>" in page or " onclick=" in page for page in pages)


def test_a_forged_host_is_refused_and_huge_ids_are_no_500(server: Server) -> None:
    forged = server.get("/", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "不在本站允许的列表中" in forged.text
    assert "evil.example" not in server.get("/", headers={"Host": "localhost"}).text
    huge = "99999999999999999999"
    court = {"Authorization": f"Bearer {server.court}"}
    for path in (f"/api/inquiries/{huge}", f"/api/lots/{huge}", f"/api/lots/{huge}/bids"):
        assert server.get(path, headers=court).status_code == 422, path
    for path in (f"/lots/{huge}", f"/inquiries/{huge}", f"/desk/lots/{huge}"):
        assert server.get(path, headers=court).status_code in (303, 404), path


def test_sign_in_is_rate_limited_per_address(server: Server, tmp_path: Path) -> None:
    env = {"FAPAI_DATABASE_URL": server.url, "FAPAI_RATE_LIMIT_SIGNIN": f"{SIGNIN_LIMIT}/minute"}
    with (
        uvicorn_server(env, tmp_path / "server.log") as base,
        httpx.Client(base_url=base, headers={"Origin": base}, timeout=30) as c,
    ):
        statuses = [c.post("/signin", data={"token": "wrong"}).status_code for _ in range(6)]
        assert statuses == [401] * SIGNIN_LIMIT + [429] * (6 - SIGNIN_LIMIT)
        last = c.post("/signin", data={"token": server.bidder})  # right, but too many tries
    assert last.status_code == 429 and 1 <= int(last.headers["retry-after"]) <= 60
    assert "操作过于频繁" in last.text


def test_rate_limits_are_shared_by_servers_through_redis(
    redis_url: str, _sqlite_template: Path, tmp_path: Path
) -> None:
    """Two server processes on one Redis (as the workers of one site) count together."""
    import shutil

    shutil.copyfile(_sqlite_template, tmp_path / "fapai.db")
    env = {
        "FAPAI_DATABASE_URL": f"sqlite:///{tmp_path / 'fapai.db'}",
        "FAPAI_REDIS_URL": redis_url,
        "FAPAI_RATE_LIMIT_NAMESPACE": f"test-{uuid.uuid4().hex}",
        "FAPAI_RATE_LIMIT_REGISTER": "3/hour",
    }
    body = {"name": "张三", "id_number": "1", "phone": "1"}
    with (
        uvicorn_server(env, tmp_path / "one.log") as one,
        uvicorn_server(env, tmp_path / "two.log") as two,
    ):
        statuses = [
            httpx.post(f"{base}/api/bidders", json=body, timeout=30).status_code
            for base in (one, two, one, two)
        ]
    assert statuses == [422, 422, 422, 429]


def test_sign_out_and_revocation_end_the_web_session(server: Server) -> None:
    with httpx.Client(base_url=server.base, headers={"Origin": server.base}, timeout=30) as c:
        signed_in = c.post("/signin", data={"token": server.bidder, "next": "/me"})
        assert signed_in.status_code == 303
        cookie = c.cookies["fapai_session"]
        assert cookie != server.bidder  # the cookie holds a session, never the API token
        assert c.get("/me").status_code == 200
        c.post("/signout")
    copied = server.get("/me", cookies={"fapai_session": cookie}, follow_redirects=False)
    assert copied.status_code == 303 and copied.headers["location"].startswith("/signin")

    db = make_engine(server.url)
    with session_scope(session_factory(db)) as s:
        user, token = auth.create_user(s, "李四", "bidder", SystemClock().now())
    with httpx.Client(base_url=server.base, headers={"Origin": server.base}, timeout=30) as c:
        c.post("/signin", data={"token": token})
        assert c.get("/me").status_code == 200
        with session_scope(session_factory(writer_engine(db))) as s:  # as the CLI writes
            auth.revoke_user(s, user.id, SystemClock().now())  # fapai users revoke
        assert c.get("/me", follow_redirects=False).status_code == 303
    db.dispose()
    assert server.get("/api/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- in Chromium: what a browser does with another site's form and with next= ---------------


@pytest.fixture
def evil_site() -> Iterator[tuple[str, dict[str, str]]]:
    """Another site (another origin): ``pages[path]`` is the HTML it serves at ``path``."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = pages.get(self.path, "").encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{httpd.server_address[1]}", pages
    finally:
        httpd.shutdown()
        httpd.server_close()


def _auto_post(action: str, fields: dict[str, str]) -> str:
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    return (
        f'<form id="f" method="post" action="{action}">{inputs}</form>'
        '<script>document.getElementById("f").submit()</script>'
    )


@pytest.mark.browser
def test_another_sites_forms_are_refused(server: Server, evil_site, new_page) -> None:
    evil, pages = evil_site
    # Login CSRF: the attacker's page signs the visitor in to the attacker's account.
    pages["/login"] = _auto_post(server.base + "/signin", {"token": server.court})
    page = new_page()
    page.goto(evil + "/login")
    page.wait_for_url(server.base + "/signin")
    assert "请求来源不是本站" in page.content()
    assert not [c for c in page.context.cookies() if c["name"] == "fapai_session"]

    # A signed-in visitor's session is not used by another site's form either.
    page.goto(server.base + "/signin")
    page.get_by_label("访问令牌").fill(server.bidder)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.base + "/?done=signed_in")
    pages["/out"] = _auto_post(server.base + "/signout", {})
    page.goto(evil + "/out")
    page.wait_for_url(server.base + "/signout")
    assert "请求来源不是本站" in page.content()
    page.goto(server.base + "/me")
    assert page.url == server.base + "/me"  # still signed in


@pytest.mark.browser
@pytest.mark.parametrize(
    "target", ["/\t/evil.example", "//evil.example", "/\\evil.example", "https://evil.example"]
)
def test_next_never_leaves_the_site(server: Server, new_page, target: str) -> None:
    page = new_page()
    page.goto(server.base + "/signin?" + httpx.QueryParams({"next": target}).__str__())
    page.get_by_label("访问令牌").fill(server.bidder)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert urlsplit(page.url).netloc == urlsplit(server.base).netloc, page.url
    assert urlsplit(page.url).path == "/"


def test_tokens_expire(db_url: str) -> None:
    from datetime import timedelta

    from fapai.clock import FrozenClock

    clock = FrozenClock()
    db = make_engine(db_url)
    with session_scope(session_factory(db)) as s:
        _, token = auth.create_user(s, "张三", "bidder", clock.now(), token_days=30)
    with session_scope(session_factory(db)) as s:
        assert auth.user_for_token(s, token, clock.now() + timedelta(days=29)) is not None
        assert auth.user_for_token(s, token, clock.now() + timedelta(days=30)) is None
    db.dispose()
    assert Settings().api_token_days == 365  # the default: a year
