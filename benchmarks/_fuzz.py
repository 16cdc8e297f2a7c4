"""The bad-input catalogue: every public entry point with a generator of hostile inputs.

Each :class:`EntryPoint` pairs a hypothesis strategy with a call. A case ends in one of three
ways: a valid result, a typed error (a :class:`~leadqual.errors.LeadqualError`, or a builtin the
entry point documents), or an untyped crash (anything else: a pandas ``KeyError``, a numpy
``TypeError``, a ``RecursionError``, ...). Untyped crashes are the bugs.

``tests/fuzz`` runs every entry point with a small, derandomised budget on each ``make test``;
``benchmarks/fuzz_report.py`` runs a larger budget and tabulates the outcomes.
"""

from __future__ import annotations

import asyncio
import json
import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import strategies as st

import leadqual
from leadqual.errors import LeadqualError
from leadqual.scoring import load_model

__all__ = ["ENTRY_POINTS", "EntryPoint", "outcome"]


@dataclass(frozen=True)
class EntryPoint:
    """A public callable and the hostile inputs it is fed."""

    name: str
    strategy: st.SearchStrategy[Any]
    call: Callable[[Any], object]
    documented: tuple[type[BaseException], ...] = ()
    """Builtin errors this entry point documents on purpose (besides leadqual's own)."""


def outcome(entry: EntryPoint, case: Any) -> tuple[str, BaseException | None]:
    """``("valid", None)``, ``("typed", err)`` or ``("untyped", err)`` for one case."""
    try:
        entry.call(case)
    except LeadqualError as err:
        return "typed", err
    except entry.documented as err:
        return "typed", err
    except Exception as err:
        return "untyped", err
    return "valid", None


# -- shared ingredients ------------------------------------------------------------------------

HUGE = 10**400
"""An integer no float can hold."""

scalars: st.SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([HUGE, -HUGE, 1e308, -1e308, math.inf, -math.inf, math.nan, 0, -0.0, 5e-324]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["", " ", "web", "ad", "event", "Retail", "US", "CEO", "2025-03-05", "9999-12-31"]
    ),
    st.binary(max_size=6),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
)
"""Cell values a CRM export or a careless caller can put anywhere."""

containers: st.SearchStrategy[Any] = st.one_of(
    st.dictionaries(st.text(max_size=4), scalars, max_size=3),
    st.lists(scalars, max_size=3),
    st.tuples(scalars, scalars),
    st.frozensets(st.integers(0, 9), max_size=3),
)
"""Cell values that are not values at all: a JSON column read into dicts and lists."""

cells = st.one_of(scalars, containers)

json_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=12),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
"""What a JSON or YAML document can hold."""

anything = st.one_of(cells, json_values, st.just(object()), st.just(pd.DataFrame()))
"""Any object at all, for parameters typed more narrowly."""


@st.composite
def frames(
    draw: st.DrawFn,
    columns: tuple[str, ...],
    *,
    max_rows: int = 8,
    extra: tuple[str, ...] = (),
    duplicate: bool = True,
) -> pd.DataFrame:
    """A frame over (a sample of) ``columns``: each column typed, mixed or hostile, sometimes
    with a duplicated column name."""
    n = draw(st.integers(0, max_rows))
    names = draw(st.lists(st.sampled_from(columns + extra), min_size=0, max_size=len(columns) + 1))
    if not names:
        names = list(columns)
    if duplicate and draw(st.integers(0, 4)) == 0:
        names.append(names[0])
    data = []
    for _ in names:
        kind = draw(st.sampled_from(["clean_num", "clean_text", "mixed", "one_bad"]))
        if kind == "clean_num":
            col = draw(st.lists(st.floats(0, 1e6), min_size=n, max_size=n))
        elif kind == "clean_text":
            col = draw(
                st.lists(
                    st.sampled_from(["web", "ad", "Retail", "US", None]), min_size=n, max_size=n
                )
            )
        elif kind == "mixed":
            col = draw(st.lists(cells, min_size=n, max_size=n))
        else:
            col = draw(st.lists(st.floats(0, 100), min_size=n, max_size=n))
            if n:
                col[draw(st.integers(0, n - 1))] = draw(cells)
        data.append(col)
    frame = (
        pd.DataFrame(dict(enumerate(data)), index=range(n))
        if data
        else pd.DataFrame(index=range(n))
    )
    frame.columns = names
    return frame


labels = st.one_of(
    st.lists(st.sampled_from([0, 1]), min_size=0, max_size=10),
    st.lists(
        st.one_of(st.sampled_from([0, 1, "yes", "no", True, None, 1.5, math.nan]), cells),
        max_size=10,
    ),
)


# -- fixtures (built once per process) ---------------------------------------------------------

_TRAIN_COLUMNS = ("source", "employees", "created")


def _training_frame(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "source": rng.choice(["web", "ad", "event"], n),
            "employees": rng.integers(1, 1000, n).astype(float),
            "created": pd.date_range("2025-01-01", periods=n, freq="D", tz="UTC"),
        }
    )
    y = ((X["source"] == "event").to_numpy() ^ (rng.random(n) < 0.2)).astype(int)
    return X, y


@cache
def _scorer() -> Any:
    X, y = _training_frame()
    return leadqual.LeadScorer().fit(X, y)


@cache
def _sample() -> Any:
    return leadqual.load_sample_data()


@cache
def _config() -> Any:
    return leadqual.load_sample_config()


@cache
def _matcher() -> Any:
    return leadqual.IcpMatcher(_config().icp)


@cache
def _contexts() -> tuple[Any, ...]:
    source = leadqual.MemorySource.from_snapshot(_sample().crm)
    leads = source.leads()[:6]
    return tuple(leadqual.build_context(source, lead.id) for lead in leads)


@cache
def _workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="leadqual-fuzz-"))


def _write(name: str, content: bytes) -> Path:
    path = _workdir() / name
    if path.is_dir():
        return path
    path.write_bytes(content)
    return path


# -- configuration files -----------------------------------------------------------------------


def _valid_config_dict() -> dict[str, Any]:
    return {"company": {"name": "Tailwind"}, "products": [{"name": "Cloud", "description": "CRM"}]}


@st.composite
def config_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes) of a configuration file gone wrong in one of many ways."""
    suffix = draw(st.sampled_from([".yaml", ".yml", ".json", ".YAML", ".txt", ""]))
    kind = draw(
        st.sampled_from(
            ["random", "latin1", "deep", "huge_int", "duplicate", "mutated", "bom", "valid", "dir"]
        )
    )
    depth = draw(st.integers(100, 20000))
    if kind == "random":
        body = draw(st.binary(max_size=64))
    elif kind == "latin1":
        body = "company:\n  name: Caf\xe9 M\xfcller\nproducts: []\n".encode("latin-1")
    elif kind == "deep":
        body = (
            ("[" * depth + "]" * depth).encode()
            if draw(st.booleans())
            else (
                "a:\n" + "".join(" " * (i + 1) + "b:\n" for i in range(min(depth, 3000)))
            ).encode()
        )
        if draw(st.booleans()):
            body = ('{"company": ' + "[" * depth + "]" * depth + "}").encode()
    elif kind == "huge_int":
        digits = "9" * draw(st.integers(4300, 20000))
        body = (
            json.dumps(_valid_config_dict())[:-1]
            + f', "refresh": {{"activation_batch": {digits}}}}}'
        ).encode()
    elif kind == "duplicate":
        body = (
            b"company:\n  name: A\n  name: B\nproducts:\n  - {name: X, description: Y}\n"
            if suffix != ".json"
            else b'{"company": {"name": "A"}, "company": {"name": "B"}, "products": []}'
        )
    elif kind == "mutated":
        data = _valid_config_dict()
        data[draw(st.sampled_from(["company", "products", "refresh", "icp", "consent", "x"]))] = (
            draw(json_values)
        )
        body = json.dumps(data).encode()
    elif kind == "bom":
        body = b"\xef\xbb\xbf" + json.dumps(_valid_config_dict()).encode()
    else:
        body = json.dumps(_valid_config_dict()).encode()
    name = f"config-{kind}{suffix}"
    if kind == "dir":
        (_workdir() / name).mkdir(exist_ok=True)
    return name, body


def _from_file(case: tuple[str, bytes]) -> object:
    name, body = case
    return leadqual.AgentConfig.from_file(_write(name, body))


# -- model files -------------------------------------------------------------------------------

_KEY = b"k" * 32


@st.composite
def model_files(draw: st.DrawFn) -> tuple[str, bytes]:
    """(file name, bytes) of a model file gone wrong."""
    magic = b"LEADQUAL-MODEL\n"
    header = json.dumps({"format": 3, "sklearn": "1.0"}).encode()
    kind = draw(
        st.sampled_from(
            [
                "random",
                "non_ascii_sig",
                "deep",
                "huge",
                "no_newline",
                "not_object",
                "dir",
                "missing",
            ]
        )
    )
    depth = draw(st.integers(500, 50000))
    if kind == "random":
        body = magic + draw(st.binary(max_size=64))
    elif kind == "non_ascii_sig":
        body = magic + header + b"\n" + "é".encode() * 32 + b"\n" + b"PK\x03\x04"
    elif kind == "deep":
        body = magic + b"[" * depth + b"]" * depth + b"\n" + b"0" * 64 + b"\n" + b""
    elif kind == "huge":
        body = magic + b'{"format": ' + b"9" * 5000 + b"}\n" + b"0" * 64 + b"\n"
    elif kind == "no_newline":
        body = magic + header
    elif kind == "not_object":
        body = magic + b"[1, 2]\n" + b"0" * 64 + b"\n"
    else:
        body = b""
    name = f"model-{kind}.skops"
    if kind == "dir":
        (_workdir() / name).mkdir(exist_ok=True)
    return name, body


def _load_model(case: tuple[str, bytes]) -> object:
    name, body = case
    if name.startswith("model-missing"):
        return load_model(_workdir() / "absent" / name, key=_KEY)
    return load_model(_write(name, body), key=_KEY)


def _registry_load(case: tuple[str, bytes]) -> object:
    name, body = case
    return leadqual.ModelRegistry.load(_write(name, body), key=_KEY)


# -- scoring -----------------------------------------------------------------------------------


def _fit(case: tuple[pd.DataFrame, list[Any]]) -> object:
    X, y = case
    return leadqual.LeadScorer(model="linear", cv=2).fit(X, y)


def _fit_clean_labels(case: pd.DataFrame) -> object:
    y = [i % 2 for i in range(len(case))]
    return leadqual.LeadScorer(model="linear", cv=2).fit(case, y)


_scoring_frames = frames(_TRAIN_COLUMNS, extra=("other",))


# -- dedupe ------------------------------------------------------------------------------------

_LEAD_COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "company_name",
    "emails",
    "phones",
    "country",
    "website",
)


@st.composite
def lead_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A leads table with hostile cells, sometimes a duplicated column or a missing one."""
    frame = draw(frames(_LEAD_COLUMNS, max_rows=6))
    if "id" in frame.columns and draw(st.booleans()):
        frame = frame.loc[:, ~frame.columns.duplicated()].copy()
        frame["id"] = [f"L{i}" for i in range(len(frame))]
    return frame


# -- prioritise --------------------------------------------------------------------------------

_RANK_COLUMNS = (
    "lead_id",
    "owner_id",
    "handraiser",
    "handraiser_segments",
    "icp_tier",
    "icp_score",
    "predictive_score",
    "engagement_score",
    "open_opportunity_value",
    "other_open_leads",
    "account_band",
    "days_since_touch",
)


_ICP_COLUMNS = (
    "account.industry",
    "lead.industry",
    "account.employee_count",
    "lead.employee_count",
    "account.address.country",
    "lead.address.country",
    "lead.job_title",
    "lead.need",
)


# -- the catalogue -----------------------------------------------------------------------------


def _models() -> list[type[Any]]:
    from pydantic import BaseModel

    out = []
    for name in sorted(leadqual.__all__):
        obj = getattr(leadqual, name)
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            out.append(obj)
    return out


def _validate_model(case: tuple[int, Any]) -> object:
    models = _models()
    index, data = case
    return models[index % len(models)].model_validate(data)


def _construct_model(case: tuple[int, dict[str, Any]]) -> object:
    models = _models()
    index, data = case
    return models[index % len(models)](**data)


def _context(i: int) -> Any:
    contexts = _contexts()
    return contexts[i % len(contexts)]


def _email(case: Any) -> object:
    return leadqual.EmailValidator(check_deliverability=False).validate(case)


def _aemail(case: Any) -> object:
    return asyncio.run(leadqual.EmailValidator(check_deliverability=False).avalidate(case))


def _email_many(case: Any) -> object:
    return leadqual.EmailValidator(check_deliverability=False).validate_many(case)


def _match(case: Any) -> object:
    return _matcher().match(case)


def _match_frame(case: pd.DataFrame) -> object:
    return _matcher().match_frame(case, reasons=True)


def _rank(case: tuple[Any, Any]) -> object:
    contexts, now = case
    return leadqual.Prioritizer.from_config(_config()).rank(contexts, now=now)


def _with_lead_ids(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(lead_id=[f"L{i}" for i in range(len(frame))])


def _rank_frame(case: pd.DataFrame) -> object:
    return leadqual.Prioritizer.from_config(_config()).rank_frame(case)


def _advise(case: tuple[int, Any]) -> object:
    i, now = case
    return leadqual.ActionAdvisor().advise(_context(i), now=now)


def _draft(case: tuple[int, str, dict[str, Any]]) -> object:
    i, kind, lead_fields = case
    context = _context(i)
    lead = context.lead.model_copy(update=lead_fields)
    context = context.model_copy(update={"lead": lead})
    return leadqual.TemplateDrafter(_config()).draft(
        context, leadqual.NextAction(kind=kind, reasons=("fuzz",))
    )


def _parse_event(case: Any) -> object:
    from leadqual.agent import parse_event

    return parse_event(case)


def _store_open(case: tuple[str, bytes]) -> object:
    name, body = case
    path = _write(name, body)
    store = leadqual.SqlInsightStore(f"sqlite:///{path}")
    return store


def _find_frame(case: pd.DataFrame) -> object:
    return leadqual.DuplicateDetector().find_frame(case)


def _find(case: Any) -> object:
    return leadqual.DuplicateDetector().find(case)


def _qualification(case: Any) -> object:
    sample = _sample()
    checker = leadqual.QualificationChecker(
        accounts=sample.crm.accounts[:20], contacts=sample.crm.contacts[:20]
    )
    return checker.find(case)


def _score_record(case: dict[str, Any]) -> object:
    return _scorer().score_record(case)


def _researcher(case: Any) -> object:
    return leadqual.Researcher(config=_config()).research(case)


def _grade(case: Any) -> object:
    return leadqual.GradeScheme().grade(case)


def _suppression_add(case: Any) -> object:
    return leadqual.SuppressionList().add(case)


def _matcher_from_config(case: Any) -> object:
    return leadqual.IcpMatcher.from_config(case)


nows = st.one_of(
    st.none(),
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
    ),
    cells,
)

store_files = st.tuples(
    st.sampled_from(["store-a.db", "store-b.db", "store-c.sqlite"]),
    st.one_of(st.binary(max_size=64), st.just(b"SQLite format 3\x00" + b"\x00" * 84)),
)


ENTRY_POINTS: tuple[EntryPoint, ...] = (
    EntryPoint("AgentConfig.from_file", config_files(), _from_file),
    EntryPoint(
        "models.model_validate", st.tuples(st.integers(0, 200), json_values), _validate_model
    ),
    EntryPoint(
        "models.constructor",
        st.tuples(st.integers(0, 200), st.dictionaries(st.text(max_size=12), anything, max_size=4)),
        _construct_model,
    ),
    EntryPoint("IcpMatcher.from_config", anything, _matcher_from_config),
    EntryPoint("IcpMatcher.match", anything, _match),
    EntryPoint(
        "IcpMatcher.match_frame",
        frames(_ICP_COLUMNS),
        _match_frame,
    ),
    EntryPoint("LeadScorer.fit", st.tuples(_scoring_frames, labels), _fit),
    EntryPoint("LeadScorer.fit (clean labels)", _scoring_frames, _fit_clean_labels),
    EntryPoint("LeadScorer.predict_proba", _scoring_frames, lambda X: _scorer().predict_proba(X)),
    EntryPoint("LeadScorer.score_frame", _scoring_frames, lambda X: _scorer().score_frame(X)),
    EntryPoint("LeadScorer.explain", _scoring_frames, lambda X: _scorer().explain(X)),
    EntryPoint(
        "LeadScorer.score_record",
        st.dictionaries(st.sampled_from((*_TRAIN_COLUMNS, "other")), cells, max_size=4),
        _score_record,
    ),
    EntryPoint("load_model", model_files(), _load_model),
    EntryPoint("ModelRegistry.load", model_files(), _registry_load),
    EntryPoint("DuplicateDetector.find_frame", lead_frames(), _find_frame),
    EntryPoint(
        "DuplicateDetector.find", st.one_of(lead_frames(), st.lists(anything, max_size=3)), _find
    ),
    EntryPoint("QualificationChecker.find", anything, _qualification),
    EntryPoint("Prioritizer.rank", st.tuples(st.lists(anything, max_size=2), nows), _rank),
    EntryPoint(
        "Prioritizer.rank_frame",
        st.one_of(
            frames(_RANK_COLUMNS, max_rows=6),
            frames(_RANK_COLUMNS[1:], max_rows=6, duplicate=False).map(_with_lead_ids),
        ),
        _rank_frame,
    ),
    EntryPoint("EmailValidator.validate", anything, _email),
    EntryPoint("EmailValidator.avalidate", anything, _aemail),
    EntryPoint(
        "EmailValidator.validate_many",
        st.one_of(anything, st.lists(anything, max_size=3)),
        _email_many,
    ),
    EntryPoint("classify_reply", anything, lambda text: leadqual.classify_reply(text)),
    EntryPoint("ActionAdvisor.advise", st.tuples(st.integers(0, 5), nows), _advise),
    EntryPoint(
        "TemplateDrafter.draft",
        st.tuples(
            st.integers(0, 5),
            st.sampled_from(["initial_outreach", "follow_up_email", "schedule_appointment"]),
            st.fixed_dictionaries(
                {},
                optional={
                    "first_name": st.one_of(st.none(), st.text(max_size=30)),
                    "company_name": st.one_of(st.none(), st.text(max_size=30)),
                    "job_title": st.one_of(st.none(), st.text(max_size=30)),
                    "topic": st.one_of(st.none(), st.text(max_size=60)),
                },
            ),
        ),
        _draft,
    ),
    EntryPoint(
        "parse_event",
        st.one_of(
            anything,
            st.dictionaries(
                st.sampled_from(["type", "lead_id", "at", "id", "fields"]), json_values, max_size=4
            ),
        ),
        _parse_event,
    ),
    EntryPoint("SqlInsightStore", store_files, _store_open),
    EntryPoint("Researcher.research", anything, _researcher),
    EntryPoint("GradeScheme.grade", anything, _grade),
    EntryPoint("SuppressionList.add", anything, _suppression_add),
)
"""Every public entry point under test, with its hostile inputs."""
