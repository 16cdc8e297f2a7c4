"""Insight stores: where the agent keeps its conclusions, their history and audit trail."""

from __future__ import annotations

from leadqual.store.base import InsightStore

__all__ = ["InsightStore"]
