"""A crafted set of orders whose figures are known by hand (see each order's comment).

The customer is in New York (EST, UTC-5, until 8 March 2026; EDT, UTC-4, after); working
hours 09-18 on weekdays there. Appeals count round the clock on weekdays, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import audit
from bot.orders.states import Transition
from bot.orders.workflow import change_state
from storage.models import Appeal, AppealState, Delivery, DeliveryState, Order, SlackUser
from tests.factories import CUSTOMER, OPS, SELLER, TEAMMATE, make_order, make_product

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY).astimezone(UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _submit(session: Session, order: Order, at: datetime) -> Delivery:
    delivery = Delivery(
        order_id=order.id,
        round=order.round + 1,
        state=DeliveryState.SUBMITTED,
        holder=SELLER,
        step="submitted",
        created_at=at,
        updated_at=at,
        submitted_at=at,
    )
    session.add(delivery)
    session.flush()
    change_state(
        session, order, Transition.SUBMIT, now=at, actor=SELLER, values={"round": order.round + 1}
    )
    return delivery


def _decide(session, order, delivery, at, *, by=CUSTOMER, transition=Transition.ACCEPT) -> None:
    if transition is Transition.REQUEST_CHANGES:
        change_state(
            session,
            order,
            transition,
            now=at,
            actor=by,
            values={"rejected_rounds": order.rejected_rounds + 1},
        )
        delivery.state = DeliveryState.CHANGES_REQUESTED
    else:
        change_state(
            session,
            order,
            transition,
            now=at,
            actor=by,
            values={"accepted_at": at, "accepted_by": by},
        )
        delivery.state = (
            DeliveryState.ACCEPTED if transition is Transition.ACCEPT else DeliveryState.CLOSED
        )
    session.add(delivery)


def _events(session, order, kind, *times) -> None:
    for at in times:
        audit.record(session, kind=kind, actor="system", at=at, order_id=order.id)


def _appeal(session, order, opened, decided, state) -> None:
    session.add(
        Appeal(
            order_id=order.id,
            by_user=TEAMMATE,
            by_role="seller",
            reason_kind="unresponsive",
            state=state,
            created_at=opened,
            decided_at=decided,
            decided_by=OPS,
        )
    )


def craft(session: Session) -> None:
    session.add(SlackUser(user_id=CUSTOMER, tz="America/New_York", fetched_at=utc(2026, 1, 1)))
    session.add(
        SlackUser(
            user_id=SELLER,
            email="sam@isv.example",
            real_name="Sam Seller",
            fetched_at=utc(2026, 1, 1),
        )
    )
    vpn = make_product(session, code="VPN", name="SecureVPN")
    crm = make_product(session, code="CRM", name="CRM Suite")
    placed = utc(2026, 1, 10)

    # A: across the change to summer time. Fri 16:00 EST -> Mon 10:00 EDT: 65 h, 3 working h.
    a = make_order(session, "A", product=vpn, sellers=(SELLER,), placed_at=placed)
    _decide(session, a, _submit(session, a, ny(2026, 3, 6, 16)), ny(2026, 3, 9, 10))
    # B: round 1 sent back; round 2 Tue 09:00 -> Wed 17:00: 32 h, 17 working h.
    b = make_order(session, "B", product=vpn, sellers=(SELLER,), placed_at=placed)
    first = _submit(session, b, ny(2026, 3, 2, 9))
    _decide(session, b, first, ny(2026, 3, 2, 12), transition=Transition.REQUEST_CHANGES)
    _decide(session, b, _submit(session, b, ny(2026, 3, 3, 9)), ny(2026, 3, 4, 17))
    _events(session, b, "reminder_sent", ny(2026, 3, 4, 9), ny(2026, 3, 4, 10))
    _events(session, b, "escalated", ny(2026, 3, 4, 11))
    # C: accepted automatically a week later, Wed 10:00 EST -> Wed 10:00 EDT: 167 h, 45 working h.
    c = make_order(session, "C", product=vpn, sellers=(SELLER,), placed_at=placed)
    _decide(session, c, _submit(session, c, ny(2026, 3, 4, 10)), ny(2026, 3, 11, 10), by="system")
    _events(session, c, "reminder_sent", ny(2026, 3, 5, 10), ny(2026, 3, 9, 10), ny(2026, 3, 11, 9))
    _events(session, c, "escalated", ny(2026, 3, 11, 9))
    # D: waits for the customer; appeal opened Sat, decided Wed 23:00 UTC (71 h: in time).
    d = make_order(session, "D", product=crm, sellers=(TEAMMATE,), placed_at=placed)
    _submit(session, d, utc(2026, 2, 5, 12))
    _appeal(session, d, utc(2026, 2, 7, 12), utc(2026, 2, 11, 23), AppealState.REJECTED)
    # E: completed by operations; appeal Wed 10:00 -> Mon 11:00 UTC (73 h: late).
    e = make_order(session, "E", product=crm, sellers=(TEAMMATE,), placed_at=placed)
    e_round = _submit(session, e, utc(2026, 2, 10, 12))
    _appeal(session, e, utc(2026, 2, 11, 10), utc(2026, 2, 16, 11), AppealState.COMPLETED)
    _decide(session, e, e_round, utc(2026, 2, 16, 11), by=OPS, transition=Transition.OPS_COMPLETE)
    # F: never delivered: not in the figures, first among the orders waiting longest.
    make_order(session, "F", product=vpn, sellers=(SELLER,), placed_at=utc(2026, 1, 2))
    session.commit()
