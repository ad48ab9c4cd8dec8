"""Appeals over signed HTTP: the seller's modal (letter required when unreachable), the case
in the operations channel, who may decide, each decision, overdue flags, customer appeals."""

import copy
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.core.ids import BlockId, CallbackId
from storage.models import Appeal, AppealState, AuditEvent, Delivery, DeliveryState, Order
from storage.states import SupervisionState
from tests.conftest import NOW
from tests.e2e.test_acceptance import refuses_as_not_the_customer
from tests.e2e.test_deliver_command import blocks_text
from tests.e2e.test_reminders import reminders_seen, submitted_order, work
from tests.factories import CUSTOMER, OPS, SELLER, make_order


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def appeal_values(reason: str, details: str = "", letter: str = "", proof=None) -> dict:
    values = {
        BlockId.APPEAL_REASON: {
            "value": {"type": "static_select", "selected_option": {"value": reason}}
        },
        BlockId.APPEAL_DETAILS: {"value": {"type": "plain_text_input", "value": details}},
        BlockId.APPEAL_LETTER: {"value": {"type": "plain_text_input", "value": letter}},
        BlockId.APPEAL_FILES: {
            "value": {
                "type": "file_input",
                "files": [
                    {"id": "FEXTRA", "name": "call-log.pdf", "permalink": "https://fake/call-log"}
                ],
            }
        },
    }
    if proof is not None:
        values[BlockId.APPEAL_PROOF] = {"value": {"type": "checkboxes", "selected_options": proof}}
    return values


def ops_case(box):
    return box.slack.messages_in("COPS")[0]


def ops_decide(box, label: str, reason: str) -> None:
    """Operations click a decision that needs a reason, and give it in the modal."""
    ops = box.person(OPS)
    ops.clicks(label, ops_case(box))
    ops.submits({BlockId.DECISION_REASON: {"value": {"type": "plain_text_input", "value": reason}}})


@pytest.fixture
def appealed(box, session, clock, seller):
    """A silent customer, escalated; the seller appeals with a letter of commitment."""
    order, _ = submitted_order(box, session)
    clock.set(utc(2026, 2, 9, 14, 30))
    work(box)
    seller.clicks("Initiate appeal", box.slack.dms(SELLER)[-1])
    modal = seller.current_view()
    proof = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.APPEAL_PROOF)
    assert [o["text"]["text"] for o in proof["element"]["initial_options"]] == [
        "sow.pdf (statement of work)"
    ]
    response = seller.submits(appeal_values("unreachable", "No answer in 7 days."), modal)
    assert response.json()["errors"] == {
        BlockId.APPEAL_LETTER: "A letter of commitment is required when the customer is unreachable."
    }
    assert box.slack.messages_in("COPS") == []
    seller.submits(
        appeal_values(
            "unreachable",
            "No answer in 7 days.",
            "We commit that the licence was delivered.",
            proof["element"]["initial_options"],
        ),
        modal,
    )
    return order


def test_the_case_reaches_operations_with_everything_needed(box, appealed, seller):
    shown = blocks_text(ops_case(box).blocks)
    assert "Appeal: order 12345" in shown and "Customer unreachable" in shown
    assert "No answer in 7 days." in shown and "We commit that the licence was delivered." in shown
    assert "sow.pdf" in shown and "call-log.pdf" in shown
    assert "reminder sent" in shown and "escalated" in shown and "submit" in shown
    assert "with the marketplace's operations team" in blocks_text(box.slack.dms(SELLER)[-1].blocks)
    again = seller.submits(appeal_values("dispute", "again"), seller.current_view())
    assert "already with operations" in again.json()["errors"][BlockId.APPEAL_DETAILS]


def test_only_operations_staff_may_decide(box, appealed, session, stranger, seller):
    response = stranger.clicks("Complete the order", ops_case(box))
    assert response.status_code == 200
    assert "Only the marketplace's operations staff" in stranger.responses()[-1]["text"]
    seller.clicks("Reject appeal", ops_case(box))
    assert "Only the marketplace's operations staff" in seller.responses()[-1]["text"]
    with box.session_factory() as check:
        assert check.get(Order, appealed.id).state is SupervisionState.AWAITING_ACCEPTANCE


def test_operations_complete_the_order_from_the_decision_moment(box, appealed, clock, customer):
    ops = box.person(OPS)
    clock.set(utc(2026, 2, 10, 16, 0))
    ops.clicks("Complete the order", ops_case(box))

    with box.session_factory() as check:
        order = check.get(Order, appealed.id)
        assert order.state is SupervisionState.COMPLETED and order.status.value == "Completed"
        # a month on the customer's New York calendar, as their own Accept would give: 11:00
        # EST on 10 Feb to 11:00 EDT on 10 Mar
        assert (order.validity_start, order.validity_end) == (
            utc(2026, 2, 10, 16, 0),
            utc(2026, 3, 10, 15, 0),
        )
        appeal = check.exec(select(Appeal)).one()
        assert (appeal.state, appeal.decided_by) == (AppealState.COMPLETED, OPS)
    case = ops_case(box)
    assert len(case.history) == 1  # updated in place
    assert "Order completed by operations" in blocks_text(case.blocks)
    assert not any(b["type"] == "actions" for b in case.blocks)
    for person in (SELLER, CUSTOMER):
        assert "Operations decided the appeal on order *12345*" in blocks_text(
            box.slack.dms(person)[-1].blocks
        )
    clock.advance(days=10)
    work(box)
    assert "friendly reminder" not in blocks_text(box.slack.dms(CUSTOMER)[-1].blocks)


def test_return_to_seller_needs_a_reason(box, appealed, session):
    ops = box.person(OPS)
    ops.clicks("Return to seller", ops_case(box))
    modal = ops.current_view()
    empty = {BlockId.DECISION_REASON: {"value": {"type": "plain_text_input", "value": "  "}}}
    assert BlockId.DECISION_REASON in ops.submits(empty, modal).json()["errors"]
    reason = {
        BlockId.DECISION_REASON: {
            "value": {"type": "plain_text_input", "value": "The SOW is unsigned."}
        }
    }
    assert ops.submits(reason, modal).status_code == 200
    with box.session_factory() as check:
        assert check.get(Order, appealed.id).state is SupervisionState.AWAITING_DELIVERY
        delivery = check.exec(select(Delivery)).one()
        assert delivery.state is DeliveryState.CHANGES_REQUESTED
        assert "The SOW is unsigned." in delivery.changes_reason
    assert "Returned to the seller" in blocks_text(ops_case(box).blocks)
    assert "The SOW is unsigned." in blocks_text(box.slack.dms(SELLER)[-1].blocks)
    again = ops.submits(reason, modal).json()["errors"][BlockId.DECISION_REASON]
    assert "already decided" in again


def test_reject_keeps_the_order_where_it_was(box, appealed):
    ops_decide(box, "Reject appeal", "Try reaching them by phone.")
    with box.session_factory() as check:
        assert check.get(Order, appealed.id).state is SupervisionState.AWAITING_ACCEPTANCE
    assert "Appeal rejected" in blocks_text(ops_case(box).blocks)
    assert "Try reaching them by phone." in blocks_text(box.slack.dms(CUSTOMER)[-1].blocks)


def escalations(box) -> list:
    return [m for m in box.slack.dms(SELLER) if "not responding" in m.text]


def test_a_rejected_appeal_plans_the_whole_cadence_again_from_the_decision(box, appealed, clock):
    """The order still waits for the customer: reminders 1, 3 and 7 days after the decision
    (Monday 9 Feb 14:30 UTC), at their working time, and the sellers hear again after the last."""
    reminded = len(reminders_seen(box))
    assert len(escalations(box)) == 1
    ops_decide(box, "Reject appeal", "Try reaching them by phone.")

    clock.set(utc(2026, 2, 10, 13, 0))  # a day later, 8:00 in New York: not yet
    work(box)
    assert len(reminders_seen(box)) == reminded
    for day, seen in ((10, 1), (12, 2), (16, 3)):  # Tue, Thu, and day 7, Monday 16 Feb
        clock.set(utc(2026, 2, day, 14, 29))
        work(box)
        assert len(reminders_seen(box)) == reminded + seen - 1
        clock.set(utc(2026, 2, day, 14, 30))
        work(box)
        work(box)
        assert len(reminders_seen(box)) == reminded + seen
        assert len(escalations(box)) == (2 if seen == 3 else 1)

    clock.advance(days=30)  # and nothing more
    work(box)
    assert len(reminders_seen(box)) == reminded + 3 and len(escalations(box)) == 2


def test_a_rejected_appeal_plans_the_automatic_acceptance_again(
    box, session, clock, database_url, engine, tmp_path, loopback
):
    """Automatic acceptance after 5 days: the seller appeals on day 2 and operations reject it
    on Wednesday 4 Feb 15:00 UTC. The day-5 acceptance was cancelled with the old cadence; the
    new one accepts 5 days after the decision, announced by the first reminder (a day ahead)."""
    from bot.demo.sandbox import Sandbox
    from bot.supervision import appeals
    from bot.supervision.appeal_terms import AppealForm

    with Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path,
        engine=engine,
        server=loopback,
        DELIVERYBOT_AUTO_ACCEPT_DAYS="5",
    ) as auto_box:
        auto_box.slack.users = box.slack.users
        auto_box.slack.add_channel("COPS", [OPS])
        order, _ = submitted_order(auto_box, session)
        work(auto_box)
        clock.set(utc(2026, 2, 4, 15, 0))
        with auto_box.session_factory() as other:
            appeals.open_appeal(
                other,
                order=other.get(Order, order.id),
                by=SELLER,
                role="seller",
                form=AppealForm(reason_kind="dispute", details="They dispute the seat count."),
                now=clock.now(),
                settings=auto_box.services.settings,
            )
            other.commit()
        auto_box.settle()
        ops_decide(auto_box, "Reject appeal", "Keep trying.")

        clock.set(utc(2026, 2, 5, 15, 0))  # the new day-1 reminder, 10:00 in New York
        work(auto_box)
        shown = blocks_text(reminders_seen(auto_box)[-1].blocks)
        assert "accepted automatically on" in shown and "9 Feb 2026" in shown
        clock.set(utc(2026, 2, 7, 10, 30))  # the first cadence's day 5: nothing
        work(auto_box)
        with auto_box.session_factory() as check:
            assert check.get(Order, order.id).state is SupervisionState.AWAITING_ACCEPTANCE

        clock.set(utc(2026, 2, 9, 15, 0))
        work(auto_box)
        with auto_box.session_factory() as check:
            done = check.get(Order, order.id)
            assert done.state is SupervisionState.COMPLETED and done.accepted_by == "system"


def test_an_undecided_appeal_is_flagged_after_3_working_days(box, appealed, clock):
    clock.set(utc(2026, 2, 12, 14, 0))  # opened Monday 14:30: Thursday 14:30 is the limit
    work(box)
    assert len(box.slack.messages_in("COPS")) == 1
    clock.set(utc(2026, 2, 12, 14, 31))
    work(box)
    flag = box.slack.messages_in("COPS")[-1]
    assert "waited more than 3 working days" in blocks_text(flag.blocks)
    assert flag.thread_ts == ops_case(box).ts


def test_a_customer_may_appeal_after_three_rejected_rounds(box, session, clock, customer):
    from bot.supervision import reminders

    order = make_order(
        session, "12345", state=SupervisionState.AWAITING_DELIVERY, rejected_rounds=3, round=3
    )
    reminders.cancel_for_order(session, order=order, now=NOW, reason="changes_requested")
    session.commit()
    work(box)

    offer = customer.last_dm()
    assert "you have asked for changes 3 times" in blocks_text(offer.blocks)
    customer.clicks("Appeal", offer)
    customer.submits(appeal_values("rejected_rounds", "Three deliveries, none works."))
    case = blocks_text(ops_case(box).blocks)
    assert "(customer)" in case and "Three deliveries, none works." in case


def test_a_customer_may_appeal_when_the_seller_is_silent_for_5_days(box, session, clock, customer):
    from bot.supervision import reminders

    order = make_order(
        session,
        "12345",
        state=SupervisionState.AWAITING_DELIVERY,
        rejected_rounds=1,
        round=1,
        now=NOW,
    )
    reminders.cancel_for_order(session, order=order, now=NOW, reason="changes_requested")
    session.commit()
    work(box)
    assert customer.dms() == []
    customer.driver.block_action(
        CUSTOMER, {"action_id": "appeal_customer", "value": "12345", "type": "button"}
    )
    assert "can't be appealed now" in customer.responses()[-1]["text"]

    clock.advance(days=5, minutes=2)
    work(box)
    assert "has not delivered again for 5 days" in blocks_text(customer.last_dm().blocks)


def test_two_staff_clicking_complete_at_once_decide_once(box, appealed):
    import threading

    ops = box.person(OPS)
    case = ops_case(box)
    clicks = [threading.Thread(target=ops.clicks, args=("Complete the order", case)) for _ in "ab"]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join(30)
    box.settle()
    decided = [m for m in box.slack.dms(SELLER) if "Operations decided" in blocks_text(m.blocks)]
    assert len(decided) == 1
    with box.session_factory() as check:
        kinds = [
            e.detail.get("decision")
            for e in check.exec(select(AuditEvent))
            if e.kind == "appeal_decided"
        ]
        assert kinds == ["complete"]


def test_appeals_without_an_operations_channel_say_what_to_do(box, session, clock, seller):
    from bot.core.settings import Settings
    from bot.supervision import appeals
    from bot.supervision.appeal_terms import AppealForm, AppealsNotSetUp

    order, _ = submitted_order(box, session)
    with pytest.raises(AppealsNotSetUp, match="DELIVERYBOT_OPS_CHANNEL"):
        appeals.open_appeal(
            session,
            order=order,
            by=SELLER,
            role="seller",
            form=AppealForm(reason_kind="dispute", details="x"),
            now=NOW,
            settings=Settings(_env_file=None),
        )


def test_only_the_customer_may_use_the_customers_appeal_button(box, session, stranger):
    from bot.supervision import reminders

    order = make_order(
        session, "12345", state=SupervisionState.AWAITING_DELIVERY, rejected_rounds=3, round=3
    )
    reminders.cancel_for_order(session, order=order, now=NOW, reason="changes_requested")
    session.commit()
    work(box)
    stranger.clicks("Appeal", box.person(CUSTOMER).last_dm())
    assert refuses_as_not_the_customer(stranger.responses()[-1]["text"], "appeal")
    assert not any(
        v.get("callback_id") == "appeal_customer_modal" for v in box.slack.views.values()
    )
    with box.session_factory() as check:
        refused = check.exec(select(AuditEvent).where(AuditEvent.kind == "refused")).all()
    assert [(e.actor, e.detail["action"]) for e in refused] == [(stranger.id, "appeal")]


def test_a_case_the_ops_channel_refuses_is_reported_and_can_be_sent_again(
    box, session, clock, seller
):
    submitted_order(box, session)
    clock.set(utc(2026, 2, 9, 14, 30))
    work(box)
    box.slack.fail("chat.postMessage", "not_in_channel", when=lambda a: a.get("channel") == "COPS")
    seller.clicks("Initiate appeal", box.slack.dms(SELLER)[-1])
    modal = seller.current_view()
    seller.submits(appeal_values("dispute", "They dispute the seat count."), modal)

    assert box.slack.messages_in("COPS") == []
    assert "could not post your appeal on order *12345*" in blocks_text(seller.last_dm().blocks)

    escalation = next(m for m in box.slack.dms(SELLER) if "not responding" in m.text)
    seller.clicks("Initiate appeal", escalation)  # invited now: try again
    response = seller.submits(appeal_values("dispute", "again"), seller.current_view())
    assert response.status_code == 200 and "errors" not in (response.text or "")
    assert "They dispute the seat count." in blocks_text(ops_case(box).blocks)


def delivery_dm(box):
    """The customer's delivery message (the first thing they received)."""
    return box.slack.dms(CUSTOMER)[0]


def test_completing_replaces_the_customers_accept_buttons_with_the_decision(box, appealed, clock):
    assert delivery_dm(box).text.startswith("Order 12345 was delivered")
    clock.set(utc(2026, 2, 10, 16, 0))
    box.person(OPS).clicks("Complete the order", ops_case(box))

    message = delivery_dm(box)
    assert len(message.history) == 1  # updated in place
    shown = blocks_text(message.blocks)
    assert "Completed by operations on" in shown and "licence valid" in shown
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_returning_replaces_the_customers_buttons_with_the_decision_and_reason(box, appealed):
    ops_decide(box, "Return to seller", "The SOW is unsigned.")

    message = delivery_dm(box)
    shown = blocks_text(message.blocks)
    assert "Operations returned this delivery to the seller" in shown
    assert "The SOW is unsigned." in shown and f"<@{SELLER}> will send a new delivery" in shown
    assert not any(b["type"] == "actions" for b in message.blocks)


def test_a_rejected_appeal_leaves_the_customers_buttons(box, appealed):
    ops_decide(box, "Reject appeal", "Keep trying.")
    assert delivery_dm(box).history == []  # the order still waits for the customer


def test_a_customer_who_accepts_during_an_appeal_closes_it_and_ops_have_nothing_to_decide(
    box, appealed, clock, customer
):
    open_case = copy.deepcopy(ops_case(box))
    clock.set(utc(2026, 2, 10, 15, 0))
    customer.clicks("Accept", reminders_seen(box)[-1])

    case = ops_case(box)
    assert len(case.history) == 1  # the case message, updated in place
    shown = blocks_text(case.blocks)
    assert "The customer accepted the delivery on" in shown and "nothing left to decide" in shown
    assert not any(b["type"] == "actions" for b in case.blocks)
    with box.session_factory() as check:
        appeal = check.exec(select(Appeal)).one()
        assert (appeal.state, appeal.decided_by) == (AppealState.CLOSED, CUSTOMER)
        closed = [e for e in check.exec(select(AuditEvent)) if e.kind == "appeal_closed"]
        assert [e.detail["reason"] for e in closed] == ["The customer accepted the delivery"]

    ops = box.person(OPS)
    ops.clicks("Complete the order", open_case)  # a click on the case as it was
    answer = ops.responses()[-1]["text"]
    assert "Nothing left to decide on order 12345" in answer and "customer accepted" in answer
    ops.clicks("Return to seller", open_case)
    assert "Nothing left to decide" in ops.responses()[-1]["text"]
    assert not any(
        v.get("callback_id") == CallbackId.OPS_DECISION for v in box.slack.views.values()
    )
    with box.session_factory() as check:
        order = check.get(Order, appealed.id)
        assert (order.state, order.accepted_by) == (SupervisionState.COMPLETED, CUSTOMER)
    clock.set(utc(2026, 2, 13, 15, 0))  # past the 3 working days: no overdue flag either
    work(box)
    assert len(box.slack.messages_in("COPS")) == 1


def test_deciding_never_asks_slack_while_holding_sqlites_write_lock(box, appealed, database_url):
    from tests.e2e.test_reminders import calls_under_write_lock

    locked_during = calls_under_write_lock(box, database_url)
    ops = box.person(OPS)
    ops.clicks("Return to seller", copy.deepcopy(ops_case(box)))
    ops.clicks("Complete the order", ops_case(box))

    assert "Order completed by operations" in blocks_text(ops_case(box).blocks)
    assert box.slack.calls_to("conversations.members") and locked_during == []


def test_with_an_ops_usergroup_only_its_members_decide(
    box, session, clock, database_url, engine, tmp_path, loopback, seller
):
    from bot.demo.sandbox import Sandbox

    with Sandbox(
        database_url,
        clock=clock,
        files_dir=tmp_path,
        engine=engine,
        server=loopback,
        DELIVERYBOT_OPS_USERGROUP="SOPS",
    ) as group_box:
        group_box.slack.users = box.slack.users
        group_box.slack.add_channel("COPS", [OPS, SELLER])  # a seller in the channel
        group_box.slack.usergroups["SOPS"] = [OPS]
        submitted_order(group_box, session)
        clock.set(utc(2026, 2, 9, 14, 30))
        work(group_box)
        appellant = group_box.person(SELLER)
        appellant.clicks("Initiate appeal", group_box.slack.dms(SELLER)[-1])
        appellant.submits(appeal_values("dispute", "They dispute the seat count."))
        case = group_box.slack.messages_in("COPS")[0]

        appellant.clicks("Complete the order", case)
        assert "Only the marketplace's operations staff" in appellant.responses()[-1]["text"]
        group_box.person(OPS).clicks("Complete the order", case)
        with group_box.session_factory() as check:
            assert check.exec(select(Appeal)).one().decided_by == OPS


def test_an_acceptance_and_a_decision_at_once_settle_the_order_once(
    box, appealed, customer, session
):
    import threading

    reminder = copy.deepcopy(reminders_seen(box)[-1])
    case = copy.deepcopy(ops_case(box))
    ops = box.person(OPS)
    start = threading.Barrier(2)
    answers = []

    def click(person, label, message):
        start.wait()
        answers.append(person.clicks(label, message).status_code)

    threads = [
        threading.Thread(target=click, args=(customer, "Accept", reminder)),
        threading.Thread(target=click, args=(ops, "Complete the order", case)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    box.settle()

    assert answers == [200, 200]
    with box.session_factory() as check:
        kinds = [e.kind for e in check.exec(select(AuditEvent))]
        assert kinds.count("accept") + kinds.count("ops_complete") == 1
        appeal = check.exec(select(Appeal)).one()
        assert appeal.state in (AppealState.COMPLETED, AppealState.CLOSED)
        assert check.get(Order, appealed.id).state is SupervisionState.COMPLETED
    assert not any(b["type"] == "actions" for b in ops_case(box).blocks)


def test_a_seller_named_by_user_id_and_by_email_hears_the_decision_once(box, session, clock):
    """Sam is on the order twice, as SELLER and as sam@isv.example, and nothing is cached about
    him when operations decide: one person, one notice."""
    from bot.supervision import appeals
    from bot.supervision.appeal_terms import AppealForm

    order, _ = submitted_order(box, session, sellers=(SELLER, "sam@isv.example"))
    appeals.open_appeal(
        session,
        order=order,
        by=SELLER,
        role="seller",
        form=AppealForm(reason_kind="unresponsive", details="No answer."),
        now=clock.now(),
        settings=box.settings,
    )
    session.commit()
    work(box)
    before = len(box.slack.dms(SELLER))

    box.person(OPS).clicks("Complete the order", ops_case(box))

    told = box.slack.dms(SELLER)[before:]
    assert len([m for m in told if "12345" in m.text]) == 1, [m.text for m in told]


def test_operations_complete_on_the_calendar_the_delivery_was_submitted_on(
    box, appealed, clock, session
):
    """The customer was in Tokyo when the delivery was submitted (the cache now says New
    York): a month from 11 Feb 01:00 Tokyo ends 11 Mar 01:00 Tokyo, not 10 Mar 11:00 EDT."""
    delivery = session.exec(select(Delivery)).one()
    delivery.customer_tz = "Asia/Tokyo"
    session.add(delivery)
    session.commit()
    clock.set(utc(2026, 2, 10, 16, 0))
    box.person(OPS).clicks("Complete the order", ops_case(box))

    with box.session_factory() as check:
        order = check.get(Order, appealed.id)
        assert (order.validity_start, order.validity_end) == (
            utc(2026, 2, 10, 16, 0),
            utc(2026, 3, 10, 16, 0),
        )


def seller_appeals(box, order, details: str = "They dispute the seat count.") -> None:
    from bot.supervision import appeals
    from bot.supervision.appeal_terms import AppealForm

    with box.session_factory() as other:
        appeals.open_appeal(
            other,
            order=other.get(Order, order.id),
            by=SELLER,
            role="seller",
            form=AppealForm(reason_kind="dispute", details=details),
            now=box.clock.now(),
            settings=box.services.settings,
        )
        other.commit()
    box.settle()


def overdue_flags(box) -> list:
    return [m for m in box.slack.messages_in("COPS") if "waited more than" in blocks_text(m.blocks)]


@pytest.mark.parametrize(
    ("opened", "not_yet", "flagged"),
    [
        # Friday 14:30: Monday, Tuesday, Wednesday 14:30 (the weekend does not count)
        (utc(2026, 2, 13, 14, 30), utc(2026, 2, 18, 14, 29), utc(2026, 2, 18, 14, 31)),
        # Saturday 10:00: the three working days are Monday to Wednesday, all of them
        (utc(2026, 2, 14, 10, 0), utc(2026, 2, 18, 23, 59), utc(2026, 2, 19, 0, 1)),
        # Sunday 23:00: likewise
        (utc(2026, 2, 15, 23, 0), utc(2026, 2, 18, 23, 59), utc(2026, 2, 19, 0, 1)),
    ],
)
def test_the_3_working_days_of_an_appeal_opened_at_the_weekend_start_on_monday(
    box, session, clock, opened, not_yet, flagged
):
    order, _ = submitted_order(box, session)
    clock.set(opened)
    seller_appeals(box, order)

    clock.set(not_yet)
    work(box)
    assert overdue_flags(box) == []
    clock.set(flagged)
    work(box)
    assert len(overdue_flags(box)) == 1


def test_an_appeal_decided_on_friday_within_its_3_working_days_is_never_flagged(
    box, session, clock
):
    order, _ = submitted_order(box, session)
    clock.set(utc(2026, 2, 11, 10, 0))  # Wednesday: due by Monday 10:00
    seller_appeals(box, order)
    clock.set(utc(2026, 2, 13, 17, 0))  # Friday afternoon
    ops_decide(box, "Reject appeal", "Keep trying.")

    clock.set(utc(2026, 2, 16, 10, 1))
    work(box)
    assert overdue_flags(box) == []
    assert "Appeal rejected" in blocks_text(ops_case(box).blocks)


def test_completing_an_order_never_delivered_counts_validity_on_the_customers_calendar(
    box, session, clock
):
    """The customer (New York) was never messaged, so the bot had not looked them up yet;
    a month from 20 Feb 10:00 EST is 20 Mar 10:00 EDT (14:00 UTC, not 15:00)."""
    from bot.supervision import appeals
    from bot.supervision.appeal_terms import AppealForm

    order = make_order(session, "12345")
    session.commit()
    clock.set(utc(2026, 2, 20, 15, 0))
    appeals.open_appeal(
        session,
        order=order,
        by=SELLER,
        role="seller",
        form=AppealForm(reason_kind="other", details="The customer enabled it themselves."),
        now=clock.now(),
        settings=box.settings,
    )
    session.commit()
    box.settle()

    box.person(OPS).clicks("Complete the order", ops_case(box))

    session.expire_all()
    completed = session.get(Order, order.id)
    assert completed.state is SupervisionState.COMPLETED
    assert (completed.validity_start, completed.validity_end) == (
        utc(2026, 2, 20, 15, 0),
        utc(2026, 3, 20, 14, 0),
    )
