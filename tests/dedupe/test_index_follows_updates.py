"""An index kept current with upsert/remove answers as an index built fresh from the records as
they are now: an updated lead is compared by what it says now, a removed one never again."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.dedupe import DuplicateDetector
from leadqual.errors import ValidationFailed
from leadqual.models import Lead
from leadqual.sources import SampleData, load_sample_data

_LEADS = {x.id: x for x in load_sample_data().crm.leads}
# Leads in known duplicate pairs and a few others: the edits below move them in and out of pairs.
_IDS = ["L-0002", "L-0252", "L-0218", "L-0248", "L-0165", "L-0241", "L-0001", "L-0010"]


def _found(index_pairs: list[object]) -> set[tuple[str, str]]:
    return {(p.left_id, p.rule) for p in index_pairs}  # type: ignore[attr-defined]


def test_an_unchanged_record_is_not_replaced_and_a_changed_one_is(
    sample_data: SampleData,
) -> None:
    index = DuplicateDetector().index(list(sample_data.crm.leads))
    lead = _LEADS["L-0002"]
    assert index.upsert(lead) is False
    assert index.upsert(lead.replace(last_name="Quixote")) is True
    assert len(index) == len(sample_data.crm.leads)


def test_a_record_whose_name_changed_away_is_no_longer_a_duplicate(
    sample_data: SampleData,
) -> None:
    leads = [x for x in sample_data.crm.leads if x.id != "L-0252"]
    index = DuplicateDetector().index(leads)
    assert _found(index.find(_LEADS["L-0252"])) == {("L-0002", "similar_name_domain")}
    index.upsert(
        _LEADS["L-0002"].replace(
            first_name="Zebulon", last_name="Quixote", email="zq@elsewhere.example", website=None
        )
    )
    assert index.find(_LEADS["L-0252"]) == []
    index.upsert(_LEADS["L-0002"])  # and back
    assert _found(index.find(_LEADS["L-0252"])) == {("L-0002", "similar_name_domain")}


def test_a_removed_record_is_never_a_candidate_and_may_come_back(sample_data: SampleData) -> None:
    leads = [x for x in sample_data.crm.leads if x.id != "L-0252"]
    index = DuplicateDetector().index(leads)
    assert index.remove("L-0002") is True
    assert index.remove("L-0002") is False
    assert "L-0002" not in index
    assert index.find(_LEADS["L-0252"]) == []
    index.add(_LEADS["L-0002"])
    assert _found(index.find(_LEADS["L-0252"])) == {("L-0002", "similar_name_domain")}


def test_adding_an_indexed_id_says_to_upsert(sample_data: SampleData) -> None:
    index = DuplicateDetector().index([_LEADS["L-0002"]])
    with pytest.raises(ValidationFailed, match="upsert"):
        index.add(_LEADS["L-0002"])


def test_upsert_refuses_what_is_not_a_record() -> None:
    index = DuplicateDetector().index([])
    with pytest.raises(ValidationFailed, match="Lead or a mapping"):
        index.upsert(42)  # type: ignore[arg-type]


def _edit(lead: Lead, how: int, other: Lead) -> Lead:
    """One of the edits a CRM user makes: take another lead's address, name or company, or
    blank the address."""
    if how == 0:
        return lead.replace(email=other.email)
    if how == 1:
        return lead.replace(first_name=other.first_name, last_name=other.last_name)
    if how == 2:
        return lead.replace(company_name=other.company_name, website=other.website)
    return lead.replace(email=None, phones=())


_STEP = st.tuples(
    st.sampled_from(_IDS), st.integers(0, 4), st.sampled_from(_IDS)
)  # (lead, edit or 4 = remove, the lead whose values it takes)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=st.lists(_STEP, min_size=1, max_size=8), probe=st.sampled_from(_IDS))
def test_after_any_edits_the_index_answers_as_a_fresh_one(
    steps: list[tuple[str, int, str]], probe: str
) -> None:
    detector = DuplicateDetector()
    current = {i: _LEADS[i] for i in _IDS}
    index = detector.index(list(current.values()))
    for lead_id, how, other_id in steps:
        if how == 4:
            index.remove(lead_id)
            current.pop(lead_id, None)
            continue
        base = current.get(lead_id, _LEADS[lead_id])
        edited = _edit(base, how, current.get(other_id, _LEADS[other_id]))
        index.upsert(edited)
        current[lead_id] = edited
    record = current.get(probe, _LEADS[probe])
    fresh = detector.index([x for i, x in current.items() if i != probe])
    expected = {(p.left_id, p.rules) for p in fresh.find(record)}
    assert {(p.left_id, p.rules) for p in index.find(record)} == expected


def test_in_a_crowded_block_removing_the_first_record_pairs_with_the_next() -> None:
    import pandas as pd

    from leadqual.dedupe import BlockingKey, Comparison, Condition, DedupeSettings, FieldSpec, Rule

    settings = DedupeSettings(
        fields=(FieldSpec(name="company", kind="company"),),
        blocking=(BlockingKey(name="company", fields=("company",)),),
        comparisons=(Comparison(name="company", fields=("company",), method="company"),),
        rules=(Rule(name="same_company", all_of=(Condition(comparison="company"),)),),
        max_block_size=3,
    )
    frame = pd.DataFrame({"id": ["a", "b", "c", "d"], "company": ["Acme Inc."] * 4})
    detector = DuplicateDetector(settings)
    index = detector.index(frame)
    new = {"id": "e", "company": "Acme"}
    assert [p.left_id for p in index.find(new)] == ["a"]
    index.remove("a")
    # As a fresh index of what is left answers: the block is still crowded, "b" comes first.
    fresh = detector.index(frame[frame["id"] != "a"])
    assert [p.left_id for p in fresh.find(new)] == ["b"]
    assert [p.left_id for p in index.find(new)] == ["b"]
