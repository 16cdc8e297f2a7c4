"""The Fellegi-Sunter model: a match probability per pair from learned field weights.

Each comparison's similarity is cut into agreement levels (missing, disagree, ..., exact). A
pair's evidence is the sum over comparisons of ``log2(m / u)`` for its level, where ``m`` is the
chance of that level among true matches and ``u`` among non-matches. The weights are learned
without labels by expectation-maximisation (as splink and recordlinkage's ECM do): ``u`` starts
from random record pairs (almost all non-matches), then EM refines ``m``, ``u`` and the share of
matches ``lambda`` on the candidate pairs. With labelled pairs the weights are counted directly.

EM runs over the distinct agreement patterns with their counts, so a million candidate pairs
cost a few thousand patterns per iteration.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ConfigDict

from leadqual._base import LeadqualModel
from leadqual.dedupe.settings import Comparison
from leadqual.errors import (
    ConfigurationError,
    InsufficientTrainingData,
    NotFittedError,
    ValidationFailed,
)

__all__ = ["ComparisonWeights", "FellegiSunter", "levels_of", "level_labels"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
LevelArray = npt.NDArray[np.int8]

_EPS = 1e-6


def level_labels(comp: Comparison) -> tuple[str, ...]:
    """Readable names of a comparison's levels, index = level (0 is "missing")."""
    labels = ["missing", "disagree"]
    labels += [f">= {t:g}" for t in reversed(comp.levels)]
    labels.append("exact")
    return tuple(labels)


_TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0", "match"})
_FALSE = frozenset({"false", "f", "no", "n", "0", "0.0", "non-match", "nonmatch"})


def _check_shape(comparisons: Sequence[Comparison], array: npt.NDArray[Any], what: str) -> None:
    if array.ndim != 2 or array.shape[1] != len(comparisons):
        raise ConfigurationError(
            f"{what} must be a pairs x {len(comparisons)} comparisons array "
            f"({', '.join(c.name for c in comparisons)}); got shape {array.shape}"
        )


def _labels(is_match: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Match labels as booleans; text ("yes", "False") and 0/1 are read, anything else refused
    (``bool("no")`` is True, and NaN would silently count as a match)."""
    raw = np.asarray(is_match, dtype=object).ravel()
    out = np.zeros(len(raw), dtype=bool)
    for i, value in enumerate(raw.tolist()):
        # bool is an int: True/False pass as 1/0.
        if isinstance(value, (int, float, np.bool_, np.integer, np.floating)) and value in (0, 1):
            out[i] = bool(value)
        elif isinstance(value, str) and value.strip().casefold() in _TRUE | _FALSE:
            out[i] = value.strip().casefold() in _TRUE
        else:
            raise ValidationFailed(
                f"is_match[{i}] is {value!r}: labels must be true/false, yes/no or 1/0",
                field="is_match",
            )
    return out


def levels_of(comparisons: Sequence[Comparison], similarities: FloatArray) -> LevelArray:
    """Agreement levels (pairs x comparisons): 0 missing, 1 disagree, ..., top = exact.

    Raises:
        ConfigurationError: ``similarities`` does not have one column per comparison.
    """
    similarities = np.asarray(similarities, dtype=np.float64)
    _check_shape(comparisons, similarities, "similarities")
    out = np.zeros(similarities.shape, dtype=np.int8)
    for j, comp in enumerate(comparisons):
        sim = similarities[:, j]
        present = ~np.isnan(sim)
        level = np.ones(len(sim), dtype=np.int8)
        for k, cut in enumerate(sorted(comp.levels)):
            level[present & (sim >= cut)] = k + 2
        level[present & (sim >= 1.0 - 1e-12)] = len(comp.levels) + 2
        level[~present] = 0
        out[:, j] = level
    return out


def _agreement(probabilities: list[FloatArray]) -> float:
    """Mean expected agreement level (0 disagree .. 1 exact) over comparisons."""
    total = 0.0
    for p in probabilities:
        present = p[1:]
        scale = np.linspace(0.0, 1.0, len(present))
        total += float((present * scale).sum() / max(float(present.sum()), _EPS))
    return total / max(len(probabilities), 1)


class ComparisonWeights(LeadqualModel):
    """The learned probabilities of one comparison, per level (index 0, "missing", unused)."""

    model_config = ConfigDict(frozen=True)

    comparison: str
    labels: tuple[str, ...]
    m: tuple[float, ...]
    """P(level | match)."""
    u: tuple[float, ...]
    """P(level | non-match)."""

    @property
    def weights(self) -> tuple[float, ...]:
        """``log2(m / u)`` per level: the evidence a level adds (negative: against a match)."""
        return tuple(
            0.0 if i == 0 else float(np.log2(max(m, _EPS) / max(u, _EPS)))
            for i, (m, u) in enumerate(zip(self.m, self.u, strict=True))
        )


class FellegiSunter:
    """Fellegi-Sunter match probabilities, with weights learned by EM or from labelled pairs.

    Args:
        comparisons: the comparisons whose levels the model weighs.
        max_iterations: EM iterations at most.
        tolerance: EM stops when no probability moves more than this.
        fix_u: keep ``u`` at its random-pair estimate instead of refining it by EM.
        identifying: names of the comparisons that identify an entity (name, date of birth, a
            national id). A pair on which none of them agrees (each is missing or at level
            "disagree") is a non-match (probability 0) whatever the other comparisons say, in
            EM and in predictions: agreement on low-entropy fields (state, suburb, street)
            never outweighs disagreement on the identifying ones, nor stands in for them when
            they are blank. Its :meth:`match_weight` still shows the evidence.

    Examples:
        >>> import numpy as np
        >>> from leadqual.dedupe.settings import Comparison
        >>> comps = [Comparison(name=n, fields=(n,), method="exact", levels=())
        ...          for n in ("email", "phone")]
        >>> sims = np.array([[1, 1], [1, 1], [1, 0], [0, 1], [0, 0], [0, 0], [0, 0]], float)
        >>> model = FellegiSunter(comps).fit_labelled(sims, [1, 1, 1, 0, 0, 0, 0])
        >>> bool(model.predict_proba(np.array([[1.0, 1.0]]))[0] > 0.9)
        True
    """

    def __init__(
        self,
        comparisons: Sequence[Comparison],
        *,
        max_iterations: int = 200,
        tolerance: float = 1e-6,
        fix_u: bool = False,
        identifying: Sequence[str] = (),
    ) -> None:
        names = [c.name for c in comparisons]
        unknown = sorted(set(identifying) - set(names))
        if unknown:
            raise ConfigurationError(
                f"identifying names unknown comparison(s) {unknown}; known: {names}"
            )
        if max_iterations < 1:
            raise ConfigurationError(f"max_iterations must be at least 1, got {max_iterations}")
        if not tolerance > 0:
            raise ConfigurationError(f"tolerance must be positive, got {tolerance}")
        self.comparisons = tuple(comparisons)
        self.max_iterations = max_iterations
        self.tolerance = tolerance
        self.fix_u = fix_u
        self.identifying = tuple(identifying)
        self._identifying_at = np.array(
            [names.index(x) for x in dict.fromkeys(identifying)], dtype=np.int64
        )
        self.m_: list[FloatArray] | None = None
        self.u_: list[FloatArray] | None = None
        self.lambda_: float | None = None
        self.n_iter_: int = 0
        self.converged_: bool = False
        """Whether the last EM fit stopped because the probabilities settled (not because
        ``max_iterations`` ran out); labelled fits count as converged."""

    @property
    def n_levels(self) -> list[int]:
        """Levels per comparison, "missing" included."""
        return [len(c.levels) + 3 for c in self.comparisons]

    # -- fitting ----------------------------------------------------------------------------------

    def _frequencies(self, levels: LevelArray, weights: FloatArray) -> list[FloatArray]:
        out = []
        for j, n in enumerate(self.n_levels):
            counts = np.bincount(levels[:, j], weights=weights, minlength=n).astype(np.float64)
            counts[0] = 0.0
            counts[1:] += 0.5  # Laplace smoothing: no level is ever impossible
            out.append(counts / counts.sum())
        return out

    def _initial_m(self) -> list[FloatArray]:
        out = []
        for n in self.n_levels:
            # Matches mostly agree exactly; each lower level is rarer.
            m = np.array([0.0] + [0.5 ** (n - 1 - i) for i in range(1, n)], dtype=np.float64)
            m[1] = 0.05
            out.append(m / m.sum())
        return out

    def fit(
        self,
        similarities: FloatArray,
        /,
        *,
        random_similarities: FloatArray | None = None,
        prior: float | None = None,
    ) -> FellegiSunter:
        """Learn ``m``, ``u`` and ``lambda`` by EM from candidate pairs' similarities.

        Args:
            similarities: candidate pairs x comparisons (``NaN`` = missing).
            random_similarities: similarities of random record pairs, to start ``u`` from (if
                absent, ``u`` starts from the candidates' own level frequencies).
            prior: starting share of matches among the candidates.
        """
        return self.fit_levels(
            levels_of(self.comparisons, similarities),
            random_levels=None
            if random_similarities is None
            else levels_of(self.comparisons, random_similarities),
            prior=prior,
        )

    def fit_levels(
        self,
        levels: LevelArray,
        /,
        *,
        random_levels: LevelArray | None = None,
        prior: float | None = None,
    ) -> FellegiSunter:
        """:meth:`fit` from agreement levels (see :func:`levels_of`) instead of similarities,
        so a million pairs cost one byte per comparison.

        Raises:
            ConfigurationError: ``prior`` is not strictly between 0 and 1, or ``levels`` does
                not have one column per comparison.
            InsufficientTrainingData: there are no candidate pairs.
        """
        if prior is not None and not 0.0 < prior < 1.0:
            raise ConfigurationError(f"prior must be strictly between 0 and 1, got {prior!r}")
        levels = np.asarray(levels)
        _check_shape(self.comparisons, levels, "levels")
        if random_levels is not None:
            random_levels = np.asarray(random_levels)
            _check_shape(self.comparisons, random_levels, "random_levels")
        if len(levels) == 0:
            raise InsufficientTrainingData(
                "no candidate pairs to learn weights from: relax the blocking keys",
                qualified=0,
                disqualified=0,
                needed=1,
            )
        return self._fit(self._codes(levels), random_levels, prior)

    def fit_pattern_codes(
        self,
        codes: npt.NDArray[np.integer[Any]],
        /,
        *,
        random_levels: LevelArray | None = None,
        prior: float | None = None,
    ) -> FellegiSunter:
        """:meth:`fit_levels` from each pair's agreement pattern as one integer (see
        :meth:`pattern_codes`): four bytes per candidate pair, so batch mode keeps nothing
        else of a pair while the weights are learned.

        Raises:
            ConfigurationError: ``prior`` is not strictly between 0 and 1.
            InsufficientTrainingData: there are no candidate pairs.
        """
        if prior is not None and not 0.0 < prior < 1.0:
            raise ConfigurationError(f"prior must be strictly between 0 and 1, got {prior!r}")
        if random_levels is not None:
            random_levels = np.asarray(random_levels)
            _check_shape(self.comparisons, random_levels, "random_levels")
        if len(codes) == 0:
            raise InsufficientTrainingData(
                "no candidate pairs to learn weights from: relax the blocking keys",
                qualified=0,
                disqualified=0,
                needed=1,
            )
        return self._fit(np.asarray(codes), random_levels, prior)

    def _fit(
        self,
        codes: npt.NDArray[np.integer[Any]],
        random_levels: LevelArray | None,
        prior: float | None,
    ) -> FellegiSunter:
        patterns, counts = self._patterns_of_codes(codes)
        levels = patterns
        if random_levels is not None and len(random_levels):
            u = self._frequencies(random_levels, np.ones(len(random_levels)))
        else:
            u = self._frequencies(levels, counts.astype(np.float64))
        m = self._initial_m()
        lam = prior if prior is not None else 0.1
        counts_f = counts.astype(np.float64)
        self.converged_ = False
        for it in range(self.max_iterations):
            p = self._posterior(patterns, m, u, lam)
            new_m = self._frequencies(patterns, counts_f * p)
            new_u = u if self.fix_u else self._frequencies(patterns, counts_f * (1 - p))
            new_lam = float(np.clip((counts_f * p).sum() / counts_f.sum(), _EPS, 1 - _EPS))
            delta = max(
                abs(new_lam - lam),
                max(float(np.abs(a - b).max()) for a, b in zip(new_m, m, strict=True)),
                max(float(np.abs(a - b).max()) for a, b in zip(new_u, u, strict=True)),
            )
            m, u, lam = new_m, new_u, new_lam
            self.n_iter_ = it + 1
            if delta < self.tolerance:
                self.converged_ = True
                break
        if not self.fix_u and _agreement(m) < _agreement(u):
            # A two-class mixture is symmetric: when most candidates are matches (tight
            # blocking) EM can settle with the classes swapped, calling disagreement a match.
            # Matches agree more than non-matches by definition, so swap them back.
            logger.debug("EM settled with the classes swapped; swapping m and u")
            m, u, lam = u, m, 1.0 - lam
        if not self.converged_:
            logger.warning(
                "EM did not converge in %d iterations; the weights may be unstable",
                self.max_iterations,
            )
        self.m_, self.u_, self.lambda_ = m, u, lam
        logger.debug("EM converged after %d iterations, lambda=%.4f", self.n_iter_, lam)
        return self

    def fit_labelled(self, similarities: FloatArray, is_match: npt.ArrayLike, /) -> FellegiSunter:
        """Count ``m`` and ``u`` from labelled pairs (``is_match`` true for duplicates).

        Raises:
            InsufficientTrainingData: the labels lack matches or non-matches.
            ValidationFailed: a label is neither true/false, yes/no nor 1/0.
        """
        y = _labels(is_match)
        if y.shape[0] != similarities.shape[0]:
            raise ConfigurationError(
                f"{similarities.shape[0]} pairs but {y.shape[0]} labels: give one label per pair"
            )
        n_match, n_non = int(y.sum()), int((~y).sum())
        if n_match == 0 or n_non == 0:
            raise InsufficientTrainingData(
                f"labelled pairs hold {n_match} matches and {n_non} non-matches; both are needed",
                qualified=n_match,
                disqualified=n_non,
                needed=1,
            )
        levels = levels_of(self.comparisons, similarities)
        self.m_ = self._frequencies(levels[y], np.ones(n_match))
        self.u_ = self._frequencies(levels[~y], np.ones(n_non))
        self.lambda_ = n_match / len(y)
        self.converged_ = True
        return self

    # -- prediction -------------------------------------------------------------------------------

    def _check_fitted(self) -> tuple[list[FloatArray], list[FloatArray], float]:
        if self.m_ is None or self.u_ is None or self.lambda_ is None:
            raise NotFittedError("the Fellegi-Sunter model is not fitted: call fit() first")
        return self.m_, self.u_, self.lambda_

    def _place(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        radix = np.array(self.n_levels, dtype=np.int64)
        place = np.concatenate([[1], np.cumprod(radix[:-1])]).astype(np.int64)
        return radix, place

    def _codes(self, levels: LevelArray) -> npt.NDArray[np.int64]:
        _, place = self._place()
        codes: npt.NDArray[np.int64] = np.asarray(levels).astype(np.int64) @ place
        return codes

    def pattern_codes(self, levels: LevelArray, /) -> npt.NDArray[np.integer[Any]]:
        """Each pair's agreement levels (see :func:`levels_of`) as one integer, in mixed radix
        (``int32`` when the comparisons' levels fit in it, else ``int64``): what
        :meth:`fit_pattern_codes` and :meth:`predict_proba_codes` read.

        Raises:
            ConfigurationError: ``levels`` does not have one column per comparison.
        """
        _check_shape(self.comparisons, np.asarray(levels), "levels")
        codes = self._codes(levels)
        radix, _ = self._place()
        if int(np.prod(radix.astype(object))) < 2**31:
            return codes.astype(np.int32)
        return codes

    def _decode(self, codes: npt.NDArray[np.int64]) -> LevelArray:
        radix, place = self._place()
        patterns = (codes[:, None] // place[None, :]) % radix[None, :]
        return patterns.astype(np.int8)

    def _patterns_of_codes(
        self, codes: npt.NDArray[np.integer[Any]]
    ) -> tuple[LevelArray, npt.NDArray[np.int64]]:
        # Mixed-radix codes make the distinct patterns a 1-D (hash-based) unique, much faster
        # than np.unique(axis=0) on millions of rows.
        tally = pd.Series(codes.astype(np.int64)).value_counts(sort=False)  # hash-based
        uniq = tally.index.to_numpy(dtype=np.int64)
        counts = tally.to_numpy(dtype=np.int64)
        return self._decode(uniq), counts.astype(np.int64)

    def _patterns(self, levels: LevelArray) -> tuple[LevelArray, npt.NDArray[np.int64]]:
        return self._patterns_of_codes(self._codes(levels))

    def _log_bayes(
        self, levels: LevelArray, m: list[FloatArray], u: list[FloatArray]
    ) -> FloatArray:
        total = np.zeros(len(levels), dtype=np.float64)
        for j in range(levels.shape[1]):
            w = np.log(np.maximum(m[j], _EPS)) - np.log(np.maximum(u[j], _EPS))
            w[0] = 0.0
            total += w[levels[:, j]]
        return total

    def vetoed(self, levels: LevelArray, /) -> npt.NDArray[np.bool_]:
        """Per pair: no identifying comparison agrees (each is missing, level 0, or disagrees,
        level 1), so the pair is a non-match (all false without ``identifying``)."""
        levels = np.asarray(levels)
        if len(self._identifying_at) == 0:
            return np.zeros(len(levels), dtype=bool)
        ident = levels[:, self._identifying_at]
        out: npt.NDArray[np.bool_] = np.asarray(~(ident >= 2).any(axis=1), dtype=bool)
        return out

    def contradicted(self, levels: LevelArray, /) -> npt.NDArray[np.bool_]:
        """Per pair: vetoed (see :meth:`vetoed`) and at least one identifying comparison
        disagrees, so the two records are known to be different entities (not merely lacking
        the values to tell)."""
        levels = np.asarray(levels)
        if len(self._identifying_at) == 0:
            return np.zeros(len(levels), dtype=bool)
        ident = levels[:, self._identifying_at]
        out: npt.NDArray[np.bool_] = np.asarray(
            ~(ident >= 2).any(axis=1) & (ident == 1).any(axis=1), dtype=bool
        )
        return out

    def _posterior(
        self, levels: LevelArray, m: list[FloatArray], u: list[FloatArray], lam: float
    ) -> FloatArray:
        logit = np.log(lam) - np.log1p(-lam) + self._log_bayes(levels, m, u)
        result: FloatArray = 1.0 / (1.0 + np.exp(-np.clip(logit, -700, 700)))
        result[self.vetoed(levels)] = 0.0
        return result

    def match_weight(self, similarities: FloatArray, /) -> FloatArray:
        """Evidence for a match in bits (``log2`` odds, prior included) per pair."""
        m, u, lam = self._check_fitted()
        levels = levels_of(self.comparisons, similarities)
        nat = np.log(lam) - np.log1p(-lam) + self._log_bayes(levels, m, u)
        result: FloatArray = nat / np.log(2.0)
        return result

    def predict_proba(self, similarities: FloatArray, /) -> FloatArray:
        """The match probability of each pair."""
        m, u, lam = self._check_fitted()
        return self._posterior(levels_of(self.comparisons, similarities), m, u, lam)

    def predict_proba_levels(self, levels: LevelArray, /) -> FloatArray:
        """The match probability of each pair, from its agreement levels."""
        m, u, lam = self._check_fitted()
        _check_shape(self.comparisons, np.asarray(levels), "levels")
        return self._posterior(levels, m, u, lam)

    def predict_proba_codes(self, codes: npt.NDArray[np.integer[Any]], /) -> FloatArray:
        """The match probability of each pair, from its pattern code (see
        :meth:`pattern_codes`): computed once per distinct pattern."""
        m, u, lam = self._check_fitted()
        index, uniq = pd.factorize(np.asarray(codes).astype(np.int64, copy=False))
        table = self._posterior(self._decode(np.asarray(uniq, dtype=np.int64)), m, u, lam)
        out: FloatArray = table[index]
        return out

    def contributions(self, similarities: FloatArray, /) -> FloatArray:
        """Per pair and comparison, the bits of evidence its level adds (0 when missing)."""
        m, u, _ = self._check_fitted()
        levels = levels_of(self.comparisons, similarities)
        out = np.zeros(levels.shape, dtype=np.float64)
        for j in range(levels.shape[1]):
            w = np.log2(np.maximum(m[j], _EPS)) - np.log2(np.maximum(u[j], _EPS))
            w[0] = 0.0
            out[:, j] = w[levels[:, j]]
        return out

    def weights(self) -> list[ComparisonWeights]:
        """The learned ``m``/``u`` per comparison, for inspection and docs."""
        m, u, _ = self._check_fitted()
        return [
            ComparisonWeights(
                comparison=c.name,
                labels=level_labels(c),
                m=tuple(float(x) for x in m[j]),
                u=tuple(float(x) for x in u[j]),
            )
            for j, c in enumerate(self.comparisons)
        ]
