"""The qualification agent: the facade that wires the components, owns the lifecycle (activation,
events, refresh, capacity), enforces access and consent, and keeps its conclusions in a store.

Examples:
    >>> from leadqual.sources import load_sample, load_sample_config, SAMPLE_AS_OF
    >>> from leadqual.email import EmailValidator
    >>> agent = QualificationAgent(load_sample_config(), load_sample(),
    ...                            email_validator=EmailValidator(check_deliverability=False))
    >>> insight = agent.process("L-0171", now=SAMPLE_AS_OF)
    >>> insight.version, insight.stage("email").status
    (1, 'ran')
"""

from leadqual._progress import Progress
from leadqual.agent.access import Access, Role
from leadqual.agent.agent import ORGANIZATION, QualificationAgent
from leadqual.agent.building import AgentSetup, BuiltAgent, build_agent
from leadqual.agent.configdiff import (
    ConfigBacktest,
    ConfigDiff,
    LeadChange,
    LeadStanding,
    TopConversion,
    diff_configs,
)
from leadqual.agent.events import (
    AccountLinked,
    AccountUpdated,
    CompanyNameUpdated,
    ContactLinked,
    ContactUpdated,
    CrmEvent,
    LeadCreated,
    LeadDeleted,
    LeadUpdated,
    changed_inputs,
    coalesce,
    parse_event,
    stages_to_run,
)
from leadqual.agent.pipeline import LeadScoring, config_hash
from leadqual.agent.views import (
    AgentCounters,
    AgentStatus,
    BatchReport,
    EventOutcome,
    HandleResult,
    PrioritizedEntry,
    QualificationOutcome,
    ReplayReport,
    SellerView,
    StageCounter,
)

__all__ = [
    "ORGANIZATION",
    "Access",
    "AccountLinked",
    "AccountUpdated",
    "AgentCounters",
    "AgentSetup",
    "AgentStatus",
    "CompanyNameUpdated",
    "ConfigBacktest",
    "ConfigDiff",
    "ContactLinked",
    "ContactUpdated",
    "CrmEvent",
    "EventOutcome",
    "HandleResult",
    "LeadChange",
    "LeadCreated",
    "LeadDeleted",
    "LeadScoring",
    "LeadStanding",
    "LeadUpdated",
    "PrioritizedEntry",
    "Progress",
    "QualificationAgent",
    "QualificationOutcome",
    "BatchReport",
    "BuiltAgent",
    "ReplayReport",
    "Role",
    "SellerView",
    "StageCounter",
    "TopConversion",
    "build_agent",
    "changed_inputs",
    "coalesce",
    "config_hash",
    "diff_configs",
    "parse_event",
    "stages_to_run",
]
