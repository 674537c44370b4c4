"""Trained models on disk (``models/``): artifacts, cards, the promoted pointer.

Layout: ``<name>-<version>.joblib`` (the artifact) beside ``<name>-<version>.json`` (its card),
and ``promoted.json`` mapping a model name to its promoted version. :meth:`ModelRegistry.current`
keeps the promoted model in memory and notices a new promotion (another process running
``fapai models promote``) by a ``stat`` of the pointer file, so a server switches without a
restart. An artifact saved by another scikit-learn major.minor is refused before unpickling.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import joblib

from fapai.clock import Clock, SystemClock
from fapai.settings import Settings
from valuation.model import PriceModel

POINTER = "promoted.json"


class IncompatibleModel(RuntimeError):
    """An artifact saved by a scikit-learn whose major.minor differs from the installed one."""


class UnknownModel(LookupError):
    """No such model version (or nothing promoted yet)."""


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def installed_sklearn() -> str:
    from importlib.metadata import version

    return version("scikit-learn")


class ModelRegistry:
    """The models of one ``name`` (``price`` by default) in ``models_dir``."""

    def __init__(self, models_dir: Path | str, name: str = "price") -> None:
        self.models_dir = Path(models_dir)
        self.name = name
        self._lock = threading.Lock()
        self._pointer_stat: tuple[int, int, int] | None = None
        self._current: PriceModel | None = None

    # -- files -----------------------------------------------------------------------------
    def artifact_path(self, version: str) -> Path:
        return self.models_dir / f"{self.name}-{version}.joblib"

    def card_path(self, version: str) -> Path:
        return self.models_dir / f"{self.name}-{version}.json"

    @property
    def pointer_path(self) -> Path:
        return self.models_dir / POINTER

    def card(self, version: str) -> dict[str, Any]:
        path = self.card_path(version)
        if not path.exists():
            raise UnknownModel(f"no {self.name} model version {version!r} in {self.models_dir}")
        return json.loads(path.read_text())

    def save(self, artifact: dict[str, Any], card: dict[str, Any]) -> Path:
        """Write the artifact (compressed) and its card; returns the artifact's path."""
        self.models_dir.mkdir(parents=True, exist_ok=True)
        version = card["version"]
        path = self.artifact_path(version)
        joblib.dump(artifact, path, compress=3)
        card = {**card, "artifact": path.name, "artifact_bytes": path.stat().st_size}
        self.card_path(version).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n")
        return path

    def list(self) -> list[dict[str, Any]]:
        """Every saved version's card (oldest first), with ``promoted`` and ``compatible``."""
        promoted = self.promoted_version()
        cards = []
        for path in sorted(self.models_dir.glob(f"{self.name}-*.json")):
            card = json.loads(path.read_text())
            card["promoted"] = card.get("version") == promoted
            card["compatible"] = self._incompatibility(card) is None
            cards.append(card)
        return sorted(cards, key=lambda c: c.get("created_at", ""))

    # -- promotion -------------------------------------------------------------------------
    def promoted_version(self) -> str | None:
        try:
            return json.loads(self.pointer_path.read_text()).get(self.name)
        except FileNotFoundError:
            return None

    def promote(self, version: str) -> None:
        """Make ``version`` the served one (checked loadable first; atomic pointer write)."""
        self._check_compatible(self.card(version))
        if not self.artifact_path(version).exists():
            raise UnknownModel(f"artifact {self.artifact_path(version).name} is missing")
        pointers: dict[str, str] = {}
        if self.pointer_path.exists():
            pointers = json.loads(self.pointer_path.read_text())
        pointers[self.name] = version
        tmp = self.pointer_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(pointers, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, self.pointer_path)

    # -- loading ---------------------------------------------------------------------------
    @staticmethod
    def _incompatibility(card: dict[str, Any]) -> str | None:
        saved = card.get("versions", {}).get("scikit-learn", "unknown")
        installed = installed_sklearn()
        if _major_minor(saved) == _major_minor(installed):
            return None
        return (
            f"model {card.get('name')}-{card.get('version')} was saved by scikit-learn {saved} "
            f"but {installed} is installed; the major.minor must match. Retrain it with "
            f"`fapai train` or install scikit-learn=={_major_minor(saved)}.*"
        )

    def _check_compatible(self, card: dict[str, Any]) -> None:
        problem = self._incompatibility(card)
        if problem:
            raise IncompatibleModel(problem)

    def load(self, version: str) -> PriceModel:
        """Load one version (refused with :class:`IncompatibleModel` before unpickling)."""
        card = self.card(version)
        self._check_compatible(card)
        return PriceModel(joblib.load(self.artifact_path(version)), card)

    def current(self) -> PriceModel:
        """The promoted model, in memory; reloaded only when the pointer file changes."""
        try:
            st = self.pointer_path.stat()
        except FileNotFoundError as exc:
            raise UnknownModel(f"no {self.name} model promoted in {self.models_dir}") from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._current is None or stamp != self._pointer_stat:
                version = self.promoted_version()
                if version is None:
                    raise UnknownModel(f"no {self.name} model promoted in {self.models_dir}")
                if self._current is None or self._current.version != version:
                    self._current = self.load(version)
                self._pointer_stat = stamp
            return self._current


def ensure_default_model(settings: Settings, clock: Clock | None = None) -> str:
    """The promoted price model's version; trains and promotes one from the shipped data if
    there is no compatible promoted model (a fresh machine, or a new scikit-learn)."""
    from valuation.market_data import load_default_listings
    from valuation.train import train_price_model

    registry = ModelRegistry(settings.models_dir)
    try:
        return registry.current().version
    except (UnknownModel, IncompatibleModel):
        pass
    trained = train_price_model(
        load_default_listings(), now=(clock or SystemClock()).now(), source="default"
    )
    registry.save(trained.artifact, trained.card)
    registry.promote(trained.card["version"])
    return trained.card["version"]
