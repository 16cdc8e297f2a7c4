"""The InsightStore contract, run against every store: memory, SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadqual.errors import StoreConflict, StoreError, ValidationFailed
from leadqual.insight import (
    AuditRecord,
    ConsentRecord,
    Feedback,
    InsightSummary,
    LeadInsight,
    ReviewItem,
)
from leadqual.sources import MemorySource
from leadqual.sources.base import build_context
from leadqual.store import SCHEMA_VERSION, InsightStore

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
MakeInsight = Callable[..., LeadInsight]
PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _consent(seller_id: str, at: datetime, *, research: bool) -> ConsentRecord:
    return ConsentRecord(seller_id=seller_id, web_research=research, recorded_at=at)


def _feedback(lead_id: str, at: datetime, *, accepted: bool = True) -> Feedback:
    return Feedback(
        lead_id=lead_id,
        seller_id="S-1",
        insight_version=1,
        verdict="accepted" if accepted else "rejected",
        reason=None if accepted else "wrong_timing",
        comment=None if accepted else "next quarter",
        at=at,
    )


def _review(lead_id: str, at: datetime, status: str = "open") -> ReviewItem:
    resolved = status != "open"
    return ReviewItem(
        lead_id=lead_id,
        reason="no budget and not interested",
        proposed_at=at,
        status=status,  # type: ignore[arg-type]
        resolved_by="M-1" if resolved else None,
        resolved_at=at + timedelta(hours=2) if resolved else None,
        reassigned_to="S-2" if status == "reassigned" else None,
    )


def _audit(item: LeadInsight, source: MemorySource) -> AuditRecord:
    return AuditRecord(
        lead_id=item.lead_id,
        insight_version=item.version,
        recorded_at=item.refreshed_at,
        config_hash=item.config_hash,
        sources=("crm",),
        context=build_context(source, "L-0171"),
    )


# -- the protocol and round trips ---------------------------------------------------------------


def test_store_implements_the_protocol_at_the_current_schema(store: InsightStore) -> None:
    assert isinstance(store, InsightStore)
    assert store.schema_version == SCHEMA_VERSION


def test_an_empty_store_knows_nothing(store: InsightStore) -> None:
    assert store.latest("L-1") is None
    assert list(store.history("L-1")) == []
    assert list(store.insights()) == []
    assert list(store.due(T0)) == []
    assert list(store.audit("L-1")) == []
    assert store.consent("S-1") is None
    assert list(store.consent_history("S-1")) == []
    assert list(store.feedback()) == []
    assert list(store.reviews(status=None)) == []
    assert store.review("L-1") is None
    assert list(store.pending("B-1")) == []
    assert store.erase("L-1") == 0


def test_realistic_insights_and_audit_records_read_back_equal(
    store: InsightStore, realistic: list[tuple[LeadInsight, AuditRecord]]
) -> None:
    for item, record in realistic:
        store.save(item, record)
    for item, record in realistic:
        assert store.latest(item.lead_id) == item
        assert list(store.history(item.lead_id)) == [item]
        assert list(store.audit(item.lead_id)) == [record]
    # The components' results survive, not just the ids: spot-check the deep parts.
    back = store.latest(realistic[0][0].lead_id)
    assert back is not None
    assert back.research == realistic[0][0].research
    assert back.research is not None and back.research.crm is not None
    assert back.is_handraiser == realistic[0][0].is_handraiser
    assert any(item.draft is not None for item, _ in realistic)
    assert all(item.email is not None and item.icp_fit is not None for item, _ in realistic)
    assert store.insights() == sorted((i for i, _ in realistic), key=lambda i: i.lead_id)


def test_consent_feedback_and_review_records_read_back_equal(store: InsightStore) -> None:
    given_consent = ConsentRecord(
        seller_id="S-1",
        web_research=True,
        read_emails=True,
        llm_drafting=False,
        recorded_at=T0,
        recorded_by="admin@contoso.com",
    )
    store.record_consent(given_consent)
    rejected = _feedback("L-1", T0, accepted=False)
    store.add_feedback(rejected)
    item = _review("L-1", T0, "reassigned")
    store.put_review(item)
    assert store.consent("S-1") == given_consent
    assert list(store.feedback()) == [rejected]
    assert store.review("L-1") == item
    assert list(store.reviews(status="reassigned")) == [item]


def test_timestamps_with_other_offsets_are_stored_as_the_same_instant(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    plus_two = timezone(timedelta(hours=2))
    item = make_insight("L-1", refreshed_at=datetime(2025, 3, 3, 11, 0, tzinfo=plus_two))
    store.save(item)
    back = store.latest("L-1")
    assert back == item
    assert back is not None and back.refreshed_at == T0
    assert list(store.due(T0 + timedelta(microseconds=1))) == ["L-1"]
    assert list(store.due(T0)) == []
    # A naive ``before`` is read as UTC.
    assert list(store.due(datetime(2025, 3, 3, 9, 0, 1))) == ["L-1"]


def test_what_a_caller_does_to_records_does_not_change_the_store(
    store: InsightStore, realistic: list[tuple[LeadInsight, AuditRecord]]
) -> None:
    item, record = realistic[0]
    store.save(item, record)
    read = store.audit(item.lead_id)[0]
    # Frozen models can still hold plain dicts (custom fields): changing one must not leak.
    read.context.lead.custom_fields["tampered"] = "yes"  # type: ignore[index]
    assert "tampered" not in store.audit(item.lead_id)[0].context.lead.custom_fields
    assert store.audit(item.lead_id)[0] == record


# -- versions, history, conflicts -----------------------------------------------------------------


def test_history_is_oldest_first_and_latest_is_the_newest(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    for version in (1, 2, 5):
        store.save(make_insight("L-1", version, refreshed_at=T0 + timedelta(days=version)))
    assert [i.version for i in store.history("L-1")] == [1, 2, 5]
    latest = store.latest("L-1")
    assert latest is not None and latest.version == 5
    assert latest.refreshed_at == T0 + timedelta(days=5)


@pytest.mark.parametrize("again", [1, 2], ids=["same-version", "older-version"])
def test_a_version_at_or_below_the_stored_one_conflicts_and_stores_nothing(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource, again: int
) -> None:
    store.save(make_insight("L-1", 1))
    store.save(make_insight("L-1", 2))
    stale = make_insight("L-1", again, owner_id="S-9", refreshed_at=T0 - timedelta(days=9))
    with pytest.raises(StoreConflict, match="latest"):
        store.save(stale, _audit(stale, sample_source_frozen))
    assert [i.owner_id for i in store.history("L-1")] == ["S-1", "S-1"]
    assert list(store.audit("L-1")) == []
    assert list(store.insights(owner_ids=["S-9"])) == []
    assert list(store.due(T0)) == []


def test_of_threads_saving_the_same_version_exactly_one_wins(
    open_store: Callable[[], InsightStore], make_insight: MakeInsight
) -> None:
    store = open_store()
    store.save(make_insight("L-1", 1))
    results: list[str] = []
    start = threading.Barrier(8)

    def refresh(n: int) -> None:
        start.wait()
        try:
            store.save(make_insight("L-1", 2, owner_id=f"S-{n}"))
            results.append("saved")
        except StoreConflict:
            results.append("conflict")

    threads = [threading.Thread(target=refresh, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(results) == {"saved": 1, "conflict": 7}
    assert [i.version for i in store.history("L-1")] == [1, 2]


def test_threads_saving_different_versions_never_move_latest_backwards(
    open_store: Callable[[], InsightStore], make_insight: MakeInsight
) -> None:
    store = open_store()
    saved: list[int] = []
    start = threading.Barrier(6)

    def refresh(version: int) -> None:
        start.wait()
        try:
            store.save(make_insight("L-1", version))
            saved.append(version)
        except StoreConflict:
            pass

    threads = [threading.Thread(target=refresh, args=(v,)) for v in range(1, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each save either moved the lead forwards or was refused: the order they won in ascends.
    assert saved == sorted(saved)
    assert [i.version for i in store.history("L-1")] == saved
    latest = store.latest("L-1")
    assert latest is not None and latest.version == max(saved)


def test_an_audit_record_of_another_insight_is_refused_and_nothing_is_stored(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    item = make_insight("L-1", 2)
    other = _audit(make_insight("L-1", 1), sample_source_frozen)
    with pytest.raises(ValidationFailed, match="own audit record"):
        store.save(item, other)
    with pytest.raises(ValidationFailed, match="own audit record"):
        store.save(item, _audit(make_insight("L-2", 2), sample_source_frozen))
    assert store.latest("L-1") is None
    assert list(store.audit("L-1")) == []


def test_an_audit_record_that_cannot_be_serialised_stores_neither_record(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    store.save(make_insight("L-1", 1))
    item = make_insight("L-1", 2)
    # Built without validation, as a buggy caller might: its context is not a model.
    broken = AuditRecord.model_construct(
        lead_id="L-1",
        insight_version=2,
        recorded_at=T0,
        config_hash="cafe",
        context=object(),
    )
    with pytest.raises(ValidationFailed, match="audit cannot be stored"):
        store.save(item, broken)
    latest = store.latest("L-1")
    assert latest is not None and latest.version == 1
    assert list(store.audit("L-1")) == []
    # The failed save left nothing behind that blocks the retry.
    store.save(item, _audit(item, sample_source_frozen))
    assert [a.insight_version for a in store.audit("L-1")] == [2]


def test_save_refuses_what_is_not_an_insight(store: InsightStore) -> None:
    with pytest.raises(ValidationFailed, match="LeadInsight"):
        store.save({"lead_id": "L-1"})  # type: ignore[arg-type]


# -- queries ------------------------------------------------------------------------------------


def test_insights_are_the_latest_per_lead_of_the_given_owners_by_lead_id(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    store.save(make_insight("L-3", 1, owner_id="S-1"))
    store.save(make_insight("L-1", 1, owner_id="S-1"))
    store.save(make_insight("L-2", 1, owner_id="S-2"))
    store.save(make_insight("L-4", 1, owner_id=None))
    # L-1 is reassigned: it now belongs to S-2 only.
    store.save(make_insight("L-1", 2, owner_id="S-2"))
    assert [(i.lead_id, i.version) for i in store.insights(owner_ids=["S-1"])] == [("L-3", 1)]
    assert [(i.lead_id, i.version) for i in store.insights(owner_ids={"S-2"})] == [
        ("L-1", 2),
        ("L-2", 1),
    ]
    assert [i.lead_id for i in store.insights()] == ["L-1", "L-2", "L-3", "L-4"]
    assert [i.version for i in store.insights()] == [2, 1, 1, 1]
    assert list(store.insights(owner_ids=[])) == []
    assert list(store.insights(owner_ids=["S-unknown"])) == []


def test_insights_order_lead_ids_by_code_point_in_every_store(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    ids = ["lead-b", "Lead-a", "L_1", "L-1", "L10", "L2", "Ärzte-1", "zeta"]
    for lead_id in ids:
        store.save(make_insight(lead_id))
    assert [i.lead_id for i in store.insights()] == sorted(ids)


def test_due_lists_leads_by_their_newest_refresh_oldest_first(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    store.save(make_insight("L-a", 1, refreshed_at=T0 + timedelta(days=3)))
    store.save(make_insight("L-b", 1, refreshed_at=T0 + timedelta(days=1)))
    store.save(make_insight("L-c", 1, refreshed_at=T0 + timedelta(days=1)))
    store.save(make_insight("L-d", 1, refreshed_at=T0))
    store.save(make_insight("L-d", 2, refreshed_at=T0 + timedelta(days=10)))  # refreshed since
    cutoff = T0 + timedelta(days=5)
    assert list(store.due(cutoff)) == ["L-b", "L-c", "L-a"]
    assert list(store.due(cutoff, limit=2)) == ["L-b", "L-c"]
    assert list(store.due(cutoff, limit=0)) == []
    assert list(store.due(T0 + timedelta(days=1))) == []


@pytest.mark.parametrize("limit", [-1, 1.5, "3", True])
def test_due_refuses_a_bad_limit(store: InsightStore, limit: object) -> None:
    with pytest.raises(ValidationFailed, match="limit"):
        store.due(T0, limit=limit)  # type: ignore[arg-type]


def test_due_refuses_what_is_not_a_datetime(store: InsightStore) -> None:
    with pytest.raises(ValidationFailed, match="before"):
        store.due("2025-03-03")  # type: ignore[arg-type]


# -- erasure ------------------------------------------------------------------------------------


def test_erase_removes_everything_about_the_lead_and_nothing_else(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    for lead_id in ("L-1", "L-2"):
        for version in (1, 2):
            item = make_insight(lead_id, version, refreshed_at=T0 + timedelta(days=version))
            store.save(item, _audit(item, sample_source_frozen))
        store.add_feedback(_feedback(lead_id, T0))
        store.put_review(_review(lead_id, T0))
    store.start_batch("B-1", ["L-1", "L-2"])
    store.start_batch("B-2", ["L-2", "L-1"])
    store.record_consent(_consent("S-1", T0, research=True))

    # 2 insights + 2 audit records + 1 feedback + 1 review + 2 batch entries
    assert store.erase("L-1") == 8

    assert store.latest("L-1") is None
    assert list(store.history("L-1")) == []
    assert list(store.audit("L-1")) == []
    assert list(store.feedback(lead_id="L-1")) == []
    assert store.review("L-1") is None
    assert [i.lead_id for i in store.insights()] == ["L-2"]
    assert list(store.due(T0 + timedelta(days=30))) == ["L-2"]
    assert list(store.pending("B-1")) == ["L-2"]
    assert list(store.pending("B-2")) == ["L-2"]
    assert [f.lead_id for f in store.feedback()] == ["L-2"]
    assert [r.lead_id for r in store.reviews()] == ["L-2"]
    # The other lead and the seller's consent are untouched.
    assert [i.version for i in store.history("L-2")] == [1, 2]
    assert len(store.audit("L-2")) == 2
    assert store.consent("S-1") is not None
    # Erasing again finds nothing; the lead can be stored afresh from version 1.
    assert store.erase("L-1") == 0
    store.save(make_insight("L-1", 1))
    assert [i.version for i in store.history("L-1")] == [1]


# -- consent ------------------------------------------------------------------------------------


def test_the_newest_consent_is_in_force_and_history_is_kept(store: InsightStore) -> None:
    given_ = _consent("S-1", T0, research=True)
    withdrawn = _consent("S-1", T0 + timedelta(days=2), research=False)
    # Recorded later but about an earlier time (a backfilled paper form): history, not in force.
    backfilled = _consent("S-1", T0 + timedelta(days=1), research=True)
    for record in (given_, withdrawn, backfilled):
        store.record_consent(record)
    store.record_consent(_consent("S-2", T0, research=True))
    assert store.consent("S-1") == withdrawn
    assert list(store.consent_history("S-1")) == [given_, backfilled, withdrawn]
    assert [c.seller_id for c in store.consent_history("S-2")] == ["S-2"]


def test_of_consents_recorded_for_the_same_instant_the_later_one_is_in_force(
    store: InsightStore,
) -> None:
    store.record_consent(_consent("S-1", T0, research=True))
    store.record_consent(_consent("S-1", T0, research=False))
    in_force = store.consent("S-1")
    assert in_force is not None and in_force.web_research is False


# -- feedback and review ------------------------------------------------------------------------


def test_feedback_is_oldest_first_of_one_lead_or_all(store: InsightStore) -> None:
    late = _feedback("L-1", T0 + timedelta(hours=5), accepted=False)
    early = _feedback("L-2", T0)
    middle = _feedback("L-1", T0 + timedelta(hours=1))
    for item in (late, early, middle):
        store.add_feedback(item)
    assert list(store.feedback()) == [early, middle, late]
    assert list(store.feedback(lead_id="L-1")) == [middle, late]
    assert list(store.feedback(lead_id="L-3")) == []


def test_reviews_are_listed_by_status_oldest_proposal_first(store: InsightStore) -> None:
    store.put_review(_review("L-2", T0 + timedelta(days=1)))
    store.put_review(_review("L-1", T0 + timedelta(days=2)))
    store.put_review(_review("L-3", T0))
    assert [r.lead_id for r in store.reviews()] == ["L-3", "L-2", "L-1"]
    # A supervisor confirms L-2: it leaves the open list, replaced rather than duplicated.
    store.put_review(_review("L-2", T0 + timedelta(days=1), "confirmed"))
    assert [r.lead_id for r in store.reviews()] == ["L-3", "L-1"]
    assert [r.lead_id for r in store.reviews(status="confirmed")] == ["L-2"]
    assert [r.lead_id for r in store.reviews(status=None)] == ["L-3", "L-2", "L-1"]
    confirmed = store.review("L-2")
    assert confirmed is not None and confirmed.status == "confirmed"


def test_reviews_refuse_an_unknown_status(store: InsightStore) -> None:
    with pytest.raises(ValidationFailed, match="status"):
        store.reviews(status="closed")


# -- batches ------------------------------------------------------------------------------------


def test_a_batch_keeps_its_order_and_its_progress_when_started_again(
    store: InsightStore,
) -> None:
    store.start_batch("B-1", ["L-3", "L-1", "L-2", "L-1"])
    assert list(store.pending("B-1")) == ["L-3", "L-1", "L-2"]
    store.mark_done("B-1", "L-1")
    assert list(store.pending("B-1")) == ["L-3", "L-2"]
    # Resuming after a crash: starting the same batch again keeps what was done.
    store.start_batch("B-1", ["L-3", "L-1", "L-2"])
    assert list(store.pending("B-1")) == ["L-3", "L-2"]
    store.start_batch("B-1", ["L-9"])
    assert list(store.pending("B-1")) == ["L-3", "L-2"]
    store.mark_done("B-1", "L-3")
    store.mark_done("B-1", "L-3")
    store.mark_done("B-1", "L-404")  # not in the batch: ignored
    store.mark_done("B-404", "L-2")
    assert list(store.pending("B-1")) == ["L-2"]
    store.mark_done("B-1", "L-2")
    assert list(store.pending("B-1")) == []
    store.start_batch("B-1", ["L-1"])
    assert list(store.pending("B-1")) == []


def test_batches_are_independent(store: InsightStore) -> None:
    store.start_batch("B-1", ["L-1", "L-2"])
    store.start_batch("B-2", ["L-2", "L-1"])
    store.mark_done("B-1", "L-2")
    assert list(store.pending("B-1")) == ["L-1"]
    assert list(store.pending("B-2")) == ["L-2", "L-1"]


def test_a_batch_of_a_bare_string_is_refused(store: InsightStore) -> None:
    with pytest.raises(ValidationFailed, match="lead_ids"):
        store.start_batch("B-1", "L-1")
    assert list(store.pending("B-1")) == []


# -- round-robin ----------------------------------------------------------------------------------


def test_turns_go_round_the_team_in_order(store: InsightStore) -> None:
    team = ["S-a", "S-b", "S-c"]
    assert [store.next_turn("east", team) for _ in range(7)] == [
        "S-a",
        "S-b",
        "S-c",
        "S-a",
        "S-b",
        "S-c",
        "S-a",
    ]
    assert store.next_turn("west", team) == "S-a"  # teams keep their own turn


def test_a_member_who_joins_gets_a_turn_in_the_teams_order(store: InsightStore) -> None:
    assert store.next_turn("east", ["S-a", "S-b"]) == "S-a"
    assert store.next_turn("east", ["S-a", "S-new", "S-b"]) == "S-new"
    assert store.next_turn("east", ["S-a", "S-new", "S-b"]) == "S-b"
    assert store.next_turn("east", ["S-a", "S-new", "S-b"]) == "S-a"


def test_when_the_member_served_last_leaves_the_next_one_is_not_skipped(
    store: InsightStore,
) -> None:
    team = ["S-a", "S-b", "S-c", "S-d"]
    assert [store.next_turn("east", team) for _ in range(2)] == ["S-a", "S-b"]
    # S-b (served last) leaves: S-c, who followed S-b, is next.
    assert store.next_turn("east", ["S-a", "S-c", "S-d"]) == "S-c"
    # S-c and S-d leave at once: the turn wraps to S-a.
    assert store.next_turn("east", ["S-a", "S-e"]) == "S-a"
    # Everyone is new: the first member starts.
    assert store.next_turn("east", ["S-x", "S-y"]) == "S-x"


def test_a_round_robin_needs_members(store: InsightStore) -> None:
    with pytest.raises(ValidationFailed, match="at least one member"):
        store.next_turn("east", [])
    with pytest.raises(ValidationFailed, match="members"):
        store.next_turn("east", "S-a")


def test_concurrent_turns_serve_each_member_equally(open_store: Callable[[], InsightStore]) -> None:
    store = open_store()
    team = ["S-a", "S-b", "S-c"]
    served: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(6)

    def take_turns() -> None:
        start.wait()
        for _ in range(5):
            member = store.next_turn("east", team)
            with lock:
                served.append(member)

    threads = [threading.Thread(target=take_turns) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(served) == {"S-a": 10, "S-b": 10, "S-c": 10}


# -- lifecycle ----------------------------------------------------------------------------------


def test_a_closed_store_refuses_to_work(
    open_store: Callable[[], InsightStore], make_insight: MakeInsight
) -> None:
    store = open_store()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.save(make_insight())
    with pytest.raises(StoreError, match="closed"):
        store.latest("L-1")


def test_a_reopened_store_keeps_everything(
    file_place: Any,
    make_insight: MakeInsight,
    sample_source_frozen: MemorySource,
    opened: list[InsightStore],
) -> None:
    first = file_place.open()
    item = make_insight("L-1", 1)
    first.save(item, _audit(item, sample_source_frozen))
    first.record_consent(_consent("S-1", T0, research=True))
    first.add_feedback(_feedback("L-1", T0))
    first.put_review(_review("L-1", T0))
    first.start_batch("B-1", ["L-1", "L-2"])
    first.mark_done("B-1", "L-1")
    assert first.next_turn("east", ["S-a", "S-b"]) == "S-a"
    first.close()

    again = file_place.open()
    opened.append(again)
    assert again.latest("L-1") == item
    assert list(again.audit("L-1")) == [_audit(item, sample_source_frozen)]
    assert again.consent("S-1") == _consent("S-1", T0, research=True)
    assert list(again.feedback()) == [_feedback("L-1", T0)]
    assert again.review("L-1") == _review("L-1", T0)
    assert list(again.pending("B-1")) == ["L-2"]
    assert again.next_turn("east", ["S-a", "S-b"]) == "S-b"


# -- properties -----------------------------------------------------------------------------------


@PROPERTY
@given(versions=st.lists(st.integers(min_value=1, max_value=30), min_size=1, max_size=12))
def test_any_sequence_of_saves_keeps_the_highest_version_latest(
    store: InsightStore, make_insight: MakeInsight, versions: list[int]
) -> None:
    lead_id = f"L-{uuid.uuid4().hex[:8]}"
    accepted: list[int] = []
    for version in versions:
        try:
            store.save(make_insight(lead_id, version))
            accepted.append(version)
        except StoreConflict:
            assert version <= max(accepted)
    latest = store.latest(lead_id)
    assert latest is not None and latest.version == max(versions)
    assert [i.version for i in store.history(lead_id)] == accepted == sorted(set(accepted))


@PROPERTY
@given(
    plan=st.lists(
        st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(min_value=0, max_value=3)),
        min_size=1,
        max_size=10,
    ),
    victim=st.sampled_from(["a", "b", "c"]),
)
def test_erase_leaves_no_trace_of_the_lead_and_keeps_the_others(
    store: InsightStore,
    make_insight: MakeInsight,
    plan: list[tuple[str, int]],
    victim: str,
) -> None:
    run = uuid.uuid4().hex[:8]
    lead = {name: f"{run}-{name}" for name in "abc"}
    written: Counter[str] = Counter()
    versions: Counter[str] = Counter()
    for name, extra in plan:
        versions[name] += 1
        store.save(make_insight(lead[name], versions[name], owner_id=run))
        written[name] += 1
        for _ in range(extra):
            store.add_feedback(_feedback(lead[name], T0))
            written[name] += 1
    store.start_batch(run, [lead[n] for n in "abc"])
    written.update("abc")
    before = {n: (store.latest(lead[n]), store.feedback(lead_id=lead[n])) for n in "abc"}

    assert store.erase(lead[victim]) == written[victim]

    assert store.latest(lead[victim]) is None
    assert list(store.feedback(lead_id=lead[victim])) == []
    assert lead[victim] not in [i.lead_id for i in store.insights(owner_ids=[run])]
    assert lead[victim] not in store.pending(run)
    for name in "abc":
        if name != victim:
            assert (store.latest(lead[name]), store.feedback(lead_id=lead[name])) == before[name]


@PROPERTY
@given(
    team=st.lists(st.sampled_from("abcdefgh"), min_size=1, max_size=6, unique=True),
    rounds=st.integers(min_value=1, max_value=3),
)
def test_a_steady_team_is_served_in_equal_turns(
    store: InsightStore, team: list[str], rounds: int
) -> None:
    name = uuid.uuid4().hex
    served = [store.next_turn(name, team) for _ in range(rounds * len(team))]
    assert Counter(served) == dict.fromkeys(team, rounds)
    assert served[: len(team)] == team


# -- group saves and the newest audit record ----------------------------------------------------


def test_a_group_save_stores_every_insight_and_marks_the_batch(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    store.start_batch("B-1", ["L-1", "L-2", "L-3"])
    items = [(make_insight(f"L-{k}", 1), None) for k in (1, 2)]
    items[0] = (items[0][0], _audit(items[0][0], sample_source_frozen))
    store.save_many(items, batch_id="B-1")
    assert store.latest("L-1") == items[0][0] and store.latest("L-2") == items[1][0]
    assert [a.lead_id for a in store.audit("L-1")] == ["L-1"] and store.audit("L-2") == []
    assert list(store.pending("B-1")) == ["L-3"]
    store.save_many([])  # nothing to do


def test_a_group_with_one_stale_version_stores_none_and_names_the_lead(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    store.save(make_insight("L-2", 3))
    store.start_batch("B-1", ["L-1", "L-2"])
    with pytest.raises(StoreConflict, match="L-2"):
        store.save_many(
            [(make_insight("L-1", 1), None), (make_insight("L-2", 2), None)], batch_id="B-1"
        )
    assert store.latest("L-1") is None
    assert store.latest("L-2").version == 3  # type: ignore[union-attr]
    assert list(store.pending("B-1")) == ["L-1", "L-2"]
    # and the group goes through once the stale one is left out
    store.save_many([(make_insight("L-1", 1), None)], batch_id="B-1")
    assert list(store.pending("B-1")) == ["L-2"]


@pytest.mark.parametrize(
    "items",
    [
        "L-1",
        [("not an insight", None)],
        [("a", "b", "c")],
        None,
    ],
)
def test_a_group_save_refuses_what_is_not_pairs(store: InsightStore, items: Any) -> None:
    with pytest.raises(ValidationFailed):
        store.save_many(items)


def test_a_group_with_two_insights_of_one_lead_is_refused_whole(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    first = make_insight("L-1", 1)
    wrong_audit = _audit(make_insight("L-9", 1), sample_source_frozen)
    with pytest.raises(ValidationFailed, match="L-1"):
        store.save_many([(first, None), (make_insight("L-1", 2), None)])
    with pytest.raises(ValidationFailed, match="audit"):
        store.save_many([(make_insight("L-2", 1), None), (first, wrong_audit)])
    assert store.latest("L-1") is None and store.latest("L-2") is None


def test_the_newest_audit_record_is_the_last_of_the_history(
    store: InsightStore, make_insight: MakeInsight, sample_source_frozen: MemorySource
) -> None:
    assert store.latest_audit("L-1") is None
    for version in (1, 2, 3):
        insight = make_insight("L-1", version, refreshed_at=T0 + timedelta(days=version))
        store.save(insight, _audit(insight, sample_source_frozen))
    store.save(make_insight("L-2", 1), _audit(make_insight("L-2", 1), sample_source_frozen))
    newest = store.latest_audit("L-1")
    assert newest == store.audit("L-1")[-1]
    assert newest is not None and newest.insight_version == 3


def test_versions_names_the_newest_stored_version_of_leads_that_have_one(
    store: InsightStore, make_insight: MakeInsight
) -> None:
    assert store.versions([]) == {}
    store.save(make_insight("L-1", 1))
    store.save(make_insight("L-1", 2))
    store.save(make_insight("L-3", 1))
    assert store.versions(["L-1", "L-2", "L-3", "L-1"]) == {"L-1": 2, "L-3": 1}
    many = [f"L-x{k}" for k in range(1200)] + ["L-3"]  # more than one statement's parameters
    assert store.versions(many) == {"L-3": 1}
    store.erase("L-1")
    assert store.versions(["L-1"]) == {}


@pytest.mark.parametrize("ids", ["L-1", [1, 2], [None], 42])
def test_versions_refuses_what_is_not_lead_ids(store: InsightStore, ids: Any) -> None:
    with pytest.raises(ValidationFailed, match="lead ids"):
        store.versions(ids)


# -- summaries and research kept once ------------------------------------------------------------


def test_summaries_are_those_of_the_newest_insights_and_read_no_insight(
    store: InsightStore,
    realistic: list[tuple[LeadInsight, AuditRecord]],
    make_insight: Callable[..., LeadInsight],
) -> None:
    for item, record in realistic:
        store.save(item, record)
    store.save_many([(make_insight("L-1", 1, owner_id="S-2"), None)])
    store.save(make_insight("L-1", 2, owner_id="S-3"))
    every = store.insights()
    assert list(store.summaries()) == [InsightSummary.of(i) for i in every]
    assert [s.lead_id for s in store.summaries(owner_ids=["S-3"])] == ["L-1"]
    assert store.summaries(owner_ids=[]) == []
    scored = [s for s in store.summaries() if s.score is not None]
    assert scored and all(s.icp_fit is not None for s in scored)
    assert [s.duplicate_leads for s in store.summaries(owner_ids=["S-3"])] == [("L-9",)]


def test_an_audit_record_sharing_its_insights_research_reads_back_whole(
    store: InsightStore, realistic: list[tuple[LeadInsight, AuditRecord]]
) -> None:
    item, record = realistic[0]
    assert record.research is not None and record.research == item.research
    store.save(item, record)
    # The next version's record keeps research of its own (not the insight's).
    other = realistic[1][0].research
    assert other is not None and other != item.research
    newer = item.replace(version=2)
    own = record.replace(insight_version=2, research=other)
    store.save_many([(newer, own)])
    assert list(store.audit(item.lead_id)) == [record, own]
    assert store.latest_audit(item.lead_id) == own
    # Erasing the lead leaves no record that could refer to its research.
    assert store.erase(item.lead_id) == 4
    assert store.audit(item.lead_id) == [] and store.latest_audit(item.lead_id) is None
