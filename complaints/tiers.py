"""The tier vocabulary: the ladder a case climbs when nobody answers, lowest first."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.TextChoices):
    PLATFORM = "platform", _("Platform")
    WATCHDOG = "watchdog", _("Public watchdog (12315 / Black Cat)")
    PAYMENT = "payment", _("Payment-channel arbitration")
    LEGAL = "legal", _("Legal (mediation / small claims)")


LADDER: tuple[Tier, ...] = (Tier.PLATFORM, Tier.WATCHDOG, Tier.PAYMENT, Tier.LEGAL)


def tier_next(tier: str) -> Tier | None:
    """The tier above ``tier``, or None at the top of the ladder."""
    position = LADDER.index(Tier(tier))
    return LADDER[position + 1] if position + 1 < len(LADDER) else None


def tier_rank(tier: str) -> int:
    """1 for the platform, 4 for legal: the number users see ("tier 2 of 4")."""
    return LADDER.index(Tier(tier)) + 1
