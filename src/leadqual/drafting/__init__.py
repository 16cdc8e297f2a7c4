"""Engagement: reply intents, the next best action with its reasons, and safe drafts.

Nothing here sends email: drafts are returned for the seller to review, edit and send.
"""

from leadqual.drafting.advisor import (
    INITIAL_OUTREACH_CONDITIONS,
    ActionAdvisor,
    ActionKind,
    Condition,
    NextAction,
    ProposedSlot,
    address_warnings,
    check_initial_outreach,
)
from leadqual.drafting.drafts import (
    Draft,
    DraftBlocked,
    Drafter,
    DraftFact,
    NothingToDraft,
)
from leadqual.drafting.facts import collect_facts
from leadqual.drafting.guards import AllowedContent, check_text, data_block, looks_like_injection
from leadqual.drafting.inputs import (
    EmailCheckLike,
    Fact,
    FactKind,
    IcpFitLike,
    NewsLike,
    ProviderResultLike,
    ResearchFactLike,
    ResearchInput,
    ResearchLike,
)
from leadqual.drafting.intents import (
    INTENT_PRIORITY,
    EmailClassifier,
    Intent,
    LabelledReply,
    ReplyClassifier,
    ReplyIntent,
    classify_reply,
    default_classifier,
    load_labelled_replies,
)
from leadqual.drafting.interest import (
    BantAssessment,
    BantItem,
    BantLevel,
    PurchaseInterest,
    assess_bant,
    assess_interest,
    classify_thread,
)
from leadqual.drafting.llm import (
    LlmClient,
    LlmMessage,
    LlmReplyClassifier,
    OpenAICompatibleClient,
)
from leadqual.drafting.llm_drafter import LlmDrafter
from leadqual.drafting.template import TemplateDrafter
from leadqual.suppression import SuppressionList

__all__ = [
    "ActionAdvisor",
    "ActionKind",
    "AllowedContent",
    "BantAssessment",
    "BantItem",
    "BantLevel",
    "Condition",
    "Draft",
    "DraftBlocked",
    "DraftFact",
    "Drafter",
    "EmailCheckLike",
    "EmailClassifier",
    "Fact",
    "FactKind",
    "INITIAL_OUTREACH_CONDITIONS",
    "INTENT_PRIORITY",
    "IcpFitLike",
    "Intent",
    "LabelledReply",
    "LlmClient",
    "LlmDrafter",
    "LlmMessage",
    "LlmReplyClassifier",
    "NextAction",
    "NothingToDraft",
    "OpenAICompatibleClient",
    "ProposedSlot",
    "PurchaseInterest",
    "ReplyClassifier",
    "ReplyIntent",
    "ResearchFactLike",
    "NewsLike",
    "ProviderResultLike",
    "ResearchInput",
    "ResearchLike",
    "SuppressionList",
    "TemplateDrafter",
    "address_warnings",
    "assess_bant",
    "assess_interest",
    "check_initial_outreach",
    "check_text",
    "classify_reply",
    "classify_thread",
    "collect_facts",
    "data_block",
    "default_classifier",
    "load_labelled_replies",
    "looks_like_injection",
]
