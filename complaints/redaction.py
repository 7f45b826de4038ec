"""Redaction of secrets and personal numbers in every text that leaves the portal.

One module for every outgoing text, because the same description reaches the platform
letter, the 12315 text, the published 黑猫 text, webhooks, the PDF and the admin: a rule
fixed in one place is fixed everywhere. What each reader may see is a *policy per
recipient* (``POLICIES``):

- a card key (卡密) is a bearer secret: whoever reads it can redeem it, so it never leaves
  whole except to a court, which needs the original (民事诉讼法 art. 66: evidence as it is);
- phone, ID card and bank card numbers are personal information, the ID number and
  financial accounts sensitive personal information (个人信息保护法 art. 28), disclosed
  only as far as the purpose needs (个人信息保护法 art. 6: the minimum necessary);
- the order number is kept: it names the dispute.

Card keys are recognised after Unicode NFKC normalisation (full-width ＡＢＣＤ－１２３４
and the full-width colon ``：`` come from Chinese input methods), by label (卡密, 密码,
兑换码, CDK, key, code ...) or by shape. A 16-digit secret after a card-key label is a card
key, masked as one, never shown half like a bank card. The text outside the secrets is
returned as written (full-width punctuation stays full-width).
"""

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from django.utils import timezone

from .choices import EventKind
from .timeline import event_append

REVEAL_PERMISSION = "complaints.reveal_secrets"

MASK = "****"


class Recipient(StrEnum):
    """Who reads a text; each has its own policy."""

    PUBLIC = "public"  # 黑猫投诉: published for anyone
    PLATFORM = "platform"  # the other side of the dispute: letter, webhooks
    REGULATOR = "regulator"  # 12315, the payment channel's dispute desk
    STAFF = "staff"  # portal staff without the reveal permission
    COURT = "court"  # the court package: originals


class SecretKind(StrEnum):
    CARD_KEY = "card_key"
    ID_NUMBER = "id_number"
    BANK_CARD = "bank_card"
    PHONE = "phone"
    EMAIL = "email"


class Show(StrEnum):
    """How much of one secret a recipient sees."""

    NOTHING = "nothing"  # replaced by ****
    TAIL = "tail"  # **** and the last 4 characters (phone: the first 3 as well)
    ALL = "all"  # the original


_PARTIAL = {
    SecretKind.CARD_KEY: Show.TAIL,
    SecretKind.ID_NUMBER: Show.TAIL,
    SecretKind.BANK_CARD: Show.TAIL,
    SecretKind.PHONE: Show.TAIL,
    SecretKind.EMAIL: Show.TAIL,
}
POLICIES: Mapping[Recipient, Mapping[SecretKind, Show]] = {
    Recipient.PUBLIC: dict.fromkeys(SecretKind, Show.NOTHING),
    Recipient.PLATFORM: _PARTIAL,
    Recipient.REGULATOR: _PARTIAL,
    Recipient.STAFF: _PARTIAL,
    Recipient.COURT: dict.fromkeys(SecretKind, Show.ALL),
}

_AN = "A-Za-z0-9"
# Labels people write before a card key. "卡号" alone is a card-key label on these sites
# (卡号 + 密码 pairs), but not inside "银行卡号".
_LABEL = (
    r"(?:卡密|卡号密码|(?<!银行)卡号|密码|激活码|兑换码|充值码|序列号|券码|提取码|"
    r"(?<![A-Za-z])(?:cd[- ]?key|cdk|card[ _-]?(?:key|secret|password|pin)|"
    r"activation[ _-]?code|redeem(?:ption)?[ _-]?code|serial|key|code|pin|password)(?![A-Za-z]))"
)
_LABELED_KEY = re.compile(
    _LABEL + r"[ \t]*(?:[:=]|是|为)?[ \t]*"
    rf"(?P<value>[{_AN}]+(?:[- ][{_AN}]+)*)",
    re.IGNORECASE,
)
_ID_NUMBER = re.compile(
    rf"(?<![{_AN}])\d{{6}}(?:19|20)\d{{2}}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{{3}}[0-9Xx]"
    rf"(?![{_AN}])"
)
# Not inside a longer run of dashed or spaced digit groups (a card key's shape).
_BANK_CARD = re.compile(rf"(?<![{_AN}])(?<!\d[- ])\d{{4}}(?:[ -]?\d){{12,15}}(?![{_AN}])(?![- ]\d)")
_PHONE = re.compile(r"(?<![\d+])(?:\+?86[ -]?)?1[3-9]\d[ -]?\d{4}[ -]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# Unlabelled, by shape: three or more groups of 4-5 letters/digits joined by dashes or
# spaces (XXXX-XXXX-XXXX-XXXX), or one run of 8+ with both letters and digits.
_SHAPED_KEY = re.compile(rf"(?<![{_AN}-])[{_AN}]{{4,5}}(?:[- ][{_AN}]{{4,5}}){{2,}}(?![{_AN}])")
_TOKEN_KEY = re.compile(rf"(?<![{_AN}-])(?=[{_AN}]*\d)(?=[{_AN}]*[A-Za-z])[{_AN}]{{8,}}(?![{_AN}])")
_PROTECTED = "\x00"
# A labelled value shorter than this is not taken for a key ("code 1", "pin 42").
_MIN_KEY = 6


@dataclass(frozen=True)
class Secret:
    """A secret found in a text: its kind and its span in the *original* text."""

    kind: SecretKind
    start: int
    end: int
    value: str  # NFKC-normalised, as matched


def _normalised(text: str) -> tuple[str, list[int]]:
    """NFKC per character, and for each normalised character the original's index."""
    out: list[str] = []
    origin: list[int] = []
    for i, char in enumerate(text):
        norm = unicodedata.normalize("NFKC", char) if ord(char) > 127 else char
        # U+3000 (ideographic space) becomes " "; a full-width dash (－) becomes "-".
        norm = norm.replace("\u2010", "-").replace("\u2013", "-").replace("\u2014", "-")
        out.append(norm)
        origin.extend([i] * len(norm))
    return "".join(out), origin


def _alnum(value: str) -> str:
    return re.sub(rf"[^{_AN}]", "", value)


def _labeled_value(value: str) -> str:
    """The key part of a labelled match: spaced groups continue only while they look like
    the key's own groups (same length, or any length after a dash), so the words after a
    key in an English sentence are not eaten."""
    parts = re.split(r"([- ])", value)
    kept = parts[0]
    first = len(parts[0])
    for sep, group in zip(parts[1::2], parts[2::2], strict=True):
        if sep == " " and len(group) != first:
            break
        kept += sep + group
    return kept


def _spaced_shape_is_key(value: str) -> bool:
    """Space-separated groups are a key only if they carry a digit or are all capitals and
    equally long: four-letter English words in a row are not."""
    if " " not in value:
        return True
    groups = value.replace("-", " ").split(" ")
    same = len({len(g) for g in groups}) == 1
    return same and (any(c.isdigit() for c in value) or value.upper() == value)


def secrets_find(text: str, *, keep: Iterable[str] = ()) -> list[Secret]:
    """Every secret in ``text``, by span in the original text; ``keep`` values are skipped
    (only their own characters: the rest of the text is searched all the same)."""
    norm, origin = _normalised(text)
    for value in {unicodedata.normalize("NFKC", k) for k in keep if k and len(k) >= 4}:
        norm = norm.replace(value, _PROTECTED * len(value))
    taken: list[tuple[int, int]] = []
    found: list[Secret] = []

    def take(kind: SecretKind, start: int, end: int) -> None:
        if end <= start or any(s < end and start < e for s, e in taken):
            return
        taken.append((start, end))
        found.append(
            Secret(kind, origin[start], origin[end - 1] + 1, norm[start:end]),
        )

    for m in _LABELED_KEY.finditer(norm):
        value = _labeled_value(m.group("value"))
        if len(_alnum(value)) >= _MIN_KEY:
            take(SecretKind.CARD_KEY, m.start("value"), m.start("value") + len(value))
    for kind, pattern in (
        (SecretKind.EMAIL, _EMAIL),
        (SecretKind.ID_NUMBER, _ID_NUMBER),
        (SecretKind.BANK_CARD, _BANK_CARD),
        (SecretKind.PHONE, _PHONE),
    ):
        for m in pattern.finditer(norm):
            take(kind, m.start(), m.end())
    for m in _SHAPED_KEY.finditer(norm):
        if _spaced_shape_is_key(m.group(0)):
            take(SecretKind.CARD_KEY, m.start(), m.end())
    for m in _TOKEN_KEY.finditer(norm):
        take(SecretKind.CARD_KEY, m.start(), m.end())
    return sorted(found, key=lambda s: s.start)


def _masked(secret: Secret, show: Show) -> str:
    if show is Show.NOTHING:
        return MASK
    value = secret.value
    if secret.kind is SecretKind.EMAIL:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = _alnum(value)
    if secret.kind is SecretKind.PHONE:
        digits = digits[-11:]
        return f"{digits[:3]}{MASK}{digits[-4:]}"
    # A short key shown by its last 4 would be shown whole.
    if len(digits) < 8:
        return MASK
    return MASK + digits[-4:]


def redact(text: str, *, recipient: Recipient | str, keep: Iterable[str] = ()) -> str:
    """``text`` as ``recipient`` may read it; ``keep`` (the order number, the case
    reference) stays visible wherever it appears."""
    recipient = Recipient(recipient)
    policy = POLICIES[recipient]
    if not text or all(show is Show.ALL for show in policy.values()):
        return text
    out: list[str] = []
    at = 0
    for secret in secrets_find(text, keep=keep):
        show = policy[secret.kind]
        if show is Show.ALL:
            continue
        out.append(text[at : secret.start])
        out.append(_masked(secret, show))
        at = secret.end
    out.append(text[at:])
    return "".join(out)


def redact_data(
    value: Any,
    *,
    recipient: Recipient | str,
    keep: Iterable[str] = (),
    not_text: frozenset[str] = frozenset(),
    key: str = "",
) -> Any:
    """``value`` (JSON-like: dicts, lists, strings) with every string redacted, except the
    values under the keys in ``not_text`` (hashes, references: no free text)."""
    keep = tuple(keep)
    if isinstance(value, dict):
        return {
            k: redact_data(v, recipient=recipient, keep=keep, not_text=not_text, key=str(k))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [
            redact_data(v, recipient=recipient, keep=keep, not_text=not_text, key=key)
            for v in value
        ]
    if isinstance(value, str) and key not in not_text:
        return redact(value, recipient=recipient, keep=keep)
    return value


def case_keep(case: Any) -> list[str]:
    """What names a case's dispute and stays visible in every redacted text about it."""
    order = getattr(case, "order", None)
    return [
        v
        for v in (
            getattr(case, "reference", ""),
            getattr(order, "order_number", ""),
            getattr(order, "payment_reference", ""),
        )
        if v
    ]


def may_reveal(user: Any) -> bool:
    """Whether ``user`` may see a case's secrets unmasked (after a recorded reveal)."""
    return bool(getattr(user, "is_active", False) and user.has_perm(REVEAL_PERMISSION))


def secrets_reveal(
    *, case: Any, actor: Any, fields: Iterable[str], now: datetime | None = None
) -> Any:
    """Record that ``actor`` saw the case's secrets unmasked, before they are shown.

    Staff see masked values by default; who saw a card key or an ID number, and when, is
    part of the case's record (个人信息保护法 art. 51, 55: access control and a record of
    processing sensitive personal information). Raises PermissionError without the
    permission.
    """
    if not may_reveal(actor):
        raise PermissionError(REVEAL_PERMISSION)
    return event_append(
        case=case,
        kind=EventKind.SECRETS_REVEALED,
        actor=actor,
        payload={"fields": sorted(fields), "by": actor.get_username()},
        now=now or timezone.now(),
    )
