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
import os
import threading
from collections.abc import Generator, Iterator, Sequence
from multiprocessing.pool import Pool
from types import TracebackType
from typing import Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd

from leadqual.dedupe.fellegi_sunter import FellegiSunter, levels_of
from leadqual.dedupe.normalize import Normalizer
from leadqual.dedupe.pipeline import (
    Blocker,
    Comparer,
    DroppedKey,
    IntArray,
    ObjArray,
    Prepared,
    Preparer,
    apply_rules,
)
from leadqual.dedupe.settings import DedupeSettings

__all__ = ["PairComparison", "fork_safe", "key_codes", "prepare_columns", "resolve_workers"]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
CodeArray = npt.NDArray[np.integer[Any]]


def resolve_workers(workers: int) -> int:
    """``workers`` as a count (``-1``: the cores this process may use)."""
    if workers != -1:
        return workers
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def fork_safe() -> bool:
    """Whether this process may fork worker processes: the platform can, and no other Python
    thread runs (a web or MCP server's threads may hold locks that a child would inherit
    locked)."""
    return "fork" in mp.get_all_start_methods() and threading.active_count() == 1


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


# -- normalising --------------------------------------------------------------------------------

_IN_PREPARE: dict[str, tuple[Preparer, pd.DataFrame]] = {}
"""Set in a forked worker process only: the preparer and the records it normalises."""


def _init_prepare(preparer: Preparer, frame: pd.DataFrame) -> None:
    _IN_PREPARE["job"] = (preparer, frame)


def _prepare_one(index: int) -> tuple[npt.NDArray[np.int64], list[Any], bool] | None:
    """One field, normalised in a worker and sent back compactly: a code per record and the
    distinct normalised cells (-1: missing); ``None`` when it fails (the caller redoes it)."""
    preparer, frame = _IN_PREPARE["job"]
    try:
        out, is_multi = preparer.column(frame, preparer.settings.fields[index])
        codes, uniques = pd.factorize(pd.Series(out, dtype=object), use_na_sentinel=True)
    except Exception:  # redone in the caller, which raises it properly
        return None
    return codes.astype(np.int64), list(uniques), is_multi


def prepare_columns(
    preparer: Preparer, frame: pd.DataFrame, workers: int
) -> Iterator[tuple[ObjArray, bool] | None]:
    """Each of the settings' fields of ``frame`` normalised (in order), in forked worker
    processes when this process may fork; nothing (the caller normalises) when it may not."""
    count = min(resolve_workers(workers), len(preparer.settings.fields))
    if count < 2 or not fork_safe():
        return
    with mp.get_context("fork").Pool(
        count, initializer=_init_prepare, initargs=(preparer, frame)
    ) as pool:
        for result in pool.imap(_prepare_one, range(len(preparer.settings.fields))):
            if result is None:
                yield None
                continue
            codes, uniques, is_multi = result
            table = np.empty(len(uniques) + 1, dtype=object)
            for i, cell in enumerate(uniques):  # one by one: numpy would unpack tuples
                table[i] = cell
            table[-1] = None
            yield table[codes], is_multi


# -- blocking -----------------------------------------------------------------------------------

_IN_BLOCKING: dict[str, tuple[Blocker, Prepared]] = {}
"""Set in a forked worker process only: the blocker and the records it pairs."""


def _init_blocking(blocker: Blocker, prepared: Prepared) -> None:
    _IN_BLOCKING["job"] = (blocker, prepared)


def _block_one(index: int) -> tuple[IntArray, int, list[DroppedKey]]:
    blocker, prepared = _IN_BLOCKING["job"]
    return blocker.key_codes(prepared, blocker.keys[index])


def key_codes(
    blocker: Blocker, prepared: Prepared, workers: int
) -> Generator[tuple[IntArray, int, list[DroppedKey]], None, None]:
    """Each of the blocker's keys' pair codes (see :meth:`Blocker.key_codes`), in order: in
    forked worker processes when this process may fork, else here."""
    count = min(resolve_workers(workers), len(blocker.keys))
    if count < 2 or not fork_safe():
        exact: dict[str, tuple[IntArray, ObjArray]] = {}
        for key in blocker.keys:
            yield blocker.key_codes(prepared, key, exact)
        return
    with mp.get_context("fork").Pool(
        count, initializer=_init_blocking, initargs=(blocker, prepared)
    ) as pool:
        yield from pool.imap(_block_one, range(len(blocker.keys)))
