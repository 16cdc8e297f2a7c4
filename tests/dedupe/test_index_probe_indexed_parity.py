"""A record that is itself in the index (as the agent keeps every CRM lead there, the lead it is
checking included) gets the pairs batch mode gives it over the same records: the record is not
counted in its own block or window, in a crowded block it leads when it comes first, and an
update keeps its place in the records' order."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.dedupe import (
    BlockingKey,
    Comparison,
    Condition,
    DedupeSettings,
    DuplicateDetector,
    FieldSpec,
    Rule,
)

_SETTINGS = DedupeSettings(
    fields=(
        FieldSpec(name="company", kind="company"),
        FieldSpec(name="email", kind="email"),
    ),
    blocking=(
        BlockingKey(name="company", fields=("company",)),
        BlockingKey(name="email_sorted", fields=("email",), window=3),
    ),
    comparisons=(
        Comparison(name="company", fields=("company",), method="company"),
        Comparison(name="email", fields=("email",), method="exact"),
    ),
    rules=(
        Rule(name="same_company", all_of=(Condition(comparison="company"),)),
        Rule(name="same_email", all_of=(Condition(comparison="email"),)),
    ),
    max_block_size=3,
)

# Email as a plain blocking key as well: the exact-email pairing inside a crowded company block
# then reads the email block's own table, which updates and removals must keep right for both.
_EMAIL_BLOCKED = _SETTINGS.replace(
    blocking=(
        BlockingKey(name="company", fields=("company",)),
        BlockingKey(name="email", fields=("email",)),
    )
)
_BOTH = pytest.mark.parametrize("dedupe", [_SETTINGS, _EMAIL_BLOCKED], ids=["sorted", "blocked"])

_COMPANIES = ["Acme Inc.", "Acme", "Globex", "Initech LLC", ""]
_EMAILS = ["ann@acme.com", "bob@acme.com", "cy@acme.com", "dee@globex.com", ""]
_ROW = st.tuples(st.sampled_from(_COMPANIES), st.sampled_from(_EMAILS))


def _frame(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [f"r{k:02d}" for k in range(len(rows))],
            "company": [c or None for c, _ in rows],
            "email": [e or None for _, e in rows],
        }
    )


def _batch_pairs(detector: DuplicateDetector, frame: pd.DataFrame, probe: str) -> set[str]:
    report = detector.find(frame)
    out = set()
    for p in report.pairs:
        if probe in (p.left_id, p.right_id):
            out.add(p.right_id if p.left_id == probe else p.left_id)
    return out


@_BOTH
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=2, max_size=9), data=st.data())
def test_a_probe_in_the_index_gets_the_pairs_batch_mode_gives_it(
    dedupe: DedupeSettings, rows: list[tuple[str, str]], data: st.DataObject
) -> None:
    frame = _frame(rows)
    detector = DuplicateDetector(dedupe)
    index = detector.index(frame)
    probe = data.draw(st.sampled_from(list(frame["id"])))
    record = frame[frame["id"] == probe].iloc[0].to_dict()
    found = {p.left_id for p in index.find(record)}
    assert found == _batch_pairs(detector, frame, probe)


@_BOTH
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(_ROW, min_size=2, max_size=9), data=st.data())
def test_after_an_update_the_probe_keeps_its_place_in_the_order(
    dedupe: DedupeSettings, rows: list[tuple[str, str]], data: st.DataObject
) -> None:
    frame = _frame(rows)
    detector = DuplicateDetector(dedupe)
    index = detector.index(frame)
    k = data.draw(st.integers(0, len(rows) - 1))
    company, email = data.draw(_ROW)
    # The CRM updates record k in place: batch mode reads it where it always was.
    frame.loc[k, "company"] = company or None
    frame.loc[k, "email"] = email or None
    record = frame.iloc[k].to_dict()
    index.upsert(record)
    probe = data.draw(st.sampled_from(list(frame["id"])))
    found = {p.left_id for p in index.find(frame[frame["id"] == probe].iloc[0].to_dict())}
    assert found == _batch_pairs(detector, frame, probe)


def test_the_leader_of_a_crowded_block_pairs_with_every_record_sharing_its_key() -> None:
    frame = _frame([("Acme Inc.", "ann@acme.com")] * 5)
    detector = DuplicateDetector(_SETTINGS)
    index = detector.index(frame)
    first = frame.iloc[0].to_dict()
    assert {p.left_id for p in index.find(first)} == {"r01", "r02", "r03", "r04"}


def test_a_removed_record_leaves_no_values_in_the_index() -> None:
    frame = _frame([("Acme Inc.", "ann@acme.com"), ("Globex", "secret@person.com")])
    index = DuplicateDetector(_SETTINGS).index(frame)
    index.remove("r01")
    kept = repr(vars(index))
    assert "secret" not in kept
    assert "r01" not in kept


def test_many_updates_do_not_grow_the_index_without_bound() -> None:
    frame = _frame([("Acme Inc.", "ann@acme.com"), ("Globex", "bob@globex.com")])
    detector = DuplicateDetector(_SETTINGS)
    index = detector.index(frame)
    for k in range(3000):
        index.upsert({"id": "r00", "company": f"Acme {k % 7}", "email": f"u{k}@acme.com"})
    assert len(index._ids) < 2100
    assert len(index) == 2
    # ...and still answers as a fresh index over the records as they are now.
    now = {"id": "r00", "company": "Acme 5", "email": "u2999@acme.com"}
    fresh = pd.DataFrame([now, {"id": "r01", "company": "Globex", "email": "bob@globex.com"}])
    assert {p.left_id for p in index.find({**now, "id": "zz"})} == {
        p.left_id for p in detector.index(fresh).find({**now, "id": "zz"})
    }


@_BOTH
def test_an_updated_record_keeps_its_lead_in_a_crowded_block(dedupe: DedupeSettings) -> None:
    # r00 and r03.. share an email inside a crowded company block. Updating r00 (away and
    # back) re-adds it behind every other record, but the records' order (and batch mode's)
    # still has it first, so a new record with that email pairs with r00, not r03.
    frame = _frame([("Acme Inc.", "ann@acme.com"), *[("Acme Inc.", "bob@acme.com")] * 2])
    frame = pd.concat([frame, _frame([("Acme Inc.", "ann@acme.com")] * 4)], ignore_index=True)
    frame["id"] = [f"r{k:02d}" for k in range(len(frame))]
    detector = DuplicateDetector(dedupe)
    index = detector.index(frame)
    assert index.upsert({"id": "r00", "company": "Globex", "email": "ann@acme.com"})
    assert index.upsert(frame.iloc[0].to_dict())
    new = {"id": "new", "company": "Acme Inc.", "email": "ann@acme.com"}
    batch = pd.concat([frame, pd.DataFrame([new])], ignore_index=True)
    assert {p.left_id for p in index.find(new)} == _batch_pairs(detector, batch, "new")
    assert "r00" in {p.left_id for p in index.find(new)}


@_BOTH
def test_records_sharing_a_value_leave_nothing_of_it_when_all_are_removed(
    dedupe: DedupeSettings,
) -> None:
    frame = _frame([("Globex", "secret@person.com")] * 3 + [("Acme Inc.", "ann@acme.com")])
    index = DuplicateDetector(dedupe).index(frame)
    for rid in ("r00", "r01", "r02"):
        assert index.remove(rid)
    assert "secret" not in repr(vars(index))
    assert {p.left_id for p in index.find({"id": "x", "company": "Globex", "email": None})} == set()
