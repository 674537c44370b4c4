"""Trained models on disk (``models/``), every kind in one format: artifacts, cards, promotion.

Layout: ``<name>-<version>.joblib`` (the artifact: a dict of the fitted parts, compressed)
beside ``<name>-<version>.json`` (its card: ``kind``, ``version``, ``created_at``, data,
metrics, ``versions``), and ``promoted.json`` mapping a model name to its promoted version.
The card's ``kind`` says how the artifact is served (:data:`KINDS`: ``price`` →
:class:`~valuation.model.PriceModel`, ``outcome`` → :class:`~valuation.outcome.OutcomeModel`).

For every kind alike: an artifact saved by another scikit-learn major.minor is refused before
unpickling, and :meth:`ModelRegistry.current` keeps the promoted model in memory and notices a
new promotion (another process running ``fapai models promote``) by a ``stat`` of the pointer
file, so a server switches without a restart.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, Protocol

import joblib

from fapai.clock import Clock, SystemClock
from fapai.settings import Settings
from valuation.features import MODEL_FEATURES
from valuation.model import PriceModel
from valuation.outcome.curve import OutcomeModel

POINTER = "promoted.json"


class IncompatibleModel(RuntimeError):
    """An artifact saved by a scikit-learn whose major.minor differs from the installed one, or
    a price model that reads other features than this fapai computes."""


class UnknownModel(LookupError):
    """No such model version (or nothing promoted yet)."""


class ServedModel(Protocol):
    """What every kind serves: its version and its card."""

    version: str
    card: dict[str, Any]


@dataclass(frozen=True)
class ModelKind:
    """How the registry serves one kind of model, and how a fresh machine gets a first one."""

    serve: Callable[[Mapping[str, Any], Mapping[str, Any]], ServedModel]
    # (now) → (artifact, card) trained from the shipped data
    train_default: Callable[[datetime], tuple[dict[str, Any], dict[str, Any]]]
    retrain: str  # the command that trains one, for messages


def _default_price(now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    from valuation.market_data import load_default_listings
    from valuation.train import train_price_model

    trained = train_price_model(load_default_listings(), now=now, source="default")
    return trained.artifact, trained.card


def _default_outcome(now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    from valuation.outcome.train import train_default_outcome

    model = train_default_outcome(now)
    return model.artifact(), model.card


KINDS: dict[str, ModelKind] = {
    "price": ModelKind(PriceModel, _default_price, "fapai train"),
    "outcome": ModelKind(OutcomeModel.from_artifact, _default_outcome, "fapai train-outcome"),
}


def _major_minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def incompatibility(card: Mapping[str, Any]) -> str | None:
    """Why an artifact with this card cannot be loaded here, or None if it can."""
    saved = card.get("versions", {}).get("scikit-learn", "unknown")
    installed = installed_version("scikit-learn")
    kind = KINDS.get(card.get("kind", "price"), KINDS["price"])
    model = f"模型 {card.get('name')}-{card.get('version')}"
    if _major_minor(saved) != _major_minor(installed):
        return (
            f"{model} 由 scikit-learn {saved} 保存，而本机安装的是 {installed}；主次版本号须一致。"
            f"请用 `{kind.retrain}` 重新训练，或安装 scikit-learn=={_major_minor(saved)}.*"
        )
    if card.get("kind", "price") == "price" and card.get("features") != list(MODEL_FEATURES):
        read = card.get("features") or []
        missing = [f for f in MODEL_FEATURES if f not in read]
        extra = [f for f in read if f not in MODEL_FEATURES]
        differs = "；".join(
            part
            for part in (
                f"缺少 {'、'.join(missing)}" if missing else "",
                f"多出 {'、'.join(extra)}" if extra else "",
            )
            if part
        )
        return (
            f"{model} 读取的特征与本版 fapai 的不同（{differs or '顺序不同'}），"
            f"是早先版本训练的。请用 `{kind.retrain}` 重新训练"
        )
    return None


class ModelRegistry:
    """The models of one ``name`` (``price`` by default, ``outcome``…) in ``models_dir``."""

    def __init__(self, models_dir: Path | str, name: str = "price") -> None:
        self.models_dir = Path(models_dir)
        self.name = name
        self._lock = threading.Lock()
        self._pointer_stat: tuple[int, int, int] | None = None
        self._current: ServedModel | None = None

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
            raise UnknownModel(f"{self.models_dir} 中没有 {self.name} 模型的版本 {version!r}")
        return json.loads(path.read_text(encoding="utf-8"))

    def save(self, artifact: Mapping[str, Any], card: Mapping[str, Any]) -> Path:
        """Write the artifact (compressed) and its card; returns the artifact's path."""
        if card.get("kind", "price") not in KINDS:
            raise ValueError(f"unknown model kind {card.get('kind')!r}")
        self.models_dir.mkdir(parents=True, exist_ok=True)
        version = card["version"]
        path = self.artifact_path(version)
        joblib.dump(dict(artifact), path, compress=3)
        card = {**card, "artifact": path.name, "artifact_bytes": path.stat().st_size}
        self.card_path(version).write_text(
            json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        return path

    def list(self) -> list[dict[str, Any]]:
        """Every saved version's card (oldest first), with ``promoted`` and ``compatible``."""
        promoted = self.promoted_version()
        cards = []
        for path in sorted(self.models_dir.glob(f"{self.name}-*.json")):
            card = json.loads(path.read_text(encoding="utf-8"))
            if card.get("name", self.name) != self.name:
                continue  # another name that starts like this one (price-b-… for price-)
            card["promoted"] = card.get("version") == promoted
            card["compatible"] = incompatibility(card) is None
            cards.append(card)
        return sorted(cards, key=lambda c: c.get("created_at", ""))

    # -- promotion -------------------------------------------------------------------------
    def pointers(self) -> dict[str, str]:
        """``promoted.json``: model name → promoted version."""
        try:
            return json.loads(self.pointer_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}

    def promoted_version(self) -> str | None:
        return self.pointers().get(self.name)

    def promote(self, version: str) -> None:
        """Make ``version`` the served one (checked loadable first; atomic pointer write)."""
        self._check_compatible(self.card(version))
        if not self.artifact_path(version).exists():
            raise UnknownModel(f"模型文件 {self.artifact_path(version).name} 不存在")
        pointers = {**self.pointers(), self.name: version}
        tmp = self.pointer_path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(
            json.dumps(pointers, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
            encoding="utf-8",
        )
        os.replace(tmp, self.pointer_path)

    # -- loading ---------------------------------------------------------------------------
    @staticmethod
    def _check_compatible(card: Mapping[str, Any]) -> None:
        problem = incompatibility(card)
        if problem:
            raise IncompatibleModel(problem)

    def load(self, version: str) -> Any:
        """Load one version as its kind serves it (refused with :class:`IncompatibleModel`
        before unpickling)."""
        card = self.card(version)
        self._check_compatible(card)
        kind = KINDS[card.get("kind", "price")]
        return kind.serve(joblib.load(self.artifact_path(version)), card)

    def current(self) -> Any:
        """The promoted model, in memory; reloaded only when the pointer file changes."""
        try:
            st = self.pointer_path.stat()
        except FileNotFoundError as exc:
            raise UnknownModel(f"{self.models_dir} 中没有已启用的 {self.name} 模型") from exc
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        with self._lock:
            if self._current is None or stamp != self._pointer_stat:
                version = self.promoted_version()
                if version is None:
                    raise UnknownModel(f"{self.models_dir} 中没有已启用的 {self.name} 模型")
                if self._current is None or self._current.version != version:
                    self._current = self.load(version)
                self._pointer_stat = stamp
            return self._current

    def ensure(self, kind: str, clock: Clock | None = None) -> str:
        """The promoted version; if there is no compatible promoted model (a fresh machine, a
        new scikit-learn), one of ``kind`` is trained from the shipped data, saved and
        promoted first."""
        try:
            return self.current().version
        except (UnknownModel, IncompatibleModel):
            pass
        artifact, card = KINDS[kind].train_default((clock or SystemClock()).now())
        self.save(artifact, {**card, "name": self.name})
        self.promote(card["version"])
        return card["version"]


def ensure_default_model(settings: Settings, clock: Clock | None = None) -> str:
    """The promoted price model's version; trains and promotes one from the shipped data if
    there is no compatible promoted model (a fresh machine, or a new scikit-learn)."""
    return ModelRegistry(settings.models_dir, "price").ensure("price", clock)


def model_names(models_dir: Path) -> list[str]:
    """The model names with a card in ``models_dir`` (``price``, ``outcome``…), sorted."""
    names = set()
    for path in models_dir.glob("*-*.json"):
        try:
            names.add(json.loads(path.read_text(encoding="utf-8"))["name"])
        except (KeyError, ValueError):
            continue
    return sorted(names)
