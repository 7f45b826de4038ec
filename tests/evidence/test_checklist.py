from decimal import Decimal

import pytest

from complaints.choices import ProblemType
from evidence.checklist import checklist_for
from evidence.selectors import checklist_for_case
from tests.evidence import samples
from tests.factories import OrderFactory, case_filed


def _levels(entries) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {e.kind: e.level for e in entries}


@pytest.mark.parametrize("problem", ProblemType.values)
def test_every_problem_type_has_required_evidence_with_a_reason(problem: str) -> None:
    entries = checklist_for(problem_type=problem, amount=Decimal("30"), kinds_present=[])
    assert any(e.level == "required" for e in entries)
    assert all(e.why and not e.present for e in entries)


def test_a_lost_order_needs_the_voucher_and_the_order_record() -> None:
    levels = _levels(
        checklist_for(
            problem_type=ProblemType.LOST_ORDER_VANISHED, amount=Decimal("30"), kinds_present=[]
        )
    )
    assert levels["payment_voucher"] == levels["order_record"] == "required"
    assert "bank_statement" not in levels


def test_a_network_error_needs_the_screenshot_and_ideally_a_network_log() -> None:
    levels = _levels(
        checklist_for(problem_type=ProblemType.NETWORK_ERROR, amount=None, kinds_present=[])
    )
    assert levels["error_screenshot"] == "required"
    assert levels["network_log"] == "recommended"


def test_over_500_yuan_a_statement_is_recommended_at_exactly_500_not() -> None:
    def has_statement(amount: str) -> bool:
        kinds = _levels(
            checklist_for(
                problem_type=ProblemType.NOT_DELIVERED, amount=Decimal(amount), kinds_present=[]
            )
        )
        return kinds.get("bank_statement") == "recommended"

    assert not has_statement("500.00")
    assert has_statement("500.01")


def test_the_case_checklist_marks_what_was_filed(complainant, bundle, add) -> None:  # type: ignore[no-untyped-def]
    add(bundle, "pay.jpg", samples.jpeg_with_gps(), kind="payment_voucher")
    order = OrderFactory(owner=complainant, amount=Decimal("888.00"))
    case = case_filed(complainant=complainant, bundle=bundle, order=order)
    entries = {e.kind: e for e in checklist_for_case(case)}
    assert entries["payment_voucher"].present
    assert entries["order_record"].missing and entries["order_record"].level == "required"
    assert entries["bank_statement"].missing
    assert entries["order_record"].why.startswith("显示平台")
