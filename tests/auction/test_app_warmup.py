"""The server loads the inquiry models at start-up, in the background, when asked to."""

import json

from fastapi.testclient import TestClient

from app.main import create_app
from app.testing import wait_until
from fapai.settings import Settings


def test_models_are_warm_before_the_first_inquiry(sqlite_url, clock):
    app = create_app(Settings(database_url=sqlite_url, warm_models=True), clock)
    with TestClient(app) as client:
        assert client.get("/api/lots").status_code == 200  # serving while the models load
        assert wait_until(lambda: getattr(app.state, "inquiry_service", None) is not None, 120)
        promoted = json.loads((app.state.settings.models_dir / "promoted.json").read_text())
        service = app.state.inquiry_service
        assert service.price_model().version == promoted["price"]
        assert service.outcome_model().version == promoted["outcome"]


def test_without_warm_up_nothing_is_loaded_until_asked(sqlite_url, clock):
    app = create_app(Settings(database_url=sqlite_url, warm_models=False), clock)
    with TestClient(app) as client:
        assert client.get("/api/lots").status_code == 200
        assert getattr(app.state, "inquiry_service", None) is None
