"""Ideal customer profile (ICP): the profile as data, characteristic matchers, `IcpMatcher`, and
learning from history (`suggest_icp`, `backtest`).

Examples:
    >>> from leadqual.sources import load_sample_config
    >>> matcher = IcpMatcher(load_sample_config().icp)
    >>> matcher.profile.tiers.high
    70.0
"""

from leadqual.icp.industries import DEFAULT_SECTORS, IndustryMatch, IndustryTaxonomy
from leadqual.icp.learn import (
    BacktestReport,
    DecileOutcome,
    IcpSuggestion,
    SuggestedCharacteristic,
    TierOutcome,
    backtest,
    suggest_icp,
)
from leadqual.icp.locations import REGIONS, Geography, Place
from leadqual.icp.matcher import CharacteristicResult, FitTier, IcpFit, IcpMatcher
from leadqual.icp.matchers import (
    CategoricalMatcher,
    CharacteristicMatcher,
    JobTitleMatcher,
    LocationMatcher,
    MatchStatus,
    NeedMatcher,
    NumericRangeMatcher,
    TextSimilarity,
    TokenSimilarity,
    Verdict,
)
from leadqual.icp.profile import CharacteristicKind, IcpCharacteristic, IcpProfile, TierCutoffs
from leadqual.icp.ranges import NumericRange
from leadqual.icp.titles import TitleInfo, parse_title

__all__ = [
    "DEFAULT_SECTORS",
    "REGIONS",
    "BacktestReport",
    "CategoricalMatcher",
    "CharacteristicKind",
    "CharacteristicMatcher",
    "CharacteristicResult",
    "DecileOutcome",
    "FitTier",
    "Geography",
    "IcpCharacteristic",
    "IcpFit",
    "IcpMatcher",
    "IcpProfile",
    "IcpSuggestion",
    "IndustryMatch",
    "IndustryTaxonomy",
    "JobTitleMatcher",
    "LocationMatcher",
    "MatchStatus",
    "NeedMatcher",
    "NumericRange",
    "NumericRangeMatcher",
    "Place",
    "SuggestedCharacteristic",
    "TextSimilarity",
    "TierCutoffs",
    "TierOutcome",
    "TitleInfo",
    "TokenSimilarity",
    "Verdict",
    "backtest",
    "parse_title",
    "suggest_icp",
]
