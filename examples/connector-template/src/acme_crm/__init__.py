"""Acme CRM as a leadqual CRM source."""

from acme_crm.source import AcmeCrmSource

__all__ = ["AcmeCrmSource"]
