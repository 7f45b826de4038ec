"""Masking of secrets and personal numbers in text that leaves the portal for a public place.

The 黑猫投诉 text is published: phone numbers, ID numbers, payment accounts (bank cards,
e-mail accounts) and card keys (bearer secrets: whoever reads one can redeem it) are
masked there. Order numbers the caller names are kept, they identify the dispute.
"""

import re
from collections.abc import Iterable

MASK = "****"

_CARD_KEY_LABELED = re.compile(
    r"((?:卡密|卡号密码|激活码|兑换码|CDK|card key|activation code)\s*[::是为]?\s*)"
    r"([A-Za-z0-9][A-Za-z0-9-]{3,})",
    re.IGNORECASE,
)
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])(\d{3})\d{3}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
    r"(\d{3}[0-9Xx])(?![0-9A-Za-z])"
)
_BANK_CARD = re.compile(r"(?<![0-9A-Za-z])\d{4}(?:[ -]?\d){12,15}(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*(@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
# Unlabelled card keys: a token of 8+ letters and digits (dashes allowed) with both.
_CARD_KEY_TOKEN = re.compile(
    r"(?<![A-Za-z0-9-])(?=[A-Za-z0-9-]*\d)(?=[A-Za-z0-9-]*[A-Za-z])[A-Za-z0-9-]{8,}(?![A-Za-z0-9-])"
)


def _tail(secret: str, keep: int = 2) -> str:
    return MASK + secret[-keep:]


def _mask_card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return f"{digits[:4]} {MASK} {digits[-4:]}"


def mask_public(text: str, *, keep: Iterable[str] = ()) -> str:
    """``text`` with personal numbers and card keys masked; the strings in ``keep`` stay."""
    kept = [k for k in keep if k]
    for i, value in enumerate(kept):
        text = text.replace(value, f"\x00{i}\x00")
    text = _CARD_KEY_LABELED.sub(lambda m: m.group(1) + _tail(m.group(2)), text)
    text = _ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 11}{m.group(2)}", text)
    text = _BANK_CARD.sub(_mask_card, text)
    text = _PHONE.sub(lambda m: f"{m.group(1)}{MASK}{m.group(2)}", text)
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***{m.group(2)}", text)
    text = _CARD_KEY_TOKEN.sub(lambda m: _tail(m.group(0)), text)
    for i, value in enumerate(kept):
        text = text.replace(f"\x00{i}\x00", value)
    return text
