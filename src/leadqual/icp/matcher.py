"""`IcpMatcher`: how well a lead fits the ideal customer profile, characteristic by characteristic.

Examples:
    >>> from datetime import datetime, UTC
    >>> from leadqual.models import Lead, LeadContext
    >>> profile = IcpProfile(characteristics=[
    ...     IcpCharacteristic(name="Industry", kind="categorical", weight=3,
    ...                       targets=["Technology", "Financial Services"], fields=["lead.industry"]),
    ...     IcpCharacteristic(name="Company size", kind="numeric_range", weight=2,
    ...                       targets=["500+"], fields=["lead.employee_count"]),
    ... ])
    >>> lead = Lead(id="L-1", industry="Fintech", employee_count=800,
    ...             created_at=datetime(2026, 1, 5, tzinfo=UTC))
    >>> fit = IcpMatcher(profile).match(LeadContext(lead=lead))
    >>> fit.score, fit.tier
    (100.0, 'High')
    >>> fit.results[0].reason
    "'Fintech' (Financial Services) is Financial Services"
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self

from pydantic import ConfigDict, Field

from leadqual._base import LeadqualModel, check_frame
from leadqual._fields import check_path, get_path, is_empty
from leadqual._html import block, grid, kv
from leadqual.config import AgentConfig
from leadqual.errors import ConfigurationError, ValidationFailed
from leadqual.icp.industries import IndustryTaxonomy
from leadqual.icp.locations import Geography
from leadqual.icp.matchers import (
    CharacteristicMatcher,
    MatchStatus,
    NumericRangeMatcher,
    TextSimilarity,
    Verdict,
    compile_characteristic,
)
from leadqual.icp.profile import CharacteristicKind, IcpCharacteristic, IcpProfile, TierCutoffs
from leadqual.icp.ranges import NumericRange
from leadqual.models import Address, LeadContext
from leadqual.sources.lead_table import LEAD_TABLE_COLUMNS, is_lead_table, python_values

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["CharacteristicResult", "FitTier", "IcpFit", "IcpMatcher"]

logger = logging.getLogger(__name__)

FitTier = Literal["High", "Moderate", "Low", "Unknown"]
"""The fit tier. ``Unknown`` when too little of the profile's weight could be checked."""

_STATUS_ORDER: Mapping[str, int] = {"unknown": 0, "not_matched": 1, "partial": 2, "matched": 3}
_STATUS_CODES: tuple[MatchStatus, ...] = ("unknown", "not_matched", "partial", "matched")
SeenValue = str | int | float | bool | None


class CharacteristicResult(LeadqualModel):
    """The outcome for one characteristic of the profile, with its evidence."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: CharacteristicKind
    status: MatchStatus
    credit: Annotated[float, Field(ge=0, le=1)]
    """Share of the weight earned: 1 matched, 0.5 partial, 0 not matched or unknown."""
    weight: float
    required: bool = False
    value: SeenValue = None
    """The value seen, as written in the CRM (``None`` when unknown)."""
    field: str | None = None
    """The field the value came from."""
    target: str | None = None
    """The target (or exclusion) that decided."""
    reason: str
    """One line a seller can read: "'Fintech' (Financial Services) is Financial Services"."""

    @property
    def is_known(self) -> bool:
        """Whether a value was available (unknown never counts against the lead)."""
        return self.status != "unknown"


class IcpFit(LeadqualModel):
    """How well a lead fits the profile: a 0-100 score, a tier, and one result per characteristic.

    The score is the weighted share of the *known* characteristics that match (partial matches
    earn half their weight): missing data lowers ``coverage``, never the score. The tier follows
    :class:`~leadqual.icp.TierCutoffs`; a required characteristic that does not match caps it at
    Low; too little known weight makes it Unknown.

    Examples:
        >>> fit = IcpFit(score=80, tier="High", coverage=1.0, profile="ICP", results=())
        >>> fit.summary()
        'High fit (80/100)'
    """

    model_config = ConfigDict(frozen=True)

    lead_id: str | None = None
    profile: str
    score: Annotated[float, Field(ge=0, le=100)]
    """0-100: weighted share of the known characteristics that match."""
    tier: FitTier
    coverage: Annotated[float, Field(ge=0, le=1)]
    """Share of the profile's weight that could be checked."""
    results: tuple[CharacteristicResult, ...]
    capped_by: tuple[str, ...] = ()
    """Required characteristics that did not match (the tier is capped at Low)."""

    def result(self, name: str, /) -> CharacteristicResult:
        """The result of the characteristic called ``name`` (case-insensitive)."""
        for r in self.results:
            if r.name.casefold() == name.casefold():
                return r
        raise KeyError(f"no characteristic named {name!r} in profile {self.profile!r}")

    @property
    def matched(self) -> tuple[str, ...]:
        """Names of the matched characteristics."""
        return tuple(r.name for r in self.results if r.status == "matched")

    @property
    def unknown(self) -> tuple[str, ...]:
        """Names of the characteristics with no usable value."""
        return tuple(r.name for r in self.results if r.status == "unknown")

    def summary(self) -> str:
        """One line: tier, score, and what matched or did not."""
        head = f"{self.tier} fit ({self.score:.0f}/100)"
        parts = []
        by_status = {
            "matched": [r.name for r in self.results if r.status == "matched"],
            "partly": [r.name for r in self.results if r.status == "partial"],
            "not": [r.name for r in self.results if r.status == "not_matched"],
            "unknown": list(self.unknown),
        }
        labels = {"matched": "matches", "partly": "partly", "not": "misses", "unknown": "unknown"}
        for key, names in by_status.items():
            if names:
                parts.append(f"{labels[key]} {', '.join(names)}")
        if self.capped_by:
            parts.append(f"capped by required {', '.join(self.capped_by)}")
        return head + (": " + "; ".join(parts) if parts else "")

    def _repr_html_(self) -> str:
        """The fit as a small table in a notebook: score and tier, then one row per
        characteristic with the value seen and why it counts."""
        head = kv(
            [
                ("profile", self.profile),
                ("score", f"{self.score:.0f}/100"),
                ("tier", self.tier),
                ("coverage", f"{self.coverage:.0%}"),
                ("capped by", ", ".join(self.capped_by) or None),
            ]
        )
        rows = grid(
            ("characteristic", "status", "value", "field", "reason"),
            [(r.name, r.status, r.value, r.field, r.reason) for r in self.results],
        )
        return block(f"ICP fit {self.lead_id or ''}".strip(), head, rows)


def _seen(value: object) -> SeenValue:
    if isinstance(value, Address):
        return ", ".join(p for p in (value.state, value.country) if p) or None
    if isinstance(value, tuple):
        return ", ".join(str(p) for p in reversed(value) if p) or None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _factorize(column: pd.Series) -> tuple[Any, Any]:
    """``pd.factorize`` codes and distinct values; a column holding unhashable cells (lists or
    dicts from custom fields) is compared cell by cell instead of failing inside pandas."""
    import numpy as np
    import pandas as pd

    try:
        return pd.factorize(column, use_na_sentinel=True)
    except TypeError:
        cells = list(column)
        codes = np.array(
            [
                -1 if (isinstance(v, float) and v != v) or v is None else i
                for i, v in enumerate(cells)
            ],
            dtype=np.int64,
        )
        return codes, cells


def tier_for(score: float, coverage: float, capped: bool, cutoffs: TierCutoffs) -> FitTier:
    """The tier for a score and coverage under ``cutoffs`` (shared by the single and batch paths)."""
    if coverage < cutoffs.min_known_weight or coverage == 0:
        return "Unknown"
    if capped:
        return "Low"
    if score > cutoffs.high:
        return "High"
    if score >= cutoffs.moderate:
        return "Moderate"
    return "Low"


class IcpMatcher:
    """Matches leads against an :class:`~leadqual.icp.IcpProfile`.

    Args:
        profile: the ideal customer profile.
        taxonomy: the industry taxonomy for categorical characteristics.
        geography: country, state and region normalisation for location characteristics.
        text_similarity: the free-text similarity for need characteristics (an embedding model
            may be plugged in here); default :class:`~leadqual.icp.TokenSimilarity`.
        matchers: a matcher to use for a named characteristic instead of the built-in one.
        cache_size: verdicts remembered per characteristic, by value (CRM values repeat a lot);
            0 turns the cache off. Matchers are assumed to be pure functions of the value.

    Raises:
        ConfigurationError: a field path, a band, a region or a title target cannot be read.

    Examples:
        >>> from leadqual.sources import load_sample_config
        >>> matcher = IcpMatcher(load_sample_config().icp)
        >>> names = [c.name for c in matcher.profile.characteristics]
        >>> names[:2]
        ['Industry', 'Company size']
    """

    def __init__(
        self,
        profile: IcpProfile,
        /,
        *,
        taxonomy: IndustryTaxonomy | None = None,
        geography: Geography | None = None,
        text_similarity: TextSimilarity | None = None,
        matchers: Mapping[str, CharacteristicMatcher] | None = None,
        cache_size: int = 65536,
    ) -> None:
        if not isinstance(profile, IcpProfile):
            raise ConfigurationError(
                f"IcpMatcher needs an IcpProfile, got {type(profile).__name__}; load one with "
                "IcpProfile.from_file(path) or AgentConfig.icp"
            )
        self.profile = profile
        self.taxonomy = taxonomy or IndustryTaxonomy()
        self.geography = geography or Geography()
        custom = {k.casefold(): v for k, v in (matchers or {}).items()}
        names = {c.name.casefold() for c in profile.characteristics}
        stray = sorted(set(custom) - names)
        if stray:
            raise ConfigurationError(f"matchers given for unknown characteristics: {stray}")
        self._compiled: list[tuple[IcpCharacteristic, CharacteristicMatcher]] = []
        for c in profile.characteristics:
            for path in c.fields:
                check_path(path, where=f"characteristic {c.name!r}")
            m = custom.get(c.name.casefold()) or compile_characteristic(
                c,
                taxonomy=self.taxonomy,
                geography=self.geography,
                similarity=text_similarity,
            )
            self._compiled.append((c, m))
        self._compare: dict[int, Callable[[object], Verdict]] = {
            id(m): (lru_cache(maxsize=cache_size)(m.compare) if cache_size > 0 else m.compare)
            for _, m in self._compiled
        }
        self._total_weight = sum(c.weight for c in profile.characteristics)

    # -- one lead ----------------------------------------------------------------------------

    @classmethod
    def from_config(cls, config: AgentConfig, /, **overrides: Any) -> Self:
        """A matcher for the ICP of ``config``; ``overrides`` are constructor keywords.

        Raises:
            ConfigurationError: ``config`` is not an AgentConfig, or has no ``icp`` section.
        """
        if not isinstance(config, AgentConfig):
            raise ConfigurationError(
                f"IcpMatcher.from_config needs an AgentConfig (AgentConfig.from_file(path) loads one), "
                f"got {type(config).__name__}"
            )
        if config.icp is None:
            raise ConfigurationError(
                "the configuration has no ICP: add an `icp:` section with its characteristics"
            )
        return cls(config.icp, **overrides)

    def _read(self, c: IcpCharacteristic, context: LeadContext, path: str) -> object:
        value = get_path(context, path)
        if c.kind == "location" and path.endswith((".country", ".state")):
            parent = get_path(context, path.rsplit(".", 1)[0])
            if isinstance(parent, Address) and not (
                is_empty(parent.country) and is_empty(parent.state)
            ):
                return parent
        if isinstance(value, Address) and is_empty(value.country) and is_empty(value.state):
            return None
        return value

    def _evaluate(
        self, c: IcpCharacteristic, m: CharacteristicMatcher, values: Iterable[tuple[str, object]]
    ) -> CharacteristicResult:
        best: tuple[Verdict, str, object] | None = None
        for path, value in values:
            if is_empty(value):
                continue
            try:
                verdict = self._compare[id(m)](value)
            except TypeError:  # an unhashable value from a custom field: skip the cache
                verdict = m.compare(value)
            if best is None or (_STATUS_ORDER[verdict.status], verdict.credit) > (
                _STATUS_ORDER[best[0].status],
                best[0].credit,
            ):
                best = (verdict, path, value)
            if c.field_mode == "first" and verdict.status != "unknown":
                break
            if verdict.status == "matched":
                break
        # model_construct: every value here was produced by this module and is valid by design
        if best is None:
            return CharacteristicResult.model_construct(
                name=c.name,
                kind=c.kind,
                status="unknown",
                credit=0.0,
                weight=c.weight,
                required=c.required,
                reason=f"no value in {', '.join(c.fields)}",
            )
        verdict, path, value = best
        return CharacteristicResult.model_construct(
            name=c.name,
            kind=c.kind,
            status=verdict.status,
            credit=verdict.credit,
            weight=c.weight,
            required=c.required,
            value=_seen(value),
            field=path,
            target=verdict.target,
            reason=verdict.reason,
        )

    def _fit(self, lead_id: str | None, results: Sequence[CharacteristicResult]) -> IcpFit:
        known = sum(r.weight for r in results if r.is_known)
        earned = sum(r.weight * r.credit for r in results if r.is_known)
        score = round(100.0 * earned / known, 2) if known else 0.0
        coverage = round(known / self._total_weight, 4)
        capped = tuple(
            r.name for r in results if r.required and r.status in ("not_matched", "partial")
        )
        tier = tier_for(score, coverage, bool(capped), self.profile.tiers)
        return IcpFit(
            lead_id=lead_id,
            profile=self.profile.name,
            score=score,
            tier=tier,
            coverage=coverage,
            results=tuple(results),
            capped_by=capped,
        )

    def match(self, context: LeadContext, /) -> IcpFit:
        """Match one lead (with its account and contact) against the profile."""
        if not isinstance(context, LeadContext):
            raise ValidationFailed(
                f"IcpMatcher.match needs a LeadContext, got {type(context).__name__}; build one "
                "with leadqual.sources.build_context(source, lead_id)",
                field="context",
            )
        results = [
            self._evaluate(c, m, ((p, self._read(c, context, p)) for p in c.fields))
            for c, m in self._compiled
        ]
        fit = self._fit(context.lead.id, results)
        logger.debug("ICP fit of %s: %s %.1f", context.lead.id, fit.tier, fit.score)
        return fit

    def match_many(self, contexts: Iterable[LeadContext], /) -> list[IcpFit]:
        """Match several leads; results in input order."""
        return [self.match(c) for c in contexts]

    # -- batch over a DataFrame --------------------------------------------------------------

    def columns(self) -> tuple[str, ...]:
        """The DataFrame columns the batch API reads: every mapped field path, plus the state
        column beside each location ``.country`` field (and the other way round)."""
        cols: dict[str, None] = {}
        for c in self.profile.characteristics:
            for path in c.fields:
                cols.setdefault(path, None)
                if c.kind == "location" and path.endswith((".country", ".state")):
                    base = path.rsplit(".", 1)[0]
                    cols.setdefault(f"{base}.country", None)
                    cols.setdefault(f"{base}.state", None)
        return tuple(cols)

    def to_frame(self, contexts: Iterable[LeadContext], /) -> pd.DataFrame:
        """A DataFrame of the fields the profile reads, one row per lead, ``lead_id`` first."""
        import pandas as pd

        cols = self.columns()
        rows = []
        for ctx in contexts:
            row: dict[str, object] = {"lead_id": ctx.lead.id}
            for path in cols:
                v = get_path(ctx, path)
                row[path] = None if isinstance(v, Address) else v
            rows.append(row)
        return pd.DataFrame(rows, columns=["lead_id", *cols])

    def match_frame(
        self,
        frame: pd.DataFrame,
        /,
        *,
        reasons: bool = False,
    ) -> pd.DataFrame:
        """Match every row of ``frame`` at once (vectorised, for notebooks and bulk scoring).

        Columns are named by field path (``account.industry``, ``lead.employee_count``; see
        :meth:`columns`). The lead table (:mod:`leadqual.sources.lead_table`, e.g.
        ``read_lead_table(path).table``) is read as it is: its columns are the ``lead.`` paths. A characteristic none of whose columns is present raises
        :class:`~leadqual.errors.ConfigurationError`; a missing secondary column counts as empty.
        Each distinct value is compared once, then spread over the rows; plain numeric columns
        are compared with numpy directly.

        Returns:
            A frame on the same index with ``icp_score``, ``icp_tier``, ``icp_coverage`` and, per
            characteristic, ``<name>: status`` (and ``<name>: reason`` when ``reasons`` is true).
            The figures equal :meth:`match` on the same data.
        """
        import numpy as np
        import pandas as pd

        check_frame(frame)
        if is_lead_table(frame):
            frame = _lead_paths(frame)
        n = len(frame)
        out = pd.DataFrame(index=frame.index)
        known_w = np.zeros(n)
        earned = np.zeros(n)
        capped = np.zeros(n, dtype=bool)
        for c, m in self._compiled:
            present = [p for p in c.fields if p in frame.columns]
            if not present:
                raise ConfigurationError(
                    f"frame has no column for characteristic {c.name!r}: expected one of "
                    f"{', '.join(c.fields)} (IcpMatcher.columns() lists them all)"
                )
            # index into _STATUS_CODES (0 unknown ... 3 matched); -1 while no value was seen
            status = np.full(n, -1, dtype=np.int8)
            credit = np.zeros(n)
            reason = (
                np.full(n, f"no value in {', '.join(c.fields)}", dtype=object) if reasons else None
            )
            decided = np.zeros(n, dtype=bool)
            for path in c.fields:
                if path not in frame.columns:
                    continue
                st, cr, rs, nonempty = self._column_verdicts(c, m, frame, path, reasons)
                # as in match(): a value replaces the best so far only when strictly better
                better = (st > status) | ((st == status) & (cr > credit))
                take = ~decided & nonempty & better
                status = np.where(take, st, status)
                credit = np.where(take, cr, credit)
                if reason is not None and rs is not None:
                    reason = np.where(take, rs, reason)
                if c.field_mode == "first":
                    decided |= nonempty & (st > 0)
                else:
                    decided |= nonempty & (st == 3)
            status = np.maximum(status, 0).astype(np.int8)
            known = status > 0
            known_w += np.where(known, c.weight, 0.0)
            earned += np.where(known, c.weight * credit, 0.0)
            if c.required:
                capped |= (status == 1) | (status == 2)
            out[f"{c.name}: status"] = pd.Categorical.from_codes(
                status.astype(np.int8), categories=pd.Index(list(_STATUS_CODES))
            )
            if reason is not None:
                out[f"{c.name}: reason"] = reason
        with np.errstate(invalid="ignore", divide="ignore"):
            score = np.where(
                known_w > 0, np.round(100.0 * earned / np.where(known_w > 0, known_w, 1), 2), 0.0
            )
        coverage = np.round(known_w / self._total_weight, 4)
        cut = self.profile.tiers
        tier = np.where(
            (coverage < cut.min_known_weight) | (coverage == 0),
            "Unknown",
            np.where(
                capped,
                "Low",
                np.where(
                    score > cut.high, "High", np.where(score >= cut.moderate, "Moderate", "Low")
                ),
            ),
        )
        out.insert(0, "icp_coverage", coverage)
        tiers: Any = pd.Categorical(tier, categories=["High", "Moderate", "Low", "Unknown"])
        out.insert(0, "icp_tier", tiers)
        out.insert(0, "icp_score", score)
        return out

    def _column_verdicts(
        self,
        c: IcpCharacteristic,
        m: CharacteristicMatcher,
        frame: pd.DataFrame,
        path: str,
        reasons: bool,
    ) -> tuple[Any, Any, Any, Any]:
        """Per-row (status code, credit, reason, non-empty) arrays for one column."""
        import numpy as np
        import pandas as pd

        col = frame[path]
        if (
            isinstance(m, NumericRangeMatcher)
            and not reasons
            and pd.api.types.is_numeric_dtype(col)
            and not pd.api.types.is_bool_dtype(col)
        ):
            x = col.to_numpy(dtype=float, na_value=np.nan)
            nonempty = ~np.isnan(x)

            def inside(r: NumericRange) -> Any:
                ok = np.ones(len(x), dtype=bool)
                if r.low is not None:
                    ok &= (x >= r.low) if r.low_inclusive else (x > r.low)
                if r.high is not None:
                    ok &= (x <= r.high) if r.high_inclusive else (x < r.high)
                return ok

            hit = np.zeros(len(x), dtype=bool)
            for t in m.targets:
                hit |= inside(t)
            if m.any:
                hit[:] = True
            for ex in m.excludes:
                hit &= ~inside(ex)
            st = np.where(nonempty, np.where(hit, 3, 1), 0).astype(np.int8)
            cr = np.where(st == 3, 1.0, 0.0)
            return st, cr, None, nonempty
        if c.kind == "location" and path.endswith((".country", ".state")):
            base = path.rsplit(".", 1)[0]
            country = frame[f"{base}.country"] if f"{base}.country" in frame.columns else None
            state = frame[f"{base}.state"] if f"{base}.state" in frame.columns else None
            n = len(frame)

            def factorized(part: pd.Series | None) -> tuple[Any, list[str]]:
                if part is None:
                    return np.zeros(n, dtype=np.int64), [""]
                codes_, uniq_ = _factorize(part)
                texts = ["" if is_empty(u) else str(u).strip() for u in uniq_]
                # NA rows (-1) point at a trailing empty text
                return np.where(codes_ < 0, len(texts), codes_), [*texts, ""]

            c_codes, c_texts = factorized(country)
            s_codes, s_texts = factorized(state)
            pair = c_codes.astype(np.int64) * len(s_texts) + s_codes
            uniq_pairs, codes = np.unique(pair, return_inverse=True)
            values: list[object] = []
            for key in uniq_pairs:
                a, b = c_texts[key // len(s_texts)], s_texts[key % len(s_texts)]
                values.append((a, b) if (a or b) else None)
        else:
            codes, uniq = _factorize(col)
            values = list(uniq)
        st_u = np.zeros(len(values) + 1, dtype=np.int8)
        cr_u = np.zeros(len(values) + 1)
        rs_u = np.empty(len(values) + 1, dtype=object)
        rs_u[-1] = None
        ne_u = np.zeros(len(values) + 1, dtype=bool)
        for i, v in enumerate(values):
            if is_empty(v):
                rs_u[i] = None
                continue
            verdict = m.compare(v)
            st_u[i] = _STATUS_CODES.index(verdict.status)
            cr_u[i] = verdict.credit
            rs_u[i] = verdict.reason
            ne_u[i] = True
        idx = np.where(codes < 0, len(values), codes)
        return st_u[idx], cr_u[idx], (rs_u[idx] if reasons else None), ne_u[idx]


def _lead_paths(table: pd.DataFrame) -> pd.DataFrame:
    """The lead table with its columns as ``lead.`` field paths, valued as :meth:`IcpMatcher.to_frame`
    gives them (``None`` for missing text, counts and amounts as floats); other columns kept."""
    import pandas as pd

    columns: dict[str, Any] = {}
    for name in table.columns:
        values = table[name]
        if name not in LEAD_TABLE_COLUMNS and not str(name).startswith("custom_fields."):
            columns[name] = values
            continue
        if str(values.dtype) in ("Int64", "float64"):
            converted: Any = values.astype("float64")
        elif isinstance(values.dtype, pd.DatetimeTZDtype):
            converted = values
        else:
            converted = pd.Series(python_values(values), index=table.index, dtype=object)
        columns[f"lead.{name}"] = converted
    return pd.DataFrame(columns, index=table.index)
