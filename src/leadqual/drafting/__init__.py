"""Engagement: reply intents, the next best action, and safe drafts (temporary)."""
