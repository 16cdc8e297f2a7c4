"""The duplicate detector: batch (pandas in, pandas out), incremental index, and Lead models.

Examples:
    >>> from leadqual.sources import load_sample_data
    >>> data = load_sample_data()
    >>> report = find_duplicates(data.crm.leads)
    >>> pair = next(p for p in report.pairs if {p.left_id, p.right_id} == {"L-0218", "L-0248"})
    >>> pair.rule
    'similar_name_company'
"""

from __future__ import annotations

import logging
import time
from bisect import bisect_left, insort
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Annotated, Any, Self

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel, check_frame
from leadqual._compat import warn_deprecated
from leadqual._html import block, grid, kv, paragraph
from leadqual._progress import Progress, Span, Steps, check_progress
from leadqual.dedupe._workers import PairComparison, resolve_workers
from leadqual.dedupe.cluster import (
    cluster_labels,
    conflict_cuts,
    union_find_clusters,
    weak_links,
)
from leadqual.dedupe.fellegi_sunter import FellegiSunter, level_labels, levels_of
from leadqual.dedupe.normalize import Normalizer
from leadqual.dedupe.pipeline import (
    Blocker,
    BlockingReport,
    Comparer,
    IntArray,
    Prepared,
    Preparer,
    _pairs_in_groups,
    apply_rules,
)
from leadqual.dedupe.settings import BlockingKey, DedupeSettings, lead_settings
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.models import Account, Contact, Lead
from leadqual.sources.lead_table import (
    PHONE_KINDS,
    check_lead_table,
    is_lead_table,
    python_values,
)

__all__ = [
    "BlockingSummary",
    "CutLink",
    "DuplicateDetector",
    "DuplicateIndex",
    "DuplicatePair",
    "DuplicateReport",
    "FieldEvidence",
    "accounts_frame",
    "contacts_frame",
    "find_duplicates",
    "leads_frame",
]

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_HTML_ROWS = 20
"""Pairs a notebook shows of a report (the rest are counted)."""
_COMPARE_STEPS = 20
"""Progress steps for comparing candidate pairs (reported after each twentieth)."""
_EXPLAIN_STEPS = 10
"""Progress steps for explaining the duplicate pairs ``find`` returns."""
_MIN_REPORTED_CHUNK = 10_000
"""Fewest candidate pairs compared between two reports: smaller chunks cost more than a report
is worth."""
_MIN_REPORTED_EXPLAIN = 500
"""Fewest pairs explained between two reports."""


# -- results ------------------------------------------------------------------------------------


class FieldEvidence(LeadqualModel):
    """How one comparison came out for a pair."""

    model_config = ConfigDict(frozen=True)

    comparison: str
    similarity: float | None
    """0-1, or ``None`` when a side is missing the value."""
    level: str
    """The agreement level ("exact", ">= 0.92", "disagree", "missing")."""
    weight: float | None = None
    """Bits of evidence the level adds in the Fellegi-Sunter model (when one is fitted)."""
    left_value: str | None = None
    """The left record's normalised value (given and family name joined for names)."""
    right_value: str | None = None


class DuplicatePair(LeadqualModel):
    """Two records judged to be the same entity, with why.

    Examples:
        >>> pair = DuplicatePair(left_id="L-1", right_id="L-2", rules=("same_email",),
        ...                      explanation="same_email: email exact")
        >>> pair.rule
        'same_email'
    """

    model_config = ConfigDict(frozen=True)

    left_id: str
    right_id: str
    rules: tuple[str, ...] = ()
    """The rules that fired, in the settings' order."""
    probability: Annotated[float, Field(ge=0, le=1)] | None = None
    """Fellegi-Sunter match probability, when a model is fitted."""
    match_weight: float | None = None
    """Total evidence in bits (log2 odds), when a model is fitted."""
    evidence: tuple[FieldEvidence, ...] = ()
    explanation: str = ""

    @property
    def rule(self) -> str:
        """The first rule that fired, or ``"model"`` when only the learned model decided."""
        return self.rules[0] if self.rules else "model"

    def similarity(self, comparison: str, /) -> float | None:
        """The similarity of one comparison for this pair."""
        for ev in self.evidence:
            if ev.comparison == comparison:
                return ev.similarity
        raise KeyError(comparison)


class BlockingSummary(LeadqualModel):
    """What blocking did: candidate pairs and the non-discriminating keys it dropped."""

    model_config = ConfigDict(frozen=True)

    records: int
    candidates: int
    pairs_per_key: dict[str, int]
    dropped_keys: tuple[tuple[str, int], ...] = ()
    """(key name, records sharing the value) for each value dropped as too common. The value
    itself is not reported: it is personal data (a phone number, a surname)."""
    too_common: tuple[str, ...] = ()
    """One plain sentence per blocking key value too common to pair in full: how many records
    share it, and how they were still compared (by exact normalised keys)."""


class CutLink(LeadqualModel):
    """A pair the model judged a duplicate, cut by clustering: it was the only link between two
    parts of a cluster and far weaker than the cluster's other links, so it would have merged
    two otherwise unrelated groups (see :attr:`DedupeSettings.cut_margin
    <leadqual.dedupe.DedupeSettings.cut_margin>`). It is not among the report's pairs."""

    model_config = ConfigDict(frozen=True)

    left_id: str
    right_id: str
    probability: Annotated[float, Field(ge=0, le=1)]
    """The model's match probability of the pair."""
    match_weight: float
    """The pair's evidence in bits (log2 odds)."""
    cluster_weight: float
    """The median match weight of the links of the cluster it was cut from."""


class DuplicateReport(LeadqualModel):
    """Duplicate pairs, the clusters they form, and what blocking did."""

    model_config = ConfigDict(frozen=True)

    pairs: tuple[DuplicatePair, ...]
    clusters: tuple[tuple[str, ...], ...]
    """Groups of ids linked directly or through other records (union-find), once weak links
    are cut."""
    blocking: BlockingSummary
    seconds: float
    cut_links: tuple[CutLink, ...] = ()
    """Pairs the model judged duplicates but clustering cut as the lone weak link between two
    groups (only with ``classify="model"`` and a ``cut_margin``); not in :attr:`pairs`."""

    def pair(self, a: str, b: str, /) -> DuplicatePair | None:
        """The pair of ``a`` and ``b`` (either order), or ``None``."""
        for p in self.pairs:
            if {p.left_id, p.right_id} == {a, b}:
                return p
        return None

    def to_frame(self) -> pd.DataFrame:
        """One row per pair: ``left_id``, ``right_id``, ``rule``, ``probability`` and one
        ``sim_<comparison>`` column per comparison."""
        rows = []
        for p in self.pairs:
            row: dict[str, Any] = {
                "left_id": p.left_id,
                "right_id": p.right_id,
                "rule": p.rule,
                "probability": p.probability,
            }
            row.update({f"sim_{e.comparison}": e.similarity for e in p.evidence})
            rows.append(row)
        return pd.DataFrame(rows, columns=None if rows else ["left_id", "right_id", "rule"])

    def _repr_html_(self) -> str:
        """The report in a notebook: counts, then the first pairs with why they match."""
        b = self.blocking
        head = kv(
            [
                ("records", f"{b.records:,}"),
                ("candidate pairs", f"{b.candidates:,}"),
                ("duplicate pairs", f"{len(self.pairs):,}"),
                ("clusters", f"{len(self.clusters):,}"),
                ("seconds", f"{self.seconds:.2f}"),
            ]
        )
        pairs = grid(
            ("left", "right", "rule", "probability", "why"),
            (
                (
                    p.left_id,
                    p.right_id,
                    p.rule,
                    None if p.probability is None else f"{p.probability:.3f}",
                    p.explanation,
                )
                for p in self.pairs[:_HTML_ROWS]
            ),
            total=len(self.pairs),
            limit=_HTML_ROWS,
        )
        return block("Duplicates", head, pairs, *(paragraph(t) for t in b.too_common))


# -- input frames -------------------------------------------------------------------------------


def _country(address: Any) -> str | None:
    return None if address is None else address.country


def _lead_row(lead: Lead) -> dict[str, Any]:
    return {
        "id": lead.id,
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "company_name": lead.company_name,
        "emails": lead.all_emails,
        "phones": tuple(p.number for p in lead.phones),
        "country": _country(lead.address),
        "website": lead.website,
        "created_at": lead.created_at,
        "modified_at": lead.modified_at or lead.created_at,
    }


_PERSON_COLUMNS = [
    "id",
    "first_name",
    "last_name",
    "company_name",
    "emails",
    "phones",
    "country",
    "website",
    "created_at",
    "modified_at",
]
"""The columns of leads_frame and contacts_frame (one shape, so one set of rules reads both)."""


def leads_frame(leads: Iterable[Lead] | pd.DataFrame, /) -> pd.DataFrame:
    """Leads as the table :func:`~leadqual.dedupe.lead_settings` reads (one row per lead).

    ``leads`` are :class:`~leadqual.models.Lead` records or the lead table
    (:mod:`leadqual.sources.lead_table`, e.g. ``read_lead_table(path).table``), read column by
    column without making a record per row.
    """
    if isinstance(leads, pd.DataFrame):
        return _from_lead_table(check_lead_table(leads, field="leads"))
    rows = [_lead_row(lead) for lead in leads]
    return _frame(
        rows,
        _PERSON_COLUMNS,
    )


def _from_lead_table(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`leads_frame` of a lead table: each column as the records would give it."""
    if len(table) == 0:
        return _frame([], _PERSON_COLUMNS)
    emails = [
        tuple(dict.fromkeys(e for e in (first, *others) if e))
        for first, others in zip(
            python_values(table["email"]), table["other_emails"].tolist(), strict=True
        )
    ]
    numbers = [python_values(table[f"phones.{kind}"]) for kind in PHONE_KINDS]
    phones = [tuple(n for n in row if n is not None) for row in zip(*numbers, strict=True)]
    created = table["created_at"]
    out = pd.DataFrame(
        {
            "id": python_values(table["id"]),
            "first_name": python_values(table["first_name"]),
            "last_name": python_values(table["last_name"]),
            "company_name": python_values(table["company_name"]),
            "emails": emails,
            "phones": phones,
            "country": python_values(table["address.country"]),
            "website": python_values(table["website"]),
            "created_at": python_values(created),
            "modified_at": python_values(table["modified_at"].fillna(created)),
        },
        columns=_PERSON_COLUMNS,
    )
    return out


def contacts_frame(
    contacts: Iterable[Contact], /, *, accounts: Iterable[Account] = ()
) -> pd.DataFrame:
    """Contacts as a lead-shaped table; a contact's company is its account's name."""
    names = {a.id: a.name for a in accounts}
    sites = {a.id: a.website for a in accounts}
    rows = [
        {
            "id": c.id,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "company_name": names.get(c.account_id or ""),
            "emails": c.all_emails,
            "phones": tuple(p.number for p in c.phones),
            "country": _country(c.address),
            "website": sites.get(c.account_id or ""),
            "created_at": c.created_at,
            "modified_at": c.modified_at or c.created_at,
        }
        for c in contacts
    ]
    return _frame(
        rows,
        _PERSON_COLUMNS,
    )


def accounts_frame(
    accounts: Iterable[Account], /, *, contacts: Iterable[Contact] = ()
) -> pd.DataFrame:
    """Accounts as the table :func:`~leadqual.dedupe.account_settings` reads; an account's
    domains are its website's and its contacts' email domains."""
    emails: dict[str, list[str]] = {}
    for c in contacts:
        if c.account_id:
            emails.setdefault(c.account_id, []).extend(c.all_emails)
    rows = [
        {
            "id": a.id,
            "company_name": a.name,
            "domains": tuple(x for x in (a.website, *emails.get(a.id, ())) if x),
            "phones": tuple(p.number for p in a.phones),
            "country": _country(a.address),
        }
        for a in accounts
    ]
    return _frame(rows, ["id", "company_name", "domains", "phones", "country"])


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    return frame.astype(object) if len(frame) == 0 else frame


# -- the detector -------------------------------------------------------------------------------


_RunResult = tuple[
    IntArray,
    IntArray,
    FloatArray,
    npt.NDArray[np.bool_],
    FloatArray | None,
    BlockingReport,
    tuple[CutLink, ...],
]
"""A run's matched pairs (left and right rows, similarities, the rules that fired, the model's
probabilities when there is a model), its blocking report and the links cut from clusters."""


class DuplicateDetector:
    """Finds duplicate records: normalise -> block -> compare -> classify -> cluster -> explain.

    With no settings it applies the seeds' four rules to leads (same email; same phone; similar
    name and company name; similar name and the same company email domain). Any other table works
    with settings that name its fields, comparisons and rules; ``classify="model"`` settings use a
    Fellegi-Sunter model whose weights are learned by EM on the data being deduplicated (or from
    labelled pairs with :meth:`fit`).

    Args:
        settings: fields, blocking keys, comparisons, rules and decision; default
            :func:`~leadqual.dedupe.lead_settings`.
        normalizer: the normalisers (default phone region, free-mail list).
        workers: processes comparing candidate pairs in batch mode (``-1``, the default: one
            per core this process may use; ``1``: in this process). Pairs are compared in
            chunks and the results put back in order, so the result is the same for any
            number of workers.
        random_pairs: random record pairs used to start the model's ``u`` probabilities.
        seed: seed of that random sample, so results are reproducible.
        chunk_size: candidate pairs compared at a time (bounds memory in batch mode).

    Examples:
        >>> import pandas as pd
        >>> frame = pd.DataFrame({
        ...     "id": ["1", "2", "3"],
        ...     "first_name": ["Robert", "Bob", "Ana"],
        ...     "last_name": ["Cohen", "Cohen", "Lima"],
        ...     "company_name": ["Pioneer Digital Inc.", "PIONEER DIGITAL", "Lima SA"],
        ...     "emails": [(), (), ()], "phones": [(), (), ()],
        ...     "country": [None] * 3, "website": [None] * 3,
        ... })
        >>> DuplicateDetector().find_frame(frame)[["left_id", "right_id", "rule"]].values.tolist()
        [['1', '2', 'similar_name_company']]
    """

    def __init__(
        self,
        settings: DedupeSettings | None = None,
        *,
        normalizer: Normalizer | None = None,
        workers: int = -1,
        random_pairs: int = 100_000,
        seed: int = 0,
        chunk_size: int = 500_000,
    ) -> None:
        if chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be at least 1, got {chunk_size}")
        if random_pairs < 0:
            raise ConfigurationError(f"random_pairs must not be negative, got {random_pairs}")
        if workers == 0 or workers < -1:
            raise ConfigurationError(f"workers must be -1 (all cores) or at least 1, got {workers}")
        self.settings = settings if settings is not None else lead_settings()
        self.normalizer = normalizer if normalizer is not None else Normalizer()
        self.workers = workers
        self.random_pairs = random_pairs
        self.seed = seed
        self.chunk_size = chunk_size
        self.model: FellegiSunter | None = None
        self._preparer = Preparer(self.settings, self.normalizer)
        self._blocker = Blocker(
            self.settings.blocking,
            max_block_size=self.settings.max_block_size,
            exact_keys=self.settings.exact_keys(),
        )
        self._comparer = Comparer(self.settings.comparisons, self.normalizer, workers=1)

    # -- stages -------------------------------------------------------------------------------

    def _frame(self, records: pd.DataFrame | Iterable[Lead]) -> pd.DataFrame:
        if isinstance(records, pd.DataFrame):
            check_frame(records, field="records")
            if is_lead_table(records):  # the lead table: read as leads_frame would give it
                return leads_frame(records)
            return records
        items = list(records)
        if items and not all(isinstance(r, Lead) for r in items):
            raise ValidationFailed(
                "records must be a pandas DataFrame or Lead models; use contacts_frame() or "
                "accounts_frame() for other records",
                field="records",
            )
        return leads_frame(items)

    def prepare(self, records: pd.DataFrame | Iterable[Lead], /) -> Prepared:
        """Normalise records (stage 1)."""
        return self._preparer.prepare(self._frame(records), workers=self.workers)

    def _random_similarities(
        self, prepared: Prepared, comparison: PairComparison | None = None
    ) -> FloatArray:
        n = len(prepared)
        rng = np.random.default_rng(self.seed)
        k = min(self.random_pairs, n * (n - 1) // 2)
        left = rng.integers(0, n, size=k, dtype=np.int64)
        right = rng.integers(0, n, size=k, dtype=np.int64)
        keep = left != right
        if comparison is not None:
            return comparison.similarities(left[keep], right[keep])
        return self._comparer.compare(prepared, left[keep], right[keep])

    def fit(
        self,
        records: pd.DataFrame | Iterable[Lead],
        /,
        *,
        labelled_pairs: pd.DataFrame | None = None,
    ) -> Self:
        """Learn the Fellegi-Sunter weights from ``records``.

        Without labels, by EM over the candidate pairs (no truth needed). With
        ``labelled_pairs`` (columns ``left_id``, ``right_id``, ``is_match``), by counting
        agreement levels among the labelled matches and non-matches.
        """
        prepared = self.prepare(records)
        model = FellegiSunter(self.settings.comparisons, identifying=self.settings.identifying)
        if labelled_pairs is not None:
            missing = {"left_id", "right_id", "is_match"} - set(labelled_pairs.columns)
            if missing:
                raise ValidationFailed(
                    f"labelled_pairs lacks column(s) {sorted(missing)}", field="labelled_pairs"
                )
            position = {str(x): i for i, x in enumerate(prepared.ids)}
            try:
                left = np.array(
                    [position[str(x)] for x in labelled_pairs["left_id"]], dtype=np.int64
                )
                right = np.array(
                    [position[str(x)] for x in labelled_pairs["right_id"]], dtype=np.int64
                )
            except KeyError as err:
                raise ValidationFailed(
                    f"labelled pair names id {err.args[0]!r}, which is not among the records",
                    field="labelled_pairs",
                ) from None
            sims = self._comparer.compare(prepared, left, right)
            model.fit_labelled(sims, labelled_pairs["is_match"].to_numpy(dtype=object))
        else:
            codes, _ = self._blocker.pair_codes(prepared, workers=self.workers)
            with self._comparison(prepared, codes, patterns=True) as comparison:
                bounds = self._bounds(len(codes), self.chunk_size)
                patterns = _concat_codes(
                    [p for p, _ in comparison.candidates(bounds) if p is not None]
                )
                random_levels = levels_of(
                    self.settings.comparisons, self._random_similarities(prepared, comparison)
                )
            model.fit_pattern_codes(patterns, random_levels=random_levels)
        self.model = model
        return self

    def _comparison(self, prepared: Prepared, codes: IntArray, *, patterns: bool) -> PairComparison:
        return PairComparison(
            self.settings,
            self.normalizer,
            prepared,
            codes,
            workers=self.workers,
            chunk_size=self.chunk_size,
            patterns=patterns,
        )

    @staticmethod
    def _bounds(total: int, chunk: int) -> list[tuple[int, int]]:
        return [(start, min(start + chunk, total)) for start in range(0, total, chunk)]

    def _decide(
        self, sims: FloatArray
    ) -> tuple[BoolArray, npt.NDArray[np.bool_], FloatArray | None]:
        s = self.settings
        fired = apply_rules(s.rules, s.comparisons, sims)
        by_rule: BoolArray = np.asarray(fired.any(axis=1), dtype=bool)
        proba = self.model.predict_proba(sims) if self.model is not None else None
        return self._combine(by_rule, proba), fired, proba

    def _combine(self, by_rule: BoolArray, proba: FloatArray | None) -> BoolArray:
        """The decision: the rules, the model's probability, or either (``classify``)."""
        s = self.settings
        if s.classify == "rules":
            return by_rule
        assert proba is not None
        by_model: BoolArray = np.asarray(proba >= s.threshold, dtype=bool)
        return by_model if s.classify == "model" else by_rule | by_model

    def _run(self, prepared: Prepared, steps: Steps | None = None) -> _RunResult:
        s = self.settings
        codes, report = self._blocker.pair_codes(prepared, steps=steps, workers=self.workers)
        need_patterns = s.classify != "rules" or self.model is not None
        with self._comparison(prepared, codes, patterns=need_patterns) as comparison:
            return self._classify(prepared, codes, report, comparison, need_patterns, steps)

    def _classify(
        self,
        prepared: Prepared,
        codes: IntArray,
        report: BlockingReport,
        comparison: PairComparison,
        need_patterns: bool,
        steps: Steps | None,
    ) -> _RunResult:
        s = self.settings
        # Candidate pairs are compared in chunks (in worker processes when there are several),
        # each pair leaving only its agreement pattern (four bytes) and whether a rule fired:
        # the similarities of the pairs kept are computed again, at the end, to explain them.
        total = len(codes)
        chunk = self.chunk_size
        span: Span | None = None
        if steps is not None:
            # smaller chunks when reporting, so the bar moves while a few big ones are compared
            # (pairs are compared one by one: the chunking changes no result)
            span = steps.span(_COMPARE_STEPS)
            chunk = min(chunk, max(_MIN_REPORTED_CHUNK, -(-total // _COMPARE_STEPS)))
        bounds = self._bounds(total, chunk)
        pattern_parts: list[npt.NDArray[np.integer[Any]]] = []
        by_rule: BoolArray | None = np.zeros(total, dtype=bool) if s.rules else None
        for (start, stop), (chunk_patterns, chunk_rules) in zip(
            bounds, comparison.candidates(bounds), strict=True
        ):
            if chunk_patterns is not None:
                pattern_parts.append(chunk_patterns)
            if by_rule is not None and chunk_rules is not None:
                by_rule[start:stop] = chunk_rules
            if span is not None:
                span.at(stop, total, f"compared {stop:,} of {total:,} candidate pairs")
        if span is not None:
            span.end(f"compared {total:,} candidate pairs")
        patterns = _concat_codes(pattern_parts) if need_patterns else None
        del pattern_parts
        if s.classify != "rules" and self.model is None and total == 0:
            proba_none: FloatArray = np.zeros(0, dtype=np.float64)
            empty = np.empty(0, dtype=np.int64)
            sims0 = np.empty((0, len(s.comparisons)), dtype=np.float64)
            no_rules = np.zeros((0, len(s.rules)), dtype=bool)
            return empty, empty, sims0, no_rules, proba_none, report, ()
        if s.classify != "rules" and self.model is None:
            # Unsupervised: learn the weights on the data at hand.
            assert patterns is not None
            model = FellegiSunter(s.comparisons, identifying=s.identifying)
            random_levels = levels_of(
                s.comparisons, self._random_similarities(prepared, comparison)
            )
            model.fit_pattern_codes(patterns, random_levels=random_levels)
            self.model = model
        keep, kept_proba = self._kept(patterns, by_rule, total)
        del patterns, by_rule
        n = np.int64(max(len(prepared), 1))
        left, right = codes[keep] // n, codes[keep] % n
        # Similarities again for the matches only, to explain them.
        sims = comparison.similarities(left, right)
        fired = apply_rules(s.rules, s.comparisons, sims)
        cuts: tuple[CutLink, ...] = ()
        if s.classify == "model" and s.cut_margin is not None and self.model is not None:
            weight = self.model.match_weight(sims)
            cut = self._cuts(prepared, left, right, weight, s.cut_margin, comparison)
            if cut.any():
                cuts = _cut_links(prepared, left, right, weight, kept_proba, cut)
                stay = ~cut
                left, right, sims, fired = left[stay], right[stay], sims[stay], fired[stay]
                kept_proba = None if kept_proba is None else kept_proba[stay]
        if steps is not None:
            steps.advance(1, f"classified: {len(left):,} duplicate pairs")
        return left, right, sims, fired, kept_proba, report, cuts

    def _kept(
        self,
        patterns: npt.NDArray[np.integer[Any]] | None,
        by_rule: BoolArray | None,
        total: int,
    ) -> tuple[IntArray, FloatArray | None]:
        """The candidates the decision keeps (positions) and their probabilities, decided a
        chunk at a time so no per-pair probability array is held for every candidate."""
        if self.model is None or patterns is None:
            rules = by_rule if by_rule is not None else np.zeros(total, dtype=bool)
            return np.flatnonzero(self._combine(rules, None)).astype(np.int64), None
        kept: list[IntArray] = [np.empty(0, dtype=np.int64)]
        kept_proba: list[FloatArray] = [np.empty(0, dtype=np.float64)]
        for start, stop in self._bounds(total, self.chunk_size):
            proba = self.model.predict_proba_codes(patterns[start:stop])
            rules = (
                by_rule[start:stop] if by_rule is not None else np.zeros(stop - start, dtype=bool)
            )
            at = np.flatnonzero(self._combine(rules, proba))
            kept.append(at.astype(np.int64) + start)
            kept_proba.append(proba[at])
        return np.concatenate(kept), np.concatenate(kept_proba)

    def _cuts(
        self,
        prepared: Prepared,
        left: IntArray,
        right: IntArray,
        weight: FloatArray,
        margin: float,
        comparison: PairComparison,
    ) -> BoolArray:
        """The links clustering cuts: first those joining records known to be different
        entities (two records of a cluster with no identifying agreement and an identifying
        disagreement), then lone links far weaker than their cluster's (``margin`` bits below
        its median)."""
        assert self.model is not None
        n = len(prepared)
        cut = np.zeros(len(left), dtype=bool)
        if self.settings.identifying and len(left):
            labels = cluster_labels(n, left, right)
            lo, hi = _cluster_pairs(labels, _MAX_CHECKED_CLUSTER, left, right)
            conflict = np.zeros(len(lo), dtype=bool)
            # A chunk of pairs at a time through the workers: only the verdicts are kept.
            step = self.chunk_size * max(1, resolve_workers(self.workers))
            for start in range(0, len(lo), step):
                part = slice(start, start + step)
                sims = comparison.similarities(lo[part], hi[part])
                levels = levels_of(self.settings.comparisons, sims)
                conflict[part] = self.model.contradicted(levels)
            cut = conflict_cuts(n, left, right, weight, lo[conflict], hi[conflict])
        stay = np.flatnonzero(~cut)
        weak = weak_links(n, left[stay], right[stay], weight[stay], margin=margin)
        cut[stay[weak]] = True
        return cut

    # -- batch --------------------------------------------------------------------------------

    def find_frame(
        self,
        records: pd.DataFrame,
        /,
        *,
        transitive: bool = False,
        max_cluster_size: int = 50,
        progress: Progress | None = None,
    ) -> pd.DataFrame:
        """Batch mode, pandas in and out: one row per duplicate pair.

        Columns: ``left_id``, ``right_id``, ``rule`` (first rule fired, or ``"model"``),
        ``probability`` (when a model is fitted), ``cluster`` (the union-find cluster label) and
        ``sim_<comparison>`` per comparison; ``attrs["blocking"]`` is the
        :class:`BlockingSummary` (keys dropped as too common included) and
        ``attrs["cut_links"]`` the :class:`CutLink`\\ s clustering cut (not in the rows). With
        ``transitive`` every pair within a cluster is
        listed (rule ``"cluster"`` for those linked only through other records), except in
        clusters larger than ``max_cluster_size``, whose size suggests a chain of weak links
        rather than one entity.

        With ``classify="model"`` settings and no fitted model, the weights are first learned
        on ``records`` by EM and kept in :attr:`model` for later calls (call :meth:`fit` to
        learn them again, or on other data).

        ``progress`` is called as ``progress(done, total, stage)`` after each field is
        normalised, each blocking key, each twentieth of the candidate pairs compared, and
        classification (see :func:`leadqual.notebook_progress`). A callback that raises stops
        the call and leaves :attr:`model` as it was.
        """
        check_progress(progress)
        steps = self._steps(progress, explain=False)
        prepared = self._preparer.prepare(self._frame(records), steps=steps, workers=self.workers)
        with self._model_kept_on_error():
            return self._find_frame(prepared, transitive, max_cluster_size, steps)

    def _find_frame(
        self, prepared: Prepared, transitive: bool, max_cluster_size: int, steps: Steps | None
    ) -> pd.DataFrame:
        left, right, sims, fired, proba, report, cuts = self._run(prepared, steps)
        names = [r.name for r in self.settings.rules]
        first = (
            np.where(fired.any(axis=1), fired.argmax(axis=1), -1)
            if names
            else np.full(len(left), -1)
        )
        rule = np.array([*names, "model"], dtype=object)[first]
        labels = cluster_labels(len(prepared), left, right)
        ids = prepared.ids
        out = pd.DataFrame(
            {
                "left_id": ids[left],
                "right_id": ids[right],
                "rule": rule,
                "probability": np.full(len(left), np.nan) if proba is None else proba,
                "cluster": ids[labels[left]],
            }
        )
        for j, comp in enumerate(self.settings.comparisons):
            out[f"sim_{comp.name}"] = sims[:, j]
        if transitive and len(left):
            out = self._transitive(out, ids, labels, max_cluster_size, left, right)
        out = out.reset_index(drop=True)
        # Pairs lost to dropped (too common) keys are reported here, as find() reports them.
        out.attrs["blocking"] = _summary(len(prepared), report, self.settings)
        out.attrs["cut_links"] = cuts
        if steps is not None:
            steps.finish(f"found {len(out):,} duplicate pairs")
        return out

    @contextmanager
    def _model_kept_on_error(self) -> Iterator[None]:
        """Weights learned by EM during a batch call are kept only when the call ends well (a
        progress callback that stops it, or an error, leaves :attr:`model` as it was)."""
        model = self.model
        try:
            yield
        except BaseException:
            self.model = model
            raise

    def _steps(self, progress: Progress | None, *, explain: bool) -> Steps | None:
        """The reports of one batch call: a step per field and per blocking key, a span for
        comparing, one for classifying, a span for explaining (``find``) and the end."""
        if progress is None:
            return None
        s = self.settings
        total = len(s.fields) + len(s.blocking) + _COMPARE_STEPS + 1 + 1
        if explain:
            total += _EXPLAIN_STEPS
        return Steps(progress, total, "normalising records")

    @staticmethod
    def _transitive(
        out: pd.DataFrame,
        ids: Any,
        labels: IntArray,
        max_cluster_size: int,
        left: IntArray,
        right: IntArray,
    ) -> pd.DataFrame:
        n = len(labels)
        sizes = np.bincount(labels, minlength=n)
        big = int(np.count_nonzero(sizes > max_cluster_size))
        if big:
            logger.info(
                "%d cluster(s) over %d records kept as direct pairs only", big, max_cluster_size
            )
        lo, hi = _cluster_pairs(labels, max_cluster_size, left, right)
        if len(lo) == 0:
            return out
        extra = pd.DataFrame(
            {
                "left_id": ids[lo],
                "right_id": ids[hi],
                "rule": "cluster",
                "cluster": ids[labels[lo]],
            }
        )
        return pd.concat([out, extra], ignore_index=True)

    def find(
        self, records: pd.DataFrame | Iterable[Lead], /, *, progress: Progress | None = None
    ) -> DuplicateReport:
        """Every duplicate pair among ``records``, explained, with clusters.

        ``progress`` is called as ``progress(done, total, stage)`` after each field is
        normalised, each blocking key, each twentieth of the candidate pairs compared,
        classification, and each tenth of the pairs explained (see
        :func:`leadqual.notebook_progress`). A callback that raises stops the call and leaves
        :attr:`model` as it was.

        Raises:
            ValidationFailed: a column the settings read is missing, or ids repeat.
        """
        check_progress(progress)
        t0 = time.perf_counter()
        steps = self._steps(progress, explain=True)
        prepared = self._preparer.prepare(self._frame(records), steps=steps, workers=self.workers)
        with self._model_kept_on_error():
            left, right, sims, fired, proba, report, cuts = self._run(prepared, steps)
            if steps is None:
                pairs = self._explain(prepared, prepared, left, right, sims, fired, proba)
            else:
                pairs = self._explain_reporting(
                    prepared, left, right, sims, fired, proba, steps.span(_EXPLAIN_STEPS)
                )
            clusters = union_find_clusters((p.left_id, p.right_id) for p in pairs)
            if steps is not None:
                steps.finish(f"found {len(pairs):,} duplicate pairs in {len(clusters):,} clusters")
        seconds = time.perf_counter() - t0
        logger.info(
            "dedupe: %d records, %d candidates, %d duplicate pairs in %.3fs",
            len(prepared),
            report.candidates,
            len(pairs),
            seconds,
        )
        return DuplicateReport(
            pairs=tuple(pairs),
            clusters=tuple(clusters),
            blocking=_summary(len(prepared), report, self.settings),
            seconds=seconds,
            cut_links=cuts,
        )

    # -- explain ------------------------------------------------------------------------------

    def _explain(
        self,
        a: Prepared,
        b: Prepared,
        left: IntArray,
        right: IntArray,
        sims: FloatArray,
        fired: npt.NDArray[np.bool_],
        proba: FloatArray | None,
    ) -> list[DuplicatePair]:
        s = self.settings
        comps = s.comparisons
        levels = levels_of(comps, sims)
        labels = [level_labels(c) for c in comps]
        contrib = self.model.contributions(sims) if self.model is not None else None
        weights = self.model.match_weight(sims) if self.model is not None else None
        out = []
        for k in range(len(left)):
            rules = tuple(r.name for r, f in zip(s.rules, fired[k], strict=True) if f)
            evidence = tuple(
                FieldEvidence(
                    comparison=c.name,
                    similarity=None if np.isnan(sims[k, j]) else round(float(sims[k, j]), 4),
                    level=labels[j][levels[k, j]],
                    weight=None if contrib is None else round(float(contrib[k, j]), 3),
                    left_value=_shown(a, c.fields, int(left[k])),
                    right_value=_shown(b, c.fields, int(right[k])),
                )
                for j, c in enumerate(comps)
            )
            out.append(
                DuplicatePair(
                    left_id=str(a.ids[left[k]]),
                    right_id=str(b.ids[right[k]]),
                    rules=rules,
                    probability=None if proba is None else float(proba[k]),
                    match_weight=None if weights is None else float(weights[k]),
                    evidence=evidence,
                    explanation=self._sentence(rules, evidence, proba, k),
                )
            )
        return out

    def _explain_reporting(
        self,
        prepared: Prepared,
        left: IntArray,
        right: IntArray,
        sims: FloatArray,
        fired: npt.NDArray[np.bool_],
        proba: FloatArray | None,
        span: Span,
    ) -> list[DuplicatePair]:
        """:meth:`_explain` in slices (each pair is explained on its own), reporting after each."""
        n = len(left)
        size = max(_MIN_REPORTED_EXPLAIN, -(-n // _EXPLAIN_STEPS))
        out: list[DuplicatePair] = []
        for start in range(0, n, size):
            part = slice(start, start + size)
            out += self._explain(
                prepared,
                prepared,
                left[part],
                right[part],
                sims[part],
                fired[part],
                None if proba is None else proba[part],
            )
            span.at(len(out), n, f"explained {len(out):,} of {n:,} duplicate pairs")
        span.end(f"explained {n:,} duplicate pairs")
        return out

    def _sentence(
        self,
        rules: tuple[str, ...],
        evidence: tuple[FieldEvidence, ...],
        proba: FloatArray | None,
        k: int,
    ) -> str:
        by_name = {e.comparison: e for e in evidence}
        parts = []
        for rule in self.settings.rules:
            if rule.name not in rules:
                continue
            conds = ", ".join(f"{c.comparison} {_fmt(by_name[c.comparison])}" for c in rule.all_of)
            parts.append(f"{rule.name}: {conds}")
        if proba is not None:
            top = sorted(
                (e for e in evidence if e.weight is not None and e.weight != 0),
                key=lambda e: -abs(e.weight or 0.0),
            )[:3]
            why = ", ".join(f"{e.comparison} {e.level} ({e.weight:+.1f} bits)" for e in top)
            parts.append(f"match probability {float(proba[k]):.3f}: {why}")
        return "; ".join(parts)

    # -- incremental --------------------------------------------------------------------------

    def index(self, records: pd.DataFrame | Iterable[Lead] = (), /) -> DuplicateIndex:
        """An index of existing records, to check new ones one at a time in milliseconds."""
        return DuplicateIndex(self, self.prepare(records) if not _empty(records) else None)


_Rows = int | list[int]
"""The index rows holding one key value: a single row, or a list of them in the order added."""


def _put_row(table: dict[Any, _Rows], value: Any, row: int) -> None:
    have = table.get(value)
    if have is None:
        table[value] = row
    elif isinstance(have, int):
        table[value] = [have, row]
    else:
        have.append(row)


def _rows_of(table: dict[Any, _Rows], value: Any) -> Sequence[int]:
    have = table.get(value)
    if have is None:
        return ()
    return (have,) if isinstance(have, int) else have


def _drop_row(table: dict[Any, _Rows], value: Any, row: int) -> None:
    have = table.get(value)
    if have is None:
        return
    if isinstance(have, int):
        if have == row:
            del table[value]
        return
    if row in have:
        have.remove(row)
    if len(have) == 1:
        table[value] = have[0]
    elif not have:
        del table[value]


def _too_common(settings: DedupeSettings, report: BlockingReport) -> tuple[str, ...]:
    exact = ", ".join(" + ".join(k.fields) for k in settings.exact_keys())
    return tuple(
        f"blocking key {d.key!r}: one value is shared by {d.records:,} records, more than "
        f"max_block_size ({settings.max_block_size:,}), too common to compare every pair; "
        f"records in it were paired by exact normalised {exact} instead ({d.exact_pairs:,} "
        "pairs). Raise max_block_size to compare them all."
        for d in report.dropped
    )


def _summary(
    records: int, report: BlockingReport, settings: DedupeSettings | None = None
) -> BlockingSummary:
    return BlockingSummary(
        records=records,
        candidates=report.candidates,
        pairs_per_key=report.pairs_per_key,
        dropped_keys=tuple((d.key, d.records) for d in report.dropped),
        too_common=() if settings is None else _too_common(settings, report),
    )


def _concat_codes(parts: list[npt.NDArray[np.integer[Any]]]) -> npt.NDArray[np.integer[Any]]:
    if not parts:
        return np.empty(0, dtype=np.int32)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


_MAX_CHECKED_CLUSTER = 200
"""Clusters up to this many records have every pair of records inside checked for conflicts
(two records the model vetoes as one entity); larger ones are cut by weak links only."""


def _cluster_pairs(
    labels: IntArray, max_size: int, left: IntArray, right: IntArray
) -> tuple[IntArray, IntArray]:
    """Every pair of records in one cluster of 3 to ``max_size`` records that is not already a
    link, as row positions ``lo < hi``."""
    n = len(labels)
    sizes = np.bincount(labels, minlength=n)
    use = (sizes[labels] >= 3) & (sizes[labels] <= max_size)
    rows = np.flatnonzero(use).astype(np.int64)
    if len(rows) == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    order = rows[np.argsort(labels[rows], kind="stable")]
    _, starts, counts = np.unique(labels[order], return_index=True, return_counts=True)
    a, b = _pairs_in_groups(order, starts.astype(np.int64), counts.astype(np.int64))
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    have = np.minimum(left, right) * np.int64(n) + np.maximum(left, right)
    new = ~np.isin(lo * np.int64(n) + hi, have)
    return lo[new], hi[new]


def _cut_links(
    prepared: Prepared,
    left: IntArray,
    right: IntArray,
    weight: FloatArray,
    proba: FloatArray | None,
    cut: BoolArray,
) -> tuple[CutLink, ...]:
    """The cut links, described: ids, probability, weight, and the median weight of the
    cluster each was cut from."""
    labels = cluster_labels(len(prepared), left, right)
    edge_label = labels[left]
    median = pd.Series(weight).groupby(edge_label).transform("median").to_numpy()
    ids = prepared.ids
    return tuple(
        CutLink(
            left_id=str(ids[left[k]]),
            right_id=str(ids[right[k]]),
            probability=0.0 if proba is None else float(proba[k]),
            match_weight=float(weight[k]),
            cluster_weight=float(median[k]),
        )
        for k in np.flatnonzero(cut).tolist()
    )


def _shown(prepared: Prepared, fields: tuple[str, ...], row: int) -> str | None:
    parts = []
    for name in fields:
        value = prepared.columns[name][row]
        if isinstance(value, tuple):
            value = "/".join(value) if value else None
        if value is not None:
            parts.append(str(value))
    return " ".join(parts) or None


def _fmt(ev: FieldEvidence) -> str:
    if ev.similarity is None:
        return "missing"
    left, right = ev.left_value, ev.right_value
    if ev.similarity >= 1.0:
        if left == right or left is None or right is None:
            return f"the same ({left or right})"
        return f"{left!r} ~ {right!r} (1.00)"
    return f"{left!r} ~ {right!r} ({ev.similarity:.2f})"


def _empty(records: pd.DataFrame | Iterable[Lead]) -> bool:
    if isinstance(records, pd.DataFrame):
        return len(records) == 0
    return isinstance(records, Sequence) and len(records) == 0


class DuplicateIndex:
    """Existing records, indexed by blocking key, to check a new record against in milliseconds.

    Built with :meth:`DuplicateDetector.index`. Sorted-neighbourhood keys are kept as sorted lists,
    exact keys as hash maps; a key value shared by more than ``max_block_size`` records is not
    used for candidates (as in batch mode).

    Examples:
        >>> from leadqual.sources import load_sample_data
        >>> leads = load_sample_data().crm.leads
        >>> new = next(lead for lead in leads if lead.id == "L-0252")
        >>> index = DuplicateDetector().index([lead for lead in leads if lead.id != "L-0252"])
        >>> [(p.left_id, p.rule) for p in index.find(new)]
        [('L-0002', 'similar_name_domain')]
    """

    def __init__(self, detector: DuplicateDetector, prepared: Prepared | None) -> None:
        self.detector = detector
        settings = detector.settings
        self._fields = [f.name for f in settings.fields]
        self._ids: list[str] = []
        self._position: dict[str, int] = {}
        self._columns: dict[str, list[Any]] = {name: [] for name in self._fields}
        self._multi: set[str] = set()
        # Rows of records updated or removed since: kept in the lists (positions stay valid),
        # their cells emptied, and never offered as candidates again; compacted when many.
        self._dead: set[int] = set()
        # A record's place in the order it was first indexed: the order batch mode reads the
        # records in, kept when a record is updated so both modes break ties alike.
        self._ordinal: dict[str, int] = {}
        self._row_ordinal: list[int] = []
        # exact key value -> row(s) with it: one int for a value one record has (most values),
        # a list in the order added once several share it; ints, not lists of tuples, because
        # an index over a million leads holds several million of these
        self._exact: dict[str, dict[Any, _Rows]] = {
            k.name: {} for k in settings.blocking if k.window is None
        }
        # (key value, ordinal, row), sorted: batch mode's sorted neighbourhood order
        self._sorted: dict[str, list[tuple[str, int, int]]] = {
            k.name: [] for k in settings.blocking if k.window is not None
        }
        # Exact key (email, phone, name + company) -> value -> rows: the first of them in the
        # records' order, in a block too common to pair in full, is the one batch mode pairs
        # the others with. An exact key that is also a plain blocking key reads that key's
        # table instead of holding a second copy.
        self._first: dict[str, dict[Any, _Rows]] = {}
        self._own_first: list[BlockingKey] = []
        for exact_key in settings.exact_keys():
            same = next(
                (
                    k
                    for k in settings.blocking
                    if k.window is None and k.prefix is None and k.fields == exact_key.fields
                ),
                None,
            )
            if same is None:
                self._first[exact_key.name] = {}
                self._own_first.append(exact_key)
            else:
                self._first[exact_key.name] = self._exact[same.name]
        if prepared is not None:
            self._add_prepared(prepared)

    def __len__(self) -> int:
        return len(self._position)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._position

    def _add_prepared(self, prepared: Prepared) -> None:
        start = len(self._ids)
        for rid in prepared.ids.tolist():
            if str(rid) in self._position:
                raise ValidationFailed(
                    f"id {rid!r} is already indexed (upsert() replaces a record)", field="id"
                )
        for name in prepared.multi - self._multi:
            # A field single-valued so far gets multi-valued cells: earlier cells become
            # tuples too, or they would be read as sequences of characters.
            self._columns[name] = [_as_tuple(v) for v in self._columns[name]]
        self._multi |= prepared.multi
        for i, rid in enumerate(prepared.ids.tolist()):
            self._position[str(rid)] = start + i
            self._ids.append(str(rid))
            self._row_ordinal.append(self._ordinal.setdefault(str(rid), len(self._ordinal)))
        ordinal = self._row_ordinal
        for name in self._fields:
            cells = prepared.columns[name].tolist()
            if name in self._multi and name not in prepared.multi:
                cells = [_as_tuple(v) for v in cells]
            self._columns[name].extend(cells)
        for exact_key in self._own_first:
            rows, values = Blocker.key_values(prepared, exact_key)
            first = self._first[exact_key.name]
            for r, v in zip(rows.tolist(), values.tolist(), strict=True):
                _put_row(first, v, start + r)
        for key in self.detector.settings.blocking:
            rows, values = Blocker.key_values(prepared, key)
            if key.window is None:
                table = self._exact[key.name]
                for r, v in zip(rows.tolist(), values.tolist(), strict=True):
                    _put_row(table, v, start + r)
            else:
                entries = self._sorted[key.name]
                new = [
                    (str(v), ordinal[start + r], start + r)
                    for r, v in zip(rows.tolist(), values.tolist(), strict=True)
                ]
                if len(new) > 64:
                    entries.extend(new)
                    entries.sort()
                else:
                    for item in new:
                        insort(entries, item)

    def add(self, records: pd.DataFrame | Iterable[Lead] | Lead, /) -> None:
        """Add records (after checking them, typically).

        Raises:
            ValidationFailed: a record's id is already indexed (:meth:`upsert` replaces one).
        """
        batch = [records] if isinstance(records, Lead) else records
        self._add_prepared(self.detector.prepare(batch))

    def upsert(self, record: Lead | Mapping[str, Any], /) -> bool:
        """Add ``record``, or replace the indexed record with its id when its fields changed,
        so later checks compare against what the record says now.

        Returns:
            Whether the index changed (``False`` when the record is indexed as it is).
        """
        one = self.detector._preparer.prepare_record(
            _lead_row(record) if isinstance(record, Lead) else _checked_mapping(record)
        )
        rid = str(one.ids[0])
        at = self._position.get(rid)
        if at is not None:
            if all(
                _same_cell(self._columns[name][at], one.columns[name][0]) for name in self._fields
            ):
                return False
            self._remove(rid, keep_place=True)
        self._add_prepared(one)
        return True

    def remove(self, record_id: str, /) -> bool:
        """Stop offering the record with this id as a candidate (it was deleted, merged or
        erased): nothing of it stays in the index.

        Returns:
            Whether the id was indexed.
        """
        return self._remove(str(record_id), keep_place=False)

    def _remove(self, record_id: str, *, keep_place: bool) -> bool:
        at = self._position.pop(record_id, None)
        if at is None:
            return False
        if not keep_place:
            del self._ordinal[record_id]
        self._dead.add(at)
        # Out of the blocks too, so block sizes and sorted windows are what batch mode sees.
        row = Prepared(
            ids=_objects([record_id]),
            columns={name: _objects([self._columns[name][at]]) for name in self._fields},
            multi=frozenset(self._multi),
        )
        for exact_key in self._own_first:
            _, values = Blocker.key_values(row, exact_key)
            for v in values.tolist():
                _drop_row(self._first[exact_key.name], v, at)
        for key in self.detector.settings.blocking:
            _, values = Blocker.key_values(row, key)
            for v in values.tolist():
                if key.window is None:
                    _drop_row(self._exact[key.name], v, at)
                else:
                    entries = self._sorted[key.name]
                    item = (str(v), self._row_ordinal[at], at)
                    i = bisect_left(entries, item)
                    if i < len(entries) and entries[i] == item:
                        del entries[i]
        # Nothing of a removed record stays (an erasure request reaches the index too).
        self._ids[at] = ""
        for name in self._fields:
            self._columns[name][at] = None
        if len(self._dead) > 1024 and len(self._dead) * 2 > len(self._ids):
            self._compact()
        return True

    def _compact(self) -> None:
        """Rebuild from the living rows once most rows are dead: memory follows the records
        indexed, not the updates made."""
        living = sorted(self._position.values(), key=self._row_ordinal.__getitem__)
        rows = Prepared(
            ids=_objects([self._ids[r] for r in living]),
            columns={
                name: _objects([self._columns[name][r] for r in living]) for name in self._fields
            },
            multi=frozenset(self._multi),
        )
        ordinals = self._ordinal
        self.__init__(self.detector, None)  # type: ignore[misc]
        self._ordinal = ordinals
        if living:
            self._add_prepared(rows)

    def _candidates(self, one: Prepared, self_at: int | None, self_ordinal: float) -> list[int]:
        """Rows batch mode would pair ``one`` with. ``self_at`` is the record's own row when
        it is indexed (left out of every block and window, as batch mode never pairs a record
        with itself), ``self_ordinal`` its place in the order of the records."""
        settings = self.detector.settings
        found: dict[int, None] = {}
        for key in settings.blocking:
            _, values = Blocker.key_values(one, key)
            for v in values.tolist():
                if key.window is None:
                    rows = [r for r in _rows_of(self._exact[key.name], v) if r != self_at]
                    # With the record itself the block holds len(rows) + 1: the size batch mode
                    # sees, so both modes drop the same keys.
                    if len(rows) + 1 > settings.max_block_size:
                        logger.debug(
                            "blocking key %s: value shared by %d indexed records: paired by "
                            "exact keys only",
                            key.name,
                            len(rows),
                        )
                        found.update(
                            dict.fromkeys(self._exact_candidates(one, set(rows), self_ordinal))
                        )
                        continue
                    found.update(dict.fromkeys(rows))
                else:
                    found.update(
                        dict.fromkeys(
                            self._window(
                                self._sorted[key.name], str(v), key.window, self_at, self_ordinal
                            )
                        )
                    )
        if self._dead:
            return [r for r in found if r not in self._dead]
        return list(found)

    @staticmethod
    def _window(
        entries: list[tuple[str, int, int]],
        value: str,
        window: int,
        self_at: int | None,
        self_ordinal: float,
    ) -> list[int]:
        """The rows within ``window`` of the record in batch mode's sorted order (by value,
        then the order of the records), the record itself not counted."""
        at = bisect_left(entries, (value, self_ordinal, -1))
        before = [r for _, _, r in entries[max(0, at - window) : at] if r != self_at]
        after = [r for _, _, r in entries[at : at + window] if r != self_at]
        return before[len(before) - (window - 1) :] + after[: window - 1]

    def _exact_candidates(self, one: Prepared, crowded: set[int], self_ordinal: float) -> list[int]:
        """Within a crowded block, as batch mode pairs them: for each exact key ``one`` shares
        with records of the block, the first of them in the records' order; or, when ``one``
        itself comes first, every one of them."""
        out: list[int] = []
        for exact_key in self.detector.settings.exact_keys():
            _, values = Blocker.key_values(one, exact_key)
            for v in values.tolist():
                sharing = sorted(
                    (self._row_ordinal[r], r)
                    for r in _rows_of(self._first[exact_key.name], v)
                    if r in crowded
                )
                if not sharing:
                    continue
                if self_ordinal < sharing[0][0]:
                    out.extend(r for _, r in sharing)
                else:
                    out.append(sharing[0][1])
        return out

    def check(self, record: Lead | Mapping[str, Any], /) -> list[DuplicatePair]:
        """Deprecated: :meth:`find` (``check`` named four different actions in the library)."""
        warn_deprecated("DuplicateIndex.check() is deprecated: use DuplicateIndex.find()")
        return self.find(record)

    def find(self, record: Lead | Mapping[str, Any], /) -> list[DuplicatePair]:
        """The indexed records that ``record`` duplicates, strongest first.

        ``record`` is a :class:`~leadqual.models.Lead` or a mapping with the settings' source
        columns. The record itself is not added: call :meth:`add` for that.
        """
        det = self.detector
        if not isinstance(record, (Lead, Mapping)):
            raise ValidationFailed(
                f"record must be a Lead or a mapping of the settings' columns, got "
                f"{type(record).__name__}",
                field="record",
            )
        if det.settings.classify != "rules" and det.model is None:
            raise ConfigurationError(
                "these settings classify with a learned model: call detector.fit(records) "
                "before checking records one at a time"
            )
        one = det._preparer.prepare_record(
            _lead_row(record) if isinstance(record, Lead) else record
        )
        rid = str(one.ids[0])
        self_at = self._position.get(rid)
        # A record not indexed comes after every indexed one, as a new lead comes last.
        self_ordinal = self._ordinal.get(rid, float("inf"))
        rows = [r for r in self._candidates(one, self_at, self_ordinal) if self._ids[r] != rid]
        if not rows:
            return []
        cand = Prepared(
            ids=np.array([self._ids[r] for r in rows], dtype=object),
            columns={
                name: _objects([self._columns[name][r] for r in rows]) for name in self._fields
            },
            multi=frozenset(self._multi),
        )
        left = np.zeros(len(rows), dtype=np.int64)
        right = np.arange(len(rows), dtype=np.int64)
        comps = det.settings.comparisons
        sims = np.empty((len(rows), len(comps)), dtype=np.float64)
        for j, comp in enumerate(comps):
            sims[:, j] = det._comparer.similarity(comp, one, cand, left, right)
        match, fired, proba = det._decide(sims)
        keep = np.flatnonzero(match)
        pairs = det._explain(
            cand,
            one,
            right[keep],
            left[keep],
            sims[keep],
            fired[keep],
            None if proba is None else proba[keep],
        )
        order = np.argsort(
            [-(p.probability if p.probability is not None else len(p.rules)) for p in pairs],
            kind="stable",
        )
        return [pairs[i] for i in order]


def _checked_mapping(record: object) -> Mapping[str, Any]:
    if not isinstance(record, Mapping):
        raise ValidationFailed(
            f"record must be a Lead or a mapping of the settings' columns, got "
            f"{type(record).__name__}",
            field="record",
        )
    return record


def _same_cell(kept: Any, new: Any) -> bool:
    # A field that became multi-valued in the index holds tuples; compare in that shape.
    if isinstance(kept, tuple) and not isinstance(new, tuple):
        new = _as_tuple(new)
    return bool(kept == new)


def _as_tuple(value: Any) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value
    return () if value is None else (value,)


def _objects(values: list[Any]) -> npt.NDArray[np.object_]:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def find_duplicates(
    leads: Iterable[Lead],
    /,
    *,
    settings: DedupeSettings | None = None,
    normalizer: Normalizer | None = None,
) -> DuplicateReport:
    """Duplicate leads among ``leads`` by the seeds' rules (or ``settings``), explained.

    Examples:
        >>> from leadqual.sources import load_sample_data
        >>> report = find_duplicates(load_sample_data().crm.leads)
        >>> report.pair("L-0165", "L-0241").rule
        'same_email'
    """
    return DuplicateDetector(settings, normalizer=normalizer).find(list(leads))
