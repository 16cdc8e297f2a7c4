"""The configuration schema: :class:`AgentConfig` and its parts, the ideal customer profile and
the prioritisation settings, as validated models loadable from YAML or JSON.

This is the bottom layer with :mod:`leadqual.models` and :mod:`leadqual.errors`: it holds data
only, and no component is imported here. The components give the parts behaviour
(:class:`~leadqual.icp.IcpMatcher` an :class:`IcpProfile`, :class:`~leadqual.prioritize.Prioritizer`
a :class:`PrioritizationOrder` and the :class:`HandraiserSegment` list) and re-export them.

Examples:
    >>> config = AgentConfig.model_validate({
    ...     "company": {"name": "Tailwind"},
    ...     "products": [{"name": "Revenue Cloud", "description": "CRM analytics"}],
    ...     "handraisers": [{"name": "Web", "conditions": [
    ...         {"type": "field", "field": "lead.lead_source", "op": "eq", "value": "Web form"}]}],
    ... })
    >>> type(config.handraisers[0].conditions[0]).__name__
    'FieldCondition'
"""

from leadqual.config._shared import FieldPath, load_mapping
from leadqual.config.agent import (
    CONFIG_VERSION,
    AgentConfig,
    Capacity,
    CompanyKnowledge,
    Consent,
    ProductKnowledge,
    QualificationDefaults,
    RefreshPolicy,
    TeamAccess,
    require_config,
)
from leadqual.config.diff import FieldChange, config_changes
from leadqual.config.icp import CharacteristicKind, IcpCharacteristic, IcpProfile, TierCutoffs
from leadqual.config.prioritize import (
    DEFAULT_PRIORITY_ORDER,
    ActivityCondition,
    FieldCondition,
    HandraiserSegment,
    Operator,
    PrioritizationOrder,
    PriorityFactor,
    RatingPolicy,
    SegmentCondition,
)
from leadqual.config.providers import (
    BUILTIN_PROVIDER_OPTIONS,
    PluginProvider,
    ProviderChoice,
    ResearchProviders,
    installed_provider_plugins,
)

__all__ = [
    "BUILTIN_PROVIDER_OPTIONS",
    "CONFIG_VERSION",
    "DEFAULT_PRIORITY_ORDER",
    "ActivityCondition",
    "AgentConfig",
    "Capacity",
    "CharacteristicKind",
    "CompanyKnowledge",
    "Consent",
    "FieldChange",
    "FieldCondition",
    "FieldPath",
    "HandraiserSegment",
    "IcpCharacteristic",
    "IcpProfile",
    "Operator",
    "PluginProvider",
    "PrioritizationOrder",
    "PriorityFactor",
    "ProductKnowledge",
    "ProviderChoice",
    "QualificationDefaults",
    "RatingPolicy",
    "RefreshPolicy",
    "ResearchProviders",
    "SegmentCondition",
    "TeamAccess",
    "TierCutoffs",
    "config_changes",
    "installed_provider_plugins",
    "load_mapping",
    "require_config",
]
