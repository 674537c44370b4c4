"""Fitted scikit-learn pipelines run on a few rows without their per-call overhead.

An inquiry prices one subject; scikit-learn's Pipeline, ColumnTransformer and DataFrames cost
tens of milliseconds for it, and a HistGradientBoosting predict walks its trees one Python call
at a time. Here the *same fitted steps* run on column arrays:

- :func:`transform` runs a pipeline's transformers on a mapping of column name → array (or a
  DataFrame): the feature step through its array form (:func:`valuation.features.feature_columns`
  is the one definition :func:`~valuation.features.feature_frame` wraps), the ColumnTransformer
  by its fitted column lists, our encoders on arrays; any other step through its own
  ``transform`` on a DataFrame, so a new step is slower here, never different.
- :func:`predict` evaluates a fitted HistGradientBoosting model's trees all at once, level by
  level (:class:`CompiledTrees`), for a few rows, and sums the leaves in sklearn's order: the
  same floats. Large batches are walked on the model's own bins (:class:`BinnedTrees`: one
  byte a value instead of eight, so a batch's rows stay in the cache), by sklearn's own
  walker, to the same floats.

Tests check both against the plain pipeline on many rows, bit for bit.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

from valuation.features import feature_columns, feature_frame
from valuation.location_encoding import LocationEncoder, place_keys
from valuation.neighbours import NeighbourEncoder, NeighbourOffsetRegressor

# Functions a pipeline's FunctionTransformer may hold → their form on column arrays.
ARRAY_FORMS = {feature_frame: feature_columns}
# Rows × trees up to which the trees are walked all at once (beyond: sklearn's predictor).
COMPILED_CELLS = 100_000
# Rows from which a batch's rows alike for the trees are found and walked once.
_DISTINCT_FROM = 1000

Columns = Mapping[str, Any]  # column name → array, or a DataFrame


def transform(pipeline: Pipeline, X: Columns) -> np.ndarray:
    """``pipeline[:-1].transform(X)`` for column arrays or a DataFrame: the same numbers."""
    out: Any = X
    for _, step in pipeline.steps[:-1]:
        out = _step(step, out)
    return np.asarray(out, dtype=float)


def _step(step: Any, X: Columns) -> Any:
    if isinstance(step, FunctionTransformer) and step.func in ARRAY_FORMS:
        return ARRAY_FORMS[step.func](X)
    if isinstance(step, ColumnTransformer):
        return _columns(step, X)
    return step.transform(_frame(X))


def _columns(ct: ColumnTransformer, X: Columns) -> np.ndarray:
    parts = []
    keys = None  # the place keys, built once for all the location steps
    for _, trans, cols in ct.transformers_:
        if isinstance(trans, str) and trans == "drop":
            continue
        if not all(isinstance(c, str) for c in cols):
            return ct.transform(_frame(X))  # columns by position: sklearn's own path
        if not cols:
            continue
        if isinstance(trans, FunctionTransformer) and trans.func is None:  # passthrough
            parts.extend(np.asarray(X[c], dtype=float) for c in cols)
        elif isinstance(trans, LocationEncoder | NeighbourEncoder):
            if keys is None:
                keys = place_keys(X)
            parts.append(trans.transform({c: X[c] for c in cols}, keys))
        elif isinstance(trans, OrdinalEncoder) and (codes := _ordinal(trans, X, cols)) is not None:
            parts.append(codes)
        else:
            parts.append(trans.transform(_frame({c: X[c] for c in cols})))
    return stacked(parts)


def stacked(parts: list) -> np.ndarray:
    """``np.column_stack(parts)`` as float, column-major (the same numbers): a batch's trees
    bin it column by column, and σ(x)'s inputs copy the price model's columns whole."""
    parts = [np.asarray(p, dtype=float) for p in parts]
    parts = [p if p.ndim == 2 else p[:, None] for p in parts]
    out = np.empty((len(parts[0]), sum(p.shape[1] for p in parts)), order="F")
    at = 0
    for p in parts:
        out[:, at : at + p.shape[1]] = p
        at += p.shape[1]
    return out


def _ordinal(encoder: OrdinalEncoder, X: Columns, cols: list[str]) -> np.ndarray | None:
    """An OrdinalEncoder's codes by hashed lookup: each value's position among the fitted
    categories, ``unknown_value`` for one never seen. None (sklearn's own path) for what this
    does not cover: missing values, infrequent categories, other unknown handling."""
    if (
        encoder.handle_unknown != "use_encoded_value"
        or getattr(encoder, "_infrequent_enabled", False)
        or np.dtype(encoder.dtype) != np.float64
    ):
        return None
    out = np.empty((len(np.asarray(X[cols[0]])), len(cols)))
    for j, (col, categories) in enumerate(zip(cols, encoder.categories_, strict=True)):
        values = np.asarray(X[col], dtype=object)
        if pd.isna(values).any():
            return None
        get = _positions(categories).get  # a dict, as sklearn maps categories to codes
        unknown = encoder.unknown_value
        out[:, j] = np.fromiter((get(v, unknown) for v in values), dtype=float, count=len(values))
    return out


def _positions(categories: np.ndarray) -> dict[Any, int]:
    found = _POSITIONS.get(id(categories))
    if found is None or found[0] is not categories:
        positions = {c: i for i, c in enumerate(categories.tolist())}
        found = _POSITIONS[id(categories)] = (categories, positions)
    return found[1]


_POSITIONS: dict[int, tuple[np.ndarray, dict[Any, int]]] = {}


def _frame(X: Columns) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    return pd.DataFrame(
        {c: pd.Series(np.asarray(v), dtype=np.asarray(v).dtype) for c, v in X.items()}
    )


def predict(estimator: Any, X: np.ndarray) -> np.ndarray:
    """``estimator.predict(X)``; a HistGradientBoostingRegressor's few rows by its compiled
    trees, a batch on its bins (the same floats); the price model's trees with their
    neighbour offset added as :class:`~valuation.neighbours.NeighbourOffsetRegressor` adds it."""
    if isinstance(estimator, NeighbourOffsetRegressor):
        return predict(estimator.estimator_, X) + estimator.offset(X)
    if isinstance(estimator, HistGradientBoostingRegressor):
        n_trees = sum(len(iteration) for iteration in estimator._predictors)
        trees = compiled(estimator) if len(X) * n_trees <= COMPILED_CELLS else None
        if trees is not None:
            return trees.predict(X)
        on_bins = binned(estimator)
        if on_bins is not None:
            return on_bins.predict(X)
    return estimator.predict(X)


_COMPILED: weakref.WeakKeyDictionary[Any, CompiledTrees | None] = weakref.WeakKeyDictionary()
_BINNED: weakref.WeakKeyDictionary[Any, BinnedTrees | None] = weakref.WeakKeyDictionary()


def binned(estimator: HistGradientBoostingRegressor) -> BinnedTrees | None:
    """The estimator's trees as walked on its bins, checked once per fitted estimator (None:
    a model whose bins do not give its raw splits, walked by sklearn's own predict)."""
    try:
        return _BINNED[estimator]
    except KeyError:
        pass
    trees = _BINNED[estimator] = BinnedTrees.of(estimator)
    return trees


class BinnedTrees:
    """A fitted single-output, numeric HistGradientBoosting model's trees walked on the bins
    its training used (``_BinMapper.transform``, then each tree's ``predict_binned``: the walk
    sklearn itself runs on training rows), leaves summed tree by tree as ``predict`` does.

    The same floats as ``predict``: a value goes to bin ``b`` exactly when it lies above the
    bin's lower threshold and at or below its upper one (``t[b-1] < x <= t[b]``), NaN to the
    missing bin, and every split's raw threshold is its bin's upper threshold (+inf for the
    last non-missing bin), checked here node by node; so ``x <= threshold`` exactly when
    ``bin <= bin_threshold``, and missing values go where the split sends them either way.

    Rows no split tells apart (in every feature the trees read, between the same two of the
    bin thresholds the splits use, or missing) take the same path through every tree: in a
    batch each such set is walked once, by its first row.
    """

    def __init__(
        self, estimator: HistGradientBoostingRegressor, nodes: dict[str, np.ndarray]
    ) -> None:
        self.mapper = estimator._bin_mapper
        self.predictors = [p for iteration in estimator._predictors for p in iteration]
        self.width = int(estimator.n_features_in_)
        self.baseline = estimator._baseline_prediction.ravel()[0]
        self.inverse = estimator._loss.link.inverse
        # Per feature the trees read, bin → which of its split thresholds' intervals it lies
        # in (the number of thresholds below it); the missing bin apart (255: above them all).
        missing = self.mapper.missing_values_bin_idx_
        self.read = np.unique(nodes["feature_idx"]).astype(np.intp)
        self.interval = np.empty((len(self.read), missing + 1), dtype=np.uint8)
        for j, f in enumerate(self.read):
            cuts = np.unique(nodes["bin_threshold"][nodes["feature_idx"] == f])
            self.interval[j] = np.searchsorted(cuts, np.arange(missing + 1), side="left")
            self.interval[j, missing] = 255

    @classmethod
    def of(cls, estimator: HistGradientBoostingRegressor) -> BinnedTrees | None:
        mapper = getattr(estimator, "_bin_mapper", None)
        if (
            estimator.n_trees_per_iteration_ != 1
            or mapper is None
            or getattr(estimator, "_preprocessor", None) is not None
            or np.asarray(mapper.is_categorical_).any()
        ):
            return None
        thresholds = mapper.bin_thresholds_
        if max(len(t) for t in thresholds) >= mapper.missing_values_bin_idx_:
            return None  # a value's bin would be the missing values' bin
        trees = [p.nodes for iteration in estimator._predictors for p in iteration]
        split = np.concatenate([~t["is_leaf"].astype(bool) for t in trees])
        nodes = {  # the splits' fields (field by field: cheaper than joining the records)
            name: np.concatenate([t[name] for t in trees])[split]
            for name in ("feature_idx", "bin_threshold", "num_threshold", "is_categorical")
        }
        if nodes["is_categorical"].any():
            return None
        feature, bin_ = nodes["feature_idx"].astype(np.intp), nodes["bin_threshold"].astype(np.intp)
        for f in np.unique(feature):
            at = feature == f
            upper = np.append(np.asarray(thresholds[f], dtype=float), np.inf)
            if (bin_[at] >= len(upper)).any() or not np.array_equal(
                upper[np.minimum(bin_[at], len(upper) - 1)], nodes["num_threshold"][at]
            ):
                return None
        return cls(estimator, nodes)

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != self.width:
            raise ValueError(f"X has {X.shape} values, the model reads {self.width} a row")
        bins = self.mapper.transform(X)
        if len(bins) >= _DISTINCT_FROM and len(self.read):
            # Each row as the intervals it lies in, one byte a feature read: rows alike
            # in all of them are walked once.
            alike = np.empty((len(bins), len(self.read)), dtype=np.uint8)
            for j, f in enumerate(self.read):
                alike[:, j] = self.interval[j][bins[:, f]]
            rows = alike.view(np.dtype((np.void, alike.shape[1]))).ravel()
            codes, distinct = pd.factorize(rows)
            if len(distinct) < len(bins):
                # Codes are numbered in order of first appearance: a first row raises the max.
                seen = np.maximum.accumulate(codes)
                first = np.flatnonzero(np.r_[True, seen[1:] > seen[:-1]])
                return self._walk(bins[first])[codes]
        return self._walk(bins)

    def _walk(self, bins: np.ndarray) -> np.ndarray:
        missing = self.mapper.missing_values_bin_idx_
        threads = _openmp_effective_n_threads()
        raw = np.full(len(bins), self.baseline)
        for predictor in self.predictors:  # tree by tree, as sklearn adds them
            raw += predictor.predict_binned(bins, missing, threads)
        return self.inverse(raw)


def compiled(estimator: HistGradientBoostingRegressor) -> CompiledTrees | None:
    """The estimator's trees as flat arrays, built once per fitted estimator (None: a model
    this module does not compile)."""
    try:
        return _COMPILED[estimator]
    except KeyError:
        pass
    trees = CompiledTrees.of(estimator)
    _COMPILED[estimator] = trees
    return trees


class CompiledTrees:
    """All trees of a fitted single-output HistGradientBoosting model in flat node arrays,
    walked level by level for every (row, tree) at once.

    Deepest trees first, so at each level the trees still walking are a leading slice; a leaf
    is its own child. A missing value goes where each split sends missing values: each row is
    kept twice, with NaN as -inf (for splits that send it left) and as NaN (right: NaN ≤ t is
    false, even for the +inf threshold of a split on missing values), and each split reads the
    copy it needs, so a split is one comparison. Categorical splits follow sklearn's bitsets.
    Leaves are summed in sklearn's tree order.
    """

    def __init__(self, estimator: HistGradientBoostingRegressor) -> None:
        predictors = [p for iteration in estimator._predictors for p in iteration]
        sizes = [len(p.nodes) for p in predictors]
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        nodes = np.concatenate([p.nodes for p in predictors])
        node_offset = np.repeat(offsets, sizes)
        is_leaf = nodes["is_leaf"].astype(bool)
        index = np.arange(len(nodes))
        self.width = int(estimator.n_features_in_)
        self.n_trees = len(predictors)
        depths = np.array([int(p.nodes["depth"].max()) for p in predictors])
        order = np.argsort(-depths, kind="stable")
        self.roots = offsets[order]
        self.unsort = np.argsort(order)
        self.depth = int(depths.max()) if len(depths) else 0
        self.walking = [int((depths > level).sum()) for level in range(self.depth)]
        # children[node, went_left]
        self.children = np.column_stack(
            [
                np.where(is_leaf, index, nodes["right"].astype(np.intp) + node_offset),
                np.where(is_leaf, index, nodes["left"].astype(np.intp) + node_offset),
            ]
        )
        self.value = nodes["value"].astype(float)
        self.feature = nodes["feature_idx"].astype(np.intp)
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        # Where a split reads its value: the -inf copy of the row if missing goes left.
        self.column = self.feature + self.width * ~self.missing_left
        self.threshold = nodes["num_threshold"].astype(float)
        self.is_categorical = nodes["is_categorical"].astype(bool) & ~is_leaf
        self.any_categorical = bool(self.is_categorical.any())
        # -inf goes left at every threshold a missing-left split can have (never -inf or NaN).
        numeric = ~is_leaf & ~self.is_categorical
        sends_left = self.threshold[numeric & self.missing_left]
        self.comparable = bool(
            (sends_left > -np.inf).all() and not np.isnan(self.threshold[numeric]).any()
        )
        bitsets = [p.raw_left_cat_bitsets for p in predictors]
        bitset_offsets = np.concatenate([[0], np.cumsum([len(b) for b in bitsets])[:-1]])
        self.bitset = nodes["bitset_idx"].astype(np.intp) + np.repeat(bitset_offsets, sizes)
        self.left_bitsets = np.concatenate(bitsets) if bitsets else np.zeros((0, 8), np.uint32)
        self.known_bitsets, self.f_idx_map = estimator._bin_mapper.make_known_categories_bitsets()
        self.baseline = float(estimator._baseline_prediction.ravel()[0])
        self.inverse = estimator._loss.link.inverse

    @classmethod
    def of(cls, estimator: HistGradientBoostingRegressor) -> CompiledTrees | None:
        if estimator.n_trees_per_iteration_ != 1:
            return None
        trees = cls(estimator)
        return trees if trees.comparable else None  # else sklearn's own walk

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=float)
        n, width = X.shape
        both = np.concatenate([np.where(np.isnan(X), -np.inf, X), X], axis=1)
        flat = both.ravel()
        row_start = (np.arange(n) * 2 * width)[:, None]
        node = np.broadcast_to(self.roots, (n, self.n_trees)).copy()
        for walking in self.walking:
            at = node[:, :walking]
            left = flat[row_start + self.column[at]] <= self.threshold[at]
            if self.any_categorical:
                categorical = self.is_categorical[at]
                if categorical.any():
                    split = at[categorical]
                    rows = np.nonzero(categorical)[0]
                    left[categorical] = self._categorical_left(X[rows, self.feature[split]], split)
            node[:, :walking] = self.children[at, left.view(np.int8)]
        values = self.value[node][:, self.unsort]  # back to sklearn's tree order
        leaves = np.concatenate([np.full((n, 1), self.baseline), values], axis=1)
        raw = np.cumsum(leaves, axis=1)[:, -1]  # sequential, as sklearn adds tree by tree
        return self.inverse(raw)

    def _categorical_left(self, x: np.ndarray, node: np.ndarray) -> np.ndarray:
        """sklearn's categorical split: missing or negative → as missing; in the left bitset
        → left; a known category → right; unknown → as missing."""
        missing_left = self.missing_left[node]
        absent = np.isnan(x) | (x < 0)
        category = np.where(absent, 0, x).astype(np.int64) & 0xFF  # the predictor's uint8 cast
        word, bit = category >> 5, category & 31
        in_left = (self.left_bitsets[self.bitset[node], word] >> bit) & 1
        known_row = self.f_idx_map[self.feature[node]]
        known = (self.known_bitsets[known_row, word] >> bit) & 1
        return np.where(
            absent,
            missing_left,
            np.where(in_left == 1, True, np.where(known == 1, False, missing_left)),
        )
