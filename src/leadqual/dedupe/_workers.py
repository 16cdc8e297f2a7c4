"""Comparing the pairs of one batch call, in forked worker processes or in this process.

Candidate pairs arrive as one sorted ``int64`` code per pair (``lo * n + hi``, see
:meth:`~leadqual.dedupe.pipeline.Blocker.pair_codes`); a chunk of them is decoded, compared and
cut to agreement levels where it is compared, and only each pair's agreement pattern (four
bytes) and whether a rule fired (one byte, when there are rules) come back. Chunks come back in
order, so the result is the same for any number of workers.

Workers are forked after blocking, so they inherit the records and the pair codes instead of
receiving copies. A process running other threads is never forked (a lock held by another
thread at the fork would stay locked in the child forever): there the pairs are compared in
this process, with rapidfuzz's own threads for the string similarities.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Iterator, Sequence
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt

from leadqual.dedupe._fork import fork_safe, resolve_workers
from leadqual.dedupe.fellegi_sunter import FellegiSunter, levels_of
from leadqual.dedupe.normalize import Normalizer
from leadqual.dedupe.pipeline import (
    Comparer,
    IntArray,
    Prepared,
    apply_rules,
)
from leadqual.dedupe.settings import DedupeSettings

__all__ = ["PairComparison", "fork_safe", "resolve_workers"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.integer[Any]]


class _Task:
    """What one process compares with: the settings, a comparer and the pattern coder."""

    def __init__(
        self,
        settings: DedupeSettings,
        comparer: Comparer,
        prepared: Prepared,
        codes: IntArray,
        patterns: bool,
    ) -> None:
        self.settings = settings
        self.comparer = comparer
        self.prepared = prepared
        self.codes = codes
        self.n = np.int64(max(len(prepared), 1))
        self.patterns = patterns
        self.coder = FellegiSunter(settings.comparisons)

    def candidates(self, bounds: tuple[int, int]) -> tuple[CodeArray | None, BoolArray | None]:
        start, stop = bounds
        part = self.codes[start:stop]
        left, right = part // self.n, part % self.n
        s = self.settings
        sims = self.comparer.compare(self.prepared, left, right)
        fired: BoolArray | None = None
        if s.rules:
            fired = np.asarray(apply_rules(s.rules, s.comparisons, sims).any(axis=1), dtype=bool)
        codes = self.coder.pattern_codes(levels_of(s.comparisons, sims)) if self.patterns else None
        return codes, fired

    def similarities(self, pairs: tuple[IntArray, IntArray]) -> FloatArray:
        return self.comparer.compare(self.prepared, pairs[0], pairs[1])


_IN_WORKER: dict[str, _Task] = {}
"""Set in a forked worker process only (never in the process that forks): its task."""


def _init_worker(task: _Task) -> None:
    _IN_WORKER["task"] = task


def _worker_candidates(bounds: tuple[int, int]) -> tuple[CodeArray | None, BoolArray | None]:
    return _IN_WORKER["task"].candidates(bounds)


def _worker_similarities(pairs: tuple[IntArray, IntArray]) -> FloatArray:
    return _IN_WORKER["task"].similarities(pairs)


class PairComparison:
    """The comparisons of one batch call: candidate chunks to agreement patterns, and any
    pairs to similarities, in worker processes when there are several workers and enough
    pairs (used as a context manager: the workers end with it).

    Args:
        settings: the detector's settings.
        normalizer: the detector's normalisers.
        prepared: the records.
        codes: the candidate pairs (sorted ``lo * n + hi`` codes).
        workers: processes to use (``-1``: one per core).
        chunk_size: pairs compared at a time.
        patterns: whether candidates need agreement patterns (a model decides or reports).
    """

    def __init__(
        self,
        settings: DedupeSettings,
        normalizer: Normalizer,
        prepared: Prepared,
        codes: IntArray,
        *,
        workers: int,
        chunk_size: int,
        patterns: bool,
    ) -> None:
        self.chunk_size = chunk_size
        count = resolve_workers(workers)
        self._pool: Pool | None = None
        threads = 1
        if count > 1 and len(codes) > chunk_size:
            if fork_safe():
                _warm(settings, prepared)
                task = _Task(
                    settings, Comparer(settings.comparisons, normalizer), prepared, codes, patterns
                )
                self._pool = mp.get_context("fork").Pool(
                    count, initializer=_init_worker, initargs=(task,)
                )
                self._task = task
                return
            logger.debug("other threads are running: comparing in this process, %d threads", count)
            threads = count
        comparer = Comparer(settings.comparisons, normalizer, workers=threads)
        self._task = _Task(settings, comparer, prepared, codes, patterns)

    @property
    def forked(self) -> bool:
        """Whether pairs are compared in worker processes."""
        return self._pool is not None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """End the worker processes (if any)."""
        if self._pool is not None:
            self._pool.terminate()
            self._pool.join()
            self._pool = None

    def candidates(
        self, bounds: Sequence[tuple[int, int]]
    ) -> Iterator[tuple[CodeArray | None, BoolArray | None]]:
        """Per chunk ``(start, stop)`` of the candidate codes, in order: the pairs' pattern
        codes (or ``None``) and whether a rule fired (or ``None`` without rules)."""
        if self._pool is None or len(bounds) < 2:
            for b in bounds:
                yield self._task.candidates(b)
            return
        yield from self._pool.imap(_worker_candidates, bounds)

    def similarities(self, left: IntArray, right: IntArray) -> FloatArray:
        """The similarities of the pairs ``(left[k], right[k])`` (pairs x comparisons)."""
        size = self.chunk_size
        parts = [(left[i : i + size], right[i : i + size]) for i in range(0, len(left), size)]
        if self._pool is None or len(parts) < 2:
            if len(parts) == 1:
                return self._task.similarities(parts[0])
            out = [self._task.similarities(p) for p in parts]
        else:
            out = list(self._pool.imap(_worker_similarities, parts))
        if not out:
            return np.empty((0, len(self._task.settings.comparisons)), dtype=np.float64)
        return np.concatenate(out)


def _warm(settings: DedupeSettings, prepared: Prepared) -> None:
    """Compute the records' derived columns once here, before forking, so the workers share
    them instead of each computing its own."""
    for comp in settings.comparisons:
        if comp.method != "exact":
            prepared.value_codes(comp.fields)
        for name in comp.fields:
            if comp.method == "exact":
                prepared.codes(name)
            else:
                prepared.texts(name)
                if comp.method == "company":
                    prepared.first_words(name)
