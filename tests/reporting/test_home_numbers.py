"""The App Home shows each seller their own delivery numbers, never another seller's; the
operations staff see the marketplace's totals."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.fakeslack.render import render_blocks
from tests.factories import OPS
from tests.reporting.crafted import craft


def test_each_seller_sees_only_their_numbers_and_operations_the_totals(
    box, seller, teammate, clock, session
):
    craft(session)  # the seller's 3 VPN deliveries in March, the teammate's 2 CRM in February
    clock.set(datetime(2026, 3, 20, 12, tzinfo=UTC))

    seller.opens_home()
    teammate.opens_home()
    ops = box.person(OPS)
    ops.opens_home()

    mine = render_blocks(seller.home()["blocks"])
    assert (
        "Your deliveries: *3* deliveries in the last 90 days · *67%* accepted on the first round"
        in mine
    )
    assert "*1* accepted automatically · *0* appeals" in mine
    assert (
        "Marketplace" not in mine and "*5* deliveries" not in mine and "*2* deliveries" not in mine
    )
    theirs = render_blocks(teammate.home()["blocks"])
    assert "Your deliveries: *2* deliveries" in theirs and "*2* appeals" in theirs
    assert "*3* deliveries" not in theirs and "Marketplace" not in theirs
    totals = render_blocks(ops.home()["blocks"])
    assert "Marketplace (operations view): *5* deliveries in the last 90 days" in totals
    assert "Your deliveries" not in totals  # ops sell nothing
