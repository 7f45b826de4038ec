"""The one family of domain errors.

Services raise these; the portal turns them into messages in one place and the API's
exception handler turns them into its JSON error shape in another.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A rule of the domain refused the change; nothing was written."""

    code = "domain_error"
    default_message = _("The request could not be carried out.")

    def __init__(self, message: str | Promise | None = None, *, fields: dict | None = None) -> None:
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        super().__init__(str(self.message))


class InvalidInput(DomainError):
    code = "invalid"
    default_message = _("Some of the values are not valid.")


class InvalidTransition(DomainError):
    code = "invalid_transition"
    default_message = _("The case cannot move to that status from its current status.")


class StateConflict(InvalidInput):
    """Well-formed, and right for a case in another state, but not for this one now: a step
    its current tier does not have, a correction to the value the record already holds, a
    file the evidence already has. ``fields`` names what the state refuses. Still invalid
    input to whoever catches that (forms show it on the field); the API answers 409."""

    code = "conflict"
    default_message = _("The case's current state does not allow this.")


class ConcurrentChange(DomainError):
    code = "concurrent_change"
    default_message = _("The case was changed by someone else at the same time; reload it.")


class ImmutableRecord(DomainError):
    code = "immutable"
    default_message = _("This record is part of the case's permanent record and cannot change.")


class Forbidden(DomainError):
    """The caller may see the case, but this act is someone else's to do."""

    code = "forbidden"
    default_message = _("You are not allowed to do this.")


class NotFound(DomainError):
    """Also raised for things that exist but are not the caller's: no existence leak."""

    code = "not_found"
    default_message = _("Not found.")
