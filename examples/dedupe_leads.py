"""Find duplicate leads in the sample CRM, merge one pair and undo it, and run the
qualification check for a new lead. Offline; runs in about a second."""

from __future__ import annotations

from leadqual.dedupe import (
    DuplicateDetector,
    MergeJournal,
    QualificationChecker,
    SurvivorshipPolicy,
    plan_merge,
)
from leadqual.sources import load_sample_data


def main() -> None:
    data = load_sample_data()
    crm = data.crm
    by_id = {lead.id: lead for lead in crm.leads}

    # 1. Batch: every duplicate pair with the rule that found it.
    report = DuplicateDetector().find(crm.leads)
    print(
        f"{len(report.pairs)} duplicate pairs among {len(crm.leads)} leads "
        f"({report.blocking.candidates} candidate pairs compared):"
    )
    for pair in report.pairs:
        print(f"  {pair.left_id} ~ {pair.right_id}  [{pair.rule}]  {pair.explanation}")

    # 2. Incremental: a lead being created, checked against the rest.
    new = by_id["L-0249"]
    index = DuplicateDetector().index([lead for lead in crm.leads if lead.id != new.id])
    for pair in index.find(new):
        print(f"New lead {new.full_name!r} duplicates {pair.left_id}: {pair.explanation}")

    # 3. Merge with survivorship, then undo it exactly.
    plan = plan_merge(
        [by_id["L-0190"], new],
        policy=SurvivorshipPolicy(
            fields={
                "company_name": "most_complete",
                "first_name": "most_complete",
                "email": "survivor",
            }
        ),
    )
    print(f"Merge into {plan.survivor_id}:")
    for d in plan.decisions:
        if d.alternatives:
            print(f"  {d.field}: keep {d.value!r} from {d.from_id} ({d.reason})")
    journal = MergeJournal()
    merged = journal.merge(crm, plan, at=data.as_of)
    restored = journal.undo(merged, journal.records[-1].merge_id)
    print("Undo restored the CRM exactly:", restored == crm)

    # 4. Qualification: which accounts and contacts would this lead duplicate?
    checker = QualificationChecker(accounts=crm.accounts, contacts=crm.contacts)
    check = checker.find(by_id["L-0252"])
    print(f"Qualifying {by_id['L-0252'].full_name}: {check.suggestion}")
    for match in (*check.accounts, *check.contacts):
        differing = ", ".join(f"{f.field}={f.record_value!r}" for f in match.differing[:3])
        print(
            f"  {match.kind} {match.record_id} {match.name} ({', '.join(match.rules)}); "
            f"record has {differing}"
        )


if __name__ == "__main__":
    main()
