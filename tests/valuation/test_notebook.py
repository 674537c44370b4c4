"""notebooks/retrain.ipynb runs top to bottom on a small slice, in a temporary models folder;
left at the default models folder (the repository's), it works in a copy, never in models/."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from fapai.settings import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "notebooks" / "retrain.ipynb"


def _run_notebook(tmp_path: Path, monkeypatch, models_env: Path | None) -> str:
    monkeypatch.setenv("FAPAI_NOTEBOOK_ROWS", "3000")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # see conftest.train_small
    monkeypatch.setenv("FAPAI_DATA_DIR", str(tmp_path / "data"))
    if models_env is None:
        monkeypatch.delenv("FAPAI_MODELS_DIR", raising=False)
    else:
        monkeypatch.setenv("FAPAI_MODELS_DIR", str(models_env))
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")])
    )
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))


def _shipped() -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((PROJECT_ROOT / "models").iterdir())}


@pytest.mark.slow
def test_retrain_notebook_runs_and_promotes_into_its_own_models_dir(tmp_path: Path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(PROJECT_ROOT / "models", models)  # a promoted model to compare against
    before = json.loads((models / "promoted.json").read_text())["price"]
    outputs = _run_notebook(tmp_path, monkeypatch, models)
    assert "3,000 listings" in outputs and "saved price-" in outputs
    assert len(list(models.glob("price-*.joblib"))) == 2
    # The full-data model wins against a quick 3,000-row candidate: nothing is promoted.
    assert json.loads((models / "promoted.json").read_text())["price"] == before
    assert (PROJECT_ROOT / "models" / "promoted.json").read_text() == (
        models / "promoted.json"
    ).read_text()


@pytest.mark.slow
def test_retrain_notebook_never_writes_into_the_repositorys_models(tmp_path: Path, monkeypatch):
    shipped = _shipped()
    outputs = _run_notebook(tmp_path, monkeypatch, None)
    copy = tmp_path / "data" / "models"
    assert f"models in {copy}" in outputs and "saved price-" in outputs
    assert (
        len(list(copy.glob("price-*.joblib")))
        == len([n for n in shipped if n.startswith("price-") and n.endswith(".joblib")]) + 1
    )
    assert _shipped() == shipped
