"""Email validation for leads: is the address valid (well formed and deliverable) and what type is
it (work or personal), with the flags commercial verifiers report.

:class:`EmailValidator` checks addresses (``validate``, ``avalidate``, ``validate_many``,
``avalidate_many``); the functions beside it check what holds addresses: a lead or contact
(:func:`validate_record`, :func:`validate_records`), a lead's context (:func:`validate_context`)
and a DataFrame column (:func:`validate_frame`). See ``docs/email.md``.

Examples:
    >>> from leadqual.email import EmailValidator
    >>> check = EmailValidator(check_deliverability=False).validate("jane.doe@gmial.com")
    >>> check.status, check.email_type, check.suggestion
    ('risky', 'personal', 'jane.doe@gmail.com')
"""

from leadqual.email._dns import CANARY_DOMAINS, DnsAnswer, DnsPythonResolver, MxRecord, Resolver
from leadqual.email._static import WELL_KNOWN_RECORDS, StaticResolver
from leadqual.email.checks import (
    REASON_CODES,
    EmailCacheInfo,
    EmailCheck,
    EmailReason,
    EmailStatus,
    EmailType,
    FieldEmailCheck,
    RecordEmailReport,
)
from leadqual.email.frame import validate_frame
from leadqual.email.overrides import EmailOverride, EmailOverrides
from leadqual.email.records import (
    avalidate_context,
    avalidate_record,
    avalidate_records,
    validate_context,
    validate_record,
    validate_records,
)
from leadqual.email.validator import EmailValidator, cache_info, clear_cache, forget_domain

__all__ = [
    "CANARY_DOMAINS",
    "DnsAnswer",
    "DnsPythonResolver",
    "EmailCacheInfo",
    "EmailCheck",
    "EmailOverride",
    "EmailOverrides",
    "EmailReason",
    "EmailStatus",
    "EmailType",
    "EmailValidator",
    "FieldEmailCheck",
    "MxRecord",
    "REASON_CODES",
    "RecordEmailReport",
    "Resolver",
    "StaticResolver",
    "WELL_KNOWN_RECORDS",
    "avalidate_context",
    "avalidate_record",
    "avalidate_records",
    "cache_info",
    "clear_cache",
    "forget_domain",
    "validate_context",
    "validate_frame",
    "validate_record",
    "validate_records",
]
