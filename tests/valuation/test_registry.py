"""Model files, cards, promotion without restart, and refusal of incompatible artifacts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib.metadata import version

import pytest

from fapai.settings import Settings
from valuation.registry import (
    IncompatibleModel,
    ModelRegistry,
    UnknownModel,
    ensure_default_model,
)


def test_card_records_data_metrics_and_versions(small_model, models_dir):
    registry = ModelRegistry(models_dir)
    path = registry.save(small_model.artifact, small_model.card)
    card = json.loads(registry.card_path(small_model.card["version"]).read_text())
    assert path.name == f"price-{card['version']}.joblib" and path.exists()
    assert card["created_at"] == "2026-11-25T08:00:00+00:00"
    assert card["version"].startswith("20261125080000-")
    assert len(card["data"]["hash"]) == 64 and card["data"]["rows"] > 5900
    assert card["data"]["date_range"][0].startswith("2016") and card["data"]["date_range"][1]
    assert {"community", "district", "log_area", "build_year"} <= set(card["features"])
    assert card["versions"] == {
        "scikit-learn": version("scikit-learn"),
        "pandas": version("pandas"),
        "numpy": version("numpy"),
    }
    check = card["metrics"]["check_rows_random_10pct"]
    assert {
        "mdape",
        "within_10",
        "within_20",
        "median_ratio",
        "cod",
        "prd",
        "coverage_80",
        "coverage_90",
    } <= set(check["model"])
    assert "mdape" in check["baseline"]
    assert set(card["interval"]["quantiles"]) == {"0.8", "0.9"}


def test_promotion_switches_the_served_model_without_restart(
    small_model, small_listings, models_dir, quick_train
):
    registry = ModelRegistry(models_dir)
    with pytest.raises(UnknownModel):
        registry.current()
    registry.save(small_model.artifact, small_model.card)
    first = small_model.card["version"]
    registry.promote(first)
    served = registry.current()
    assert served.version == first
    assert registry.current() is served  # kept in memory, not reloaded per call

    newer = quick_train(small_listings.iloc[:3000], datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
    registry.save(newer.artifact, newer.card)
    ModelRegistry(models_dir).promote(newer.card["version"])  # e.g. `fapai models promote`
    assert registry.current().version == newer.card["version"]
    listed = {c["version"]: c["promoted"] for c in registry.list()}
    assert listed == {first: False, newer.card["version"]: True}


def test_incompatible_scikit_learn_is_refused_with_a_clear_error(small_model, models_dir):
    registry = ModelRegistry(models_dir)
    card = {
        **small_model.card,
        "version": "old",
        "versions": {**small_model.card["versions"], "scikit-learn": "0.24.2"},
    }
    registry.save(small_model.artifact, card)
    with pytest.raises(IncompatibleModel) as info:
        registry.load("old")
    message = str(info.value)
    assert "0.24.2" in message and version("scikit-learn") in message and "fapai train" in message
    with pytest.raises(IncompatibleModel):
        registry.promote("old")
    assert registry.promoted_version() is None
    assert [c["compatible"] for c in registry.list()] == [False]


def test_a_price_model_of_other_features_is_refused_at_load_not_mid_price(small_model, models_dir):
    """A model trained before ``metro_station`` existed reads other features: refused by
    name before unpickling, as an incompatible scikit-learn is, never a KeyError when pricing."""
    registry = ModelRegistry(models_dir)
    before = [f for f in small_model.card["features"] if f != "metro_station"]
    registry.save(small_model.artifact, {**small_model.card, "version": "old", "features": before})
    with pytest.raises(IncompatibleModel) as info:
        registry.load("old")
    assert "缺少 metro_station" in str(info.value) and "fapai train" in str(info.value)
    with pytest.raises(IncompatibleModel):
        registry.promote("old")
    assert [c["compatible"] for c in registry.list()] == [False]
    registry.save(small_model.artifact, small_model.card)  # the same artifact, its own card
    assert registry.load(small_model.card["version"]).version == small_model.card["version"]


def test_ensure_default_model_keeps_a_compatible_promoted_model(small_model, models_dir):
    registry = ModelRegistry(models_dir)
    registry.save(small_model.artifact, small_model.card)
    registry.promote(small_model.card["version"])
    settings = Settings(models_dir=models_dir)
    assert ensure_default_model(settings) == small_model.card["version"]
    assert len(list(models_dir.glob("price-*.joblib"))) == 1  # nothing retrained


def test_the_committed_default_model_is_promoted_and_loads():
    settings = Settings()
    registry = ModelRegistry(settings.models_dir)
    model = registry.current()
    assert model.card["data"]["source"] == "default" and model.card["data"]["rows"] > 100_000
    assert model.estimate({"city": "深圳", "district": "福田", "area_m2": 80}).price_total > 0


def test_cli_models_list_and_promote_speak_in_words(small_model, models_dir, monkeypatch):
    from typer.testing import CliRunner

    from app.cli import app
    from fapai.settings import get_settings
    from valuation import cli_models

    monkeypatch.setenv("FAPAI_MODELS_DIR", str(models_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        empty = runner.invoke(app, ["models", "list"])
        assert empty.exit_code == 0 and "请运行 `fapai train`" in " ".join(empty.output.split())
        ModelRegistry(models_dir).save(small_model.artifact, small_model.card)
        unknown = runner.invoke(app, ["models", "promote", "nope"])
        assert unknown.exit_code == 1
        assert "没有 price 模型的版本 'nope'" in " ".join(unknown.output.split())
        version = small_model.card["version"]
        ok = runner.invoke(app, ["models", "promote", version])
        assert ok.exit_code == 0 and ModelRegistry(models_dir).promoted_version() == version
        listed = runner.invoke(app, ["models", "list"]).output
        assert "是" in listed and version in listed

        # A version scoring worse on the same hold-out (same data, seed, split) needs --force.
        card = json.loads(json.dumps(small_model.card))
        card["version"] = "29990101000000-worse"
        card["metrics"]["check_rows_random_10pct"]["model"]["mdape"] += 0.01
        ModelRegistry(models_dir).save(small_model.artifact, card)
        refused = runner.invoke(app, ["models", "promote", card["version"]])
        assert refused.exit_code == 1 and "更差" in refused.output and "--force" in refused.output
        assert ModelRegistry(models_dir).promoted_version() == version
        forced = runner.invoke(app, ["models", "promote", card["version"], "--force"])
        assert forced.exit_code == 0 and "警告：" in forced.output

        # Whole version ids however narrow the terminal.
        monkeypatch.setattr(cli_models.console, "width", 40)
        narrow = runner.invoke(app, ["models", "list"]).output
        assert version in narrow and card["version"] in narrow
    finally:
        get_settings.cache_clear()


def test_one_registry_serves_every_kind_and_the_cli_lists_and_promotes_both(
    small_model, shipped_models, tmp_path, monkeypatch
):
    """Price and outcome models: one artifact format with its card, one scikit-learn check,
    one pointer file; ``fapai models list`` shows both kinds and ``promote`` finds the kind
    from the version."""
    from typer.testing import CliRunner

    from app.cli import app
    from fapai.settings import get_settings
    from valuation.model import PriceModel
    from valuation.outcome import OutcomeModel

    models_dir = tmp_path / "models"
    outcome = ModelRegistry(shipped_models, "outcome").current()
    outcomes = ModelRegistry(models_dir, "outcome")
    outcomes.save(outcome.artifact(), outcome.card)
    prices = ModelRegistry(models_dir, "price")
    prices.save(small_model.artifact, small_model.card)
    prices.promote(small_model.card["version"])
    assert isinstance(prices.current(), PriceModel)
    with pytest.raises(UnknownModel):
        outcomes.current()  # saved, not promoted: nothing serves yet

    monkeypatch.setenv("FAPAI_MODELS_DIR", str(models_dir))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        promoted = runner.invoke(app, ["models", "promote", outcome.version])
        assert promoted.exit_code == 0, promoted.output
        assert f"已启用 outcome-{outcome.version}" in promoted.output
        assert isinstance(outcomes.current(), OutcomeModel)
        assert outcomes.pointers() == {
            "price": small_model.card["version"],
            "outcome": outcome.version,
        }
        listed = runner.invoke(app, ["models", "list"]).output
        names = {line.split("│")[1].strip() for line in listed.splitlines() if "│" in line}
        assert {"outcome", "price"} <= names  # whole names and versions at any width
        assert outcome.version in listed and small_model.card["version"] in listed
        row = next(line for line in listed.splitlines() if outcome.version in line)
        assert f"{outcome.card['metrics']['model']['mdape']:.1%}" in row  # its hold-out MdAPE
    finally:
        get_settings.cache_clear()


def test_ensure_trains_and_promotes_a_first_outcome_model_on_a_fresh_machine(tmp_path, clock):
    registry = ModelRegistry(tmp_path, "outcome")
    version = registry.ensure("outcome", clock)
    assert registry.promoted_version() == version == registry.current().version
    assert registry.card(version)["kind"] == "outcome"
    assert registry.ensure("outcome", clock) == version  # kept, not retrained
