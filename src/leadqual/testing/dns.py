"""``StaticResolver``: a DNS test double for :class:`leadqual.EmailValidator`, answering from a
mapping instead of the network. It lives in :mod:`leadqual.email` (the demo answers DNS with it
too) and is re-exported here beside the other test doubles.

Examples:
    >>> from leadqual.email import EmailValidator
    >>> resolver = StaticResolver({"contoso.com": {"mx": ["mx1.contoso.com"]}})
    >>> EmailValidator(resolver=resolver).validate("bo@gone-widgets.com").reason_codes
    ('domain_not_found',)
    >>> denies_all = StaticResolver(well_known=False)
    >>> EmailValidator(resolver=denies_all).validate("bo@gone-widgets.com").reason_codes
    ('dns_unreliable',)
"""

from leadqual.email import WELL_KNOWN_RECORDS, StaticResolver

__all__ = ["WELL_KNOWN_RECORDS", "StaticResolver"]
