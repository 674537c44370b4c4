"""/docs and /redoc work offline: their pages name only this server's own assets, which it
serves (no CDN, no web fonts, no validator badge)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from app.main import create_app
from fapai.settings import Settings


def test_docs_pages_load_nothing_from_the_internet(sqlite_url: str) -> None:
    with TestClient(create_app(Settings(database_url=sqlite_url))) as client:
        for path in ("/docs", "/redoc"):
            page = client.get(path)
            assert page.status_code == 200 and "fapai" in page.text
            assert not re.search(r"https?://", page.text), f"{path} names another host"
            assets = re.findall(r'(?:src|href)="(/static/docs/[^"]+)"', page.text)
            assert assets, path
            for asset in assets:
                assert client.get(asset).status_code == 200, asset
        assert "validatorUrl" in client.get("/docs").text
        assert client.get("/openapi.json").json()["info"]["title"] == "fapai 法拍"
