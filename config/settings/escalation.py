"""Deadlines, escalation sweeps, outbox and notifications.

Star-imported at the end of base.py; read values through ``env``."""

from config.env import env  # noqa: F401
