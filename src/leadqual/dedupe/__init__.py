"""Duplicate detection: the seeds' rules for leads, configurable rules for any table, and
Fellegi-Sunter weights learned without labels; merges with survivorship and exact undo; the
qualification check against accounts and contacts.

Pipeline: normalise -> block -> compare -> classify -> cluster -> explain; see
:class:`DuplicateDetector`.
"""

from leadqual.dedupe.cluster import UnionFind, union_find_clusters
from leadqual.dedupe.detector import (
    BlockingSummary,
    CutLink,
    DuplicateDetector,
    DuplicateIndex,
    DuplicatePair,
    DuplicateReport,
    FieldEvidence,
    accounts_frame,
    contacts_frame,
    find_duplicates,
    leads_frame,
)
from leadqual.dedupe.fellegi_sunter import ComparisonWeights, FellegiSunter
from leadqual.dedupe.merge import (
    FieldDecision,
    MergeJournal,
    MergePlan,
    MergeRecord,
    SurvivorshipPolicy,
    apply_merge,
    plan_merge,
    undo_merge,
)
from leadqual.dedupe.normalize import Normalizer
from leadqual.dedupe.qualify import (
    FieldDifference,
    QualificationCheck,
    QualificationChecker,
    RecordMatch,
    check_qualification,
)
from leadqual.dedupe.settings import (
    EXACT_FIELDS,
    BlockingKey,
    Comparison,
    Condition,
    DedupeSettings,
    FieldSpec,
    Rule,
    account_settings,
    contact_settings,
    lead_settings,
    person_record_settings,
)

__all__ = [
    "EXACT_FIELDS",
    "BlockingKey",
    "BlockingSummary",
    "Comparison",
    "ComparisonWeights",
    "Condition",
    "CutLink",
    "DedupeSettings",
    "DuplicateDetector",
    "DuplicateIndex",
    "DuplicatePair",
    "DuplicateReport",
    "FellegiSunter",
    "FieldDecision",
    "FieldDifference",
    "FieldEvidence",
    "FieldSpec",
    "MergeJournal",
    "MergePlan",
    "MergeRecord",
    "Normalizer",
    "QualificationCheck",
    "QualificationChecker",
    "RecordMatch",
    "Rule",
    "SurvivorshipPolicy",
    "UnionFind",
    "account_settings",
    "accounts_frame",
    "apply_merge",
    "check_qualification",
    "contact_settings",
    "contacts_frame",
    "find_duplicates",
    "lead_settings",
    "leads_frame",
    "person_record_settings",
    "plan_merge",
    "undo_merge",
    "union_find_clusters",
]
