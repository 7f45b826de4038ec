"""What each recipient may see, for secrets written in every way people write them.

Hypothesis generates card keys (groups of 4-5 joined by dashes, spaces or nothing; upper or
lower case; letters only, digits only or mixed; full-width; after every label with an
ASCII, full-width or no colon), phone, ID card and bank card numbers, embeds them in
Chinese text next to the order number, and checks the redacted text, every form of every
tier in both languages (each payment channel's dispute text too), each read by its own
recipient, the webhook body and the evidence package for each recipient: PUBLIC (the 黑猫
text) sees no secret at all, PLATFORM and REGULATOR only a card key's last 4, COURT the
originals. Run with ``-s`` to see how many examples ran.
"""

import io
import json
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from casework.actions import case_message, case_record_response
from casework.packages import case_package
from casework.sweep import case_escalate
from complaints.choices import PaymentMethod
from complaints.models import CaseEvent
from complaints.redaction import Recipient, redact
from complaints.tiers import Tier
from escalation.documents import FORM_RECIPIENTS, FORMS, tier_documents
from notifications.webhooks import event_body
from tests.factories import OrderFactory, case_filed

EXAMPLES: Counter[str] = Counter()
RENDERED: Counter[str] = Counter()
ORDER_NUMBER = "2024052100112345678"
LABELS = ["卡密", "密码", "卡号", "CDK", "CDKEY", "兑换码", "激活码", "key", "code", "Card Key"]
COLONS = [":", "：", " ", "", " : "]
FILLERS = ["提交订单后", "客服说已处理", "，但一直没有到账", "。请尽快处理", "（平台回复：已记录）"]
_FULL = {
    c: chr(ord(c) + 0xFEE0)
    for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-"
}


def _full_width(text: str) -> str:
    return "".join(_FULL.get(c, "\u3000" if c == " " else c) for c in text)


@dataclass(frozen=True)
class Key:
    written: str  # as pasted into the text
    core: str  # its letters and digits, ASCII


@st.composite
def card_keys(draw: st.DrawFn) -> tuple[str, Key]:
    """A card key and the text before it (a label, or nothing for the dashed shape)."""
    alphabet = draw(
        st.sampled_from(
            ["ABCDEFGHJKLMNPQRSTUVWXYZ", "0123456789", "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"]
        )
    )
    size = draw(st.sampled_from([4, 5]))
    groups = draw(st.lists(st.text(alphabet, min_size=size, max_size=size), min_size=3, max_size=5))
    if alphabet != "0123456789" and draw(st.booleans()):
        groups = [g.lower() for g in groups]
    separator = draw(st.sampled_from(["-", " ", ""]))
    labelled = separator != "-" or draw(st.booleans())
    written = separator.join(groups)
    if draw(st.booleans()):
        written = _full_width(written)
    label = draw(st.sampled_from(LABELS))
    # An ASCII label run into an ASCII key ("CDKABCD...") is unreadable to people too:
    # after an ASCII label, some separator or colon.
    colons = COLONS if not label.isascii() else [c for c in COLONS if c]
    prefix = label + draw(st.sampled_from(colons)) if labelled else ""
    return prefix, Key(written, "".join(groups))


@st.composite
def sixteen_digit_secrets(draw: st.DrawFn) -> tuple[str, Key]:
    """A 16-digit card secret after a card-key label: a key, never a half-shown bank card."""
    digits = draw(st.text("0123456789", min_size=16, max_size=16))
    return draw(st.sampled_from(["卡密", "密码", "卡密："])), Key(digits, digits)


phones = st.builds(
    lambda second, rest, style: (
        [f"1{second}{rest}", f"1{second}{rest[:1]} {rest[1:5]} {rest[5:]}", f"+86 1{second}{rest}"][
            style
        ],
        f"1{second}{rest}",
    ),
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
    st.integers(0, 2),
)
ids = st.builds(
    lambda region, y, m, d, seq, check: (
        f"{region}{y}{m:02d}{d:02d}{seq}{check}",
        f"{region}{y}{m:02d}{d:02d}{seq}{check}",
    ),
    st.text("0123456789", min_size=6, max_size=6),
    st.integers(1950, 2008),
    st.integers(1, 12),
    st.integers(1, 28),
    st.text("0123456789", min_size=3, max_size=3),
    st.sampled_from("0123456789X"),
)
banks = st.builds(
    lambda digits, spaced: (
        " ".join(re.findall(".{1,4}", "62" + digits)) if spaced else "62" + digits,
        "62" + digits,
    ),
    st.text("0123456789", min_size=14, max_size=17),
    st.booleans(),
)


@dataclass(frozen=True)
class Scenario:
    text: str
    key: Key
    personal: tuple[str, ...]  # phone, ID and bank numbers, digits only


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    prefix, key = draw(st.one_of(card_keys(), sixteen_digit_secrets()))
    phone, phone_digits = draw(phones)
    id_number, id_core = draw(ids)
    bank, bank_digits = draw(banks)
    f = [draw(st.sampled_from(FILLERS)) for _ in range(4)]
    text = (
        f"订单号 {ORDER_NUMBER} {f[0]}，{prefix}{key.written}{f[1]}，"
        f"联系电话 {phone}，身份证 {id_number}{f[2]}，银行卡 {bank} 已扣款{f[3]}"
    )
    return Scenario(text, key, (phone_digits, id_core, bank_digits))


def _flat(text: str) -> str:
    """NFKC, upper case, separators out: how a reader would retype what is shown."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()


def check(text: str, scenario: Scenario, recipient: Recipient) -> None:
    flat = _flat(text)
    core = scenario.key.core.upper()
    assert ORDER_NUMBER in text  # the order number names the dispute, always visible
    if recipient is Recipient.COURT:
        assert scenario.key.written in text
        return
    assert core not in flat, "the whole card key leaked"
    assert core[:-4] not in flat, "more than the last 4 of the card key leaked"
    for number in scenario.personal:
        assert number.upper() not in flat, f"{number} leaked"
    if recipient is Recipient.PUBLIC:
        assert "****" + core[-4:] not in flat
    else:
        assert "****" + core[-4:] in flat


SETTINGS = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@settings(SETTINGS, max_examples=600)
@given(scenario=scenarios(), recipient=st.sampled_from(list(Recipient)))
def test_each_recipient_sees_what_its_policy_allows(
    scenario: Scenario, recipient: Recipient
) -> None:
    EXAMPLES["redact"] += 1
    check(redact(scenario.text, recipient=recipient, keep=[ORDER_NUMBER]), scenario, recipient)


@pytest.fixture
def filed(complainant):  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, order_number=ORDER_NUMBER)
    return case_filed(complainant=complainant, order=order)


def test_every_form_has_its_reader() -> None:
    assert FORM_RECIPIENTS == {
        "letter": Recipient.PLATFORM,
        "12315": Recipient.REGULATOR,
        "heimao": Recipient.PUBLIC,
        "alipay": Recipient.REGULATOR,
        "wechat-pay": Recipient.REGULATOR,
        "chargeback": Recipient.REGULATOR,
        "payment-other": Recipient.REGULATOR,
        "mediation": Recipient.REGULATOR,
        "small-claims": Recipient.COURT,
    }


@settings(SETTINGS, max_examples=40)
@given(scenario=scenarios())
def test_every_form_in_both_languages_and_the_webhook_body(filed, scenario: Scenario) -> None:  # type: ignore[no-untyped-def]
    EXAMPLES["documents"] += 1
    filed.description = scenario.text
    filed.demand_text = scenario.text
    seen = set()
    methods = (PaymentMethod.ALIPAY, PaymentMethod.WECHAT_PAY, PaymentMethod.BANK_CARD, "")
    for method in methods:
        filed.order.payment_method = method or PaymentMethod.PLATFORM_BALANCE
        for tier in Tier if not method else (Tier.PAYMENT,):
            for language in ("zh-hans", "en"):
                for document in tier_documents(case=filed, tier=tier, language=language):
                    seen.add(document.form)
                    RENDERED[document.form] += 1
                    assert document.recipient == FORM_RECIPIENTS[document.form]
                    check(document.body, scenario, Recipient(document.recipient))
    assert seen == set(FORMS)
    event = CaseEvent(
        case=filed,
        seq=99,
        kind="message",
        payload={"text": scenario.text, "nested": [{"note": scenario.text}]},
        created_at=timezone.now(),
        hash="0" * 64,
        prev_hash="0" * 64,
    )
    payload = json.loads(event_body(event, for_platform=True))["event"]["payload"]
    check(payload["text"], scenario, Recipient.PLATFORM)
    check(payload["nested"][0]["note"], scenario, Recipient.PLATFORM)


@settings(SETTINGS, max_examples=6)
@given(scenario=scenarios())
def test_the_package_for_each_recipient(filed, complainant, scenario: Scenario) -> None:  # type: ignore[no-untyped-def]
    EXAMPLES["packages"] += 1
    case_message(case=filed, actor=complainant, text=scenario.text)
    filed.description = scenario.text
    for recipient in (Recipient.PUBLIC, Recipient.PLATFORM, Recipient.REGULATOR, Recipient.COURT):
        archive = zipfile.ZipFile(
            io.BytesIO(b"".join(case_package(filed, language="zh-hans", recipient=recipient)))
        )
        assert json.loads(archive.read("manifest.json"))["recipient"] == recipient.value
        messages = [
            e["payload"]["text"]
            for e in json.loads(archive.read("timeline.json"))
            if e["kind"] == "message"
        ]
        check(messages[-1], scenario, recipient)
        filings = [n for n in archive.namelist() if n.startswith("filing/")]
        # A public package carries only the forms meant for publication (none at the
        # platform tier); the others every form of the tier, as the package's reader may see it.
        assert bool(filings) is (recipient is not Recipient.PUBLIC)
        if recipient is not Recipient.COURT:  # the court gets each form as its own reader's
            for name in filings:
                check(archive.read(name).decode(), scenario, recipient)


def test_a_recorded_answer_is_redacted_for_each_form_reader(
    complainant, triager, supervisor
) -> None:  # type: ignore[no-untyped-def]
    """The other side's words carry secrets too (a reissued card key, a phone number)."""
    key, phone = "QWER-TYUI-2345-6789", "13987654321"
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, order_number=ORDER_NUMBER)
    )
    case_record_response(
        case=case, actor=triager, source="respondent", text=f"已补发卡密 {key},客服 {phone}"
    )
    for _ in range(3):
        case_escalate(case=case, actor=supervisor, reason="", now=timezone.now())
    case.refresh_from_db()
    for tier in (Tier.PAYMENT, Tier.LEGAL):
        for document in tier_documents(case=case, tier=tier):
            recipient = Recipient(document.recipient)
            if recipient is Recipient.COURT:
                assert key in document.body and phone in document.body
            else:
                assert key not in document.body and phone not in document.body
                assert "****6789" in document.body and "139****4321" in document.body


def test_how_many_examples_ran() -> None:
    """Printed with ``-s``; the counts are of this process's run of the tests above."""
    print(f"\nHypothesis examples run: {dict(EXAMPLES)}, total {sum(EXAMPLES.values())}")
    print(f"Forms rendered and checked: {dict(RENDERED)}, total {sum(RENDERED.values())}")
