"""Merging duplicate leads: survivorship, re-pointing, exact undo."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadqual.dedupe import (
    MergeJournal,
    SurvivorshipPolicy,
    apply_merge,
    plan_merge,
    undo_merge,
)
from leadqual.errors import MergeError, ValidationFailed
from leadqual.models import Lead, LeadStatus, Note, Phone, RecordRef
from leadqual.sources import SampleData
from leadqual.sources.memory import CrmSnapshot

AT = datetime(2026, 11, 1, 12, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def make(lead_id: str, days: int, **kw: object) -> Lead:
    created = T0 + timedelta(days=days)
    return Lead(id=lead_id, created_at=created, modified_at=created, **kw)  # type: ignore[arg-type]


A = make(
    "A",
    0,
    first_name="Robert",
    last_name="Cohen",
    company_name="Pioneer Digital Inc.",
    lead_source="Web form",
    job_title="CTO",
    phones=(Phone(number="+1 512 555 0101"),),
    email="robert@pioneer.com",
)
B = make(
    "B",
    10,
    first_name="Bob",
    last_name="Cohen",
    company_name="PIONEER DIGITAL",
    lead_source="Purchased list",
    job_title=None,
    phones=(Phone(number="512-555-0101"), Phone(number="+1 512 555 0199")),
    email="bob@gmail.com",
    custom_fields={"score": 3},
)


def test_default_plan_keeps_the_oldest_and_takes_the_most_recent_values() -> None:
    plan = plan_merge([B, A])
    assert plan.survivor_id == "A" and plan.merged_ids == ("B",)
    assert plan.merged.first_name == "Bob"  # B was modified last
    assert plan.merged.job_title == "CTO"  # B has none: the latest non-empty value survives
    decision = plan.decision("first_name")
    assert decision.from_id == "B" and decision.alternatives == (("A", "Robert"),)
    assert "most recently" in decision.reason


def test_collections_are_united_and_no_address_is_lost() -> None:
    plan = plan_merge([A, B])
    # +1 512 555 0101 is one number written twice: kept once.
    assert [p.number for p in plan.merged.phones] == ["+1 512 555 0101", "+1 512 555 0199"]
    assert set(plan.merged.all_emails) == {"robert@pioneer.com", "bob@gmail.com"}
    assert plan.merged.custom_fields == {"score": 3}


@pytest.mark.parametrize(
    ("policy", "field", "expected"),
    [
        (SurvivorshipPolicy(default="most_complete"), "company_name", "Pioneer Digital Inc."),
        (SurvivorshipPolicy(fields={"first_name": "survivor"}), "first_name", "Robert"),
        (
            SurvivorshipPolicy(default="source_priority", source_priority=("Web form",)),
            "first_name",
            "Robert",
        ),
        (SurvivorshipPolicy(explicit={"email": "B"}), "email", "bob@gmail.com"),
    ],
)
def test_survivorship_strategies(policy: SurvivorshipPolicy, field: str, expected: str) -> None:
    plan = plan_merge([A, B], policy=policy)
    assert getattr(plan.merged, field) == expected


def test_bad_merge_requests_are_refused() -> None:
    with pytest.raises(MergeError, match="at least two"):
        plan_merge([A, A])
    with pytest.raises(MergeError, match="survivor 'Z'"):
        plan_merge([A, B], survivor_id="Z")
    with pytest.raises(MergeError, match="explicit"):
        plan_merge([A, B], policy=SurvivorshipPolicy(explicit={"email": "Z"}))


def with_note(crm: CrmSnapshot, lead_id: str) -> CrmSnapshot:
    note = Note(
        id="N-x",
        regarding=RecordRef(kind="lead", id=lead_id),
        text="called",
        created_at=AT - timedelta(days=1),
    )
    return crm.model_copy(update={"notes": (*crm.notes, note)})


def test_apply_repoints_activities_and_notes_and_disqualifies_the_duplicate(
    sample_data: SampleData,
) -> None:
    crm = with_note(sample_data.crm, "L-0165")
    leads = {x.id: x for x in crm.leads}
    moved = [a.id for a in crm.activities if a.regarding.id == "L-0165"]
    assert moved
    plan = plan_merge([leads["L-0165"], leads["L-0241"]], survivor_id="L-0241")
    after, record = apply_merge(crm, plan, at=AT)
    new_leads = {x.id: x for x in after.leads}
    loser = new_leads["L-0165"]
    assert loser.status is LeadStatus.DISQUALIFIED and loser.status_reason == "duplicate of L-0241"
    assert new_leads["L-0241"].created_at == leads["L-0165"].created_at  # history kept
    assert all(a.regarding.id == "L-0241" for a in after.activities if a.id in moved)
    assert next(n for n in after.notes if n.id == "N-x").regarding.id == "L-0241"
    assert len(record.activities_before) == len(moved) and len(record.notes_before) == 1
    assert crm.leads == sample_data.crm.leads  # the input snapshot is untouched


def test_apply_moves_only_what_regards_the_merged_lead_and_keeps_the_order(
    sample_data: SampleData,
) -> None:
    crm = with_note(sample_data.crm, "L-0165")
    # A contact that happens to share the merged lead's id is another record: its note stays.
    other = Note(id="N-c", regarding=RecordRef(kind="contact", id="L-0165"), created_at=AT)
    crm = crm.model_copy(update={"notes": (*crm.notes, other)})
    leads = {x.id: x for x in crm.leads}
    plan = plan_merge([leads["L-0165"], leads["L-0241"]], survivor_id="L-0241")
    after, record = apply_merge(crm, plan, at=AT)
    survivor = RecordRef(kind="lead", id="L-0241")
    regards_loser = [a for a in crm.activities if a.regarding.id == "L-0165"]
    assert record.activities_before == tuple(regards_loser)
    assert [a.id for a in record.activities_after] == [a.id for a in regards_loser]
    assert {a.regarding for a in record.activities_after} == {survivor}
    assert [n.id for n in record.notes_before] == ["N-x"]
    assert [a.id for a in after.activities] == [a.id for a in crm.activities]
    assert [n.id for n in after.notes] == [n.id for n in crm.notes]
    assert after.notes[-1] == other


def test_undo_restores_the_snapshot_exactly(sample_data: SampleData) -> None:
    crm = with_note(sample_data.crm, "L-0165")
    leads = {x.id: x for x in crm.leads}
    after, record = apply_merge(crm, plan_merge([leads["L-0165"], leads["L-0241"]]), at=AT)
    assert after != crm
    assert undo_merge(after, record) == crm


def test_undo_is_refused_when_a_touched_record_changed(sample_data: SampleData) -> None:
    crm = sample_data.crm
    leads = {x.id: x for x in crm.leads}
    after, record = apply_merge(crm, plan_merge([leads["L-0001"], leads["L-0251"]]), at=AT)
    changed = after.model_copy(
        update={
            "leads": tuple(
                x.replace(job_title="CEO") if x.id == "L-0001" else x for x in after.leads
            )
        }
    )
    with pytest.raises(MergeError, match=r"L-0001.*changed after the merge"):
        undo_merge(changed, record)


def test_merging_an_already_merged_lead_is_refused(sample_data: SampleData) -> None:
    leads = {x.id: x for x in sample_data.crm.leads}
    plan = plan_merge([leads["L-0001"], leads["L-0251"]])
    after, _ = apply_merge(sample_data.crm, plan, at=AT)
    with pytest.raises(MergeError, match="already merged"):
        apply_merge(after, plan, at=AT)


def test_journal_undoes_merges_in_any_order_when_they_do_not_overlap(
    sample_data: SampleData,
) -> None:
    crm = sample_data.crm
    leads = {x.id: x for x in crm.leads}
    journal = MergeJournal()
    s1 = journal.merge(crm, plan_merge([leads["L-0001"], leads["L-0251"]]), at=AT)
    s2 = journal.merge(s1, plan_merge([leads["L-0218"], leads["L-0248"]]), at=AT)
    first = journal.records[0].merge_id
    s3 = journal.undo(s2, first)
    assert len(journal) == 1
    s4 = journal.undo(s3, journal.records[0].merge_id)
    assert s4 == crm
    with pytest.raises(MergeError, match="no merge"):
        journal.undo(s4, first)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Ana", "Bob", None]),
            st.sampled_from(["Acme", "Acme Inc.", None]),
            st.integers(0, 100),
        ),
        min_size=2,
        max_size=4,
    ),
    st.sampled_from(["most_recent", "most_complete", "survivor"]),
)
def test_merge_then_undo_is_the_identity(
    rows: list[tuple[str | None, str | None, int]], default: str
) -> None:
    leads = tuple(
        make(f"X{i}", d, first_name=f, company_name=c) for i, (f, c, d) in enumerate(rows)
    )
    crm = CrmSnapshot(leads=leads)
    plan = plan_merge(leads, policy=SurvivorshipPolicy(default=default))  # type: ignore[arg-type]
    # Every surviving value comes from one of the merged records.
    for field in ("first_name", "company_name"):
        values = {getattr(x, field) for x in leads}
        assert getattr(plan.merged, field) in values
    after, record = apply_merge(crm, plan, at=AT)
    assert undo_merge(after, record) == crm


def test_a_plan_is_refused_when_a_lead_changed_after_planning() -> None:
    plan = plan_merge([A, B])
    edited = A.replace(job_title="CEO")  # a seller's edit after the plan was made
    crm = CrmSnapshot(leads=(edited, B))
    with pytest.raises(MergeError, match="changed since"):
        apply_merge(crm, plan, at=AT)
    # Planned again on the current records, the edit survives.
    after, _ = apply_merge(crm, plan_merge([edited, B]), at=AT)
    assert next(x for x in after.leads if x.id == "A").job_title == "CEO"


def test_a_merge_time_without_time_zone_is_a_clear_error() -> None:
    with pytest.raises(ValidationFailed, match="at"):
        apply_merge(CrmSnapshot(leads=(A, B)), plan_merge([A, B]), at=datetime(2026, 11, 1))


def test_merging_into_a_lead_closed_as_a_duplicate_is_refused() -> None:
    C = make("C", 20, first_name="Rob", last_name="Cohen")
    after, _ = apply_merge(CrmSnapshot(leads=(A, B, C)), plan_merge([A, B]), at=AT)
    closed_b = next(x for x in after.leads if x.id == "B")
    with pytest.raises(MergeError, match="already merged"):
        apply_merge(after, plan_merge([closed_b, C], survivor_id="B"), at=AT)


def test_different_numbers_ending_in_the_same_digits_are_both_kept() -> None:
    berlin = A.replace(phones=(Phone(number="+49 30 12345678"),))
    maryland = B.replace(phones=(Phone(number="+1 301 234 5678"), Phone(number="+493012345678")))
    numbers = [p.number for p in plan_merge([berlin, maryland]).merged.phones]
    assert numbers == ["+49 30 12345678", "+1 301 234 5678"]


def test_every_decision_shows_the_value_the_merged_lead_gets() -> None:
    plan = plan_merge([A, B], survivor_id="B")
    for decision in plan.decisions:
        assert getattr(plan.merged, decision.field) == decision.value, decision.field
