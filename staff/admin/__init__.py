"""Django admin for every app, in the interface layer: its actions call casework's actions."""

from . import api, cases, collective, escalation, evidence  # noqa: F401  (registers the model admins)
