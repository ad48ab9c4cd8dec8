"""The seller's delivery conversation over signed HTTP, against the fake Slack."""

from __future__ import annotations

import copy
import threading
import time
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.core.ids import ActionId
from bot.fakeslack.records import Message
from bot.fakeslack.render import render_blocks
from bot.slack import downloads
from storage.models import AuditEvent, Delivery, DeliveryState, Order, ProofFile
from storage.states import OrderStatus, SupervisionState
from tests.conftest import NOW
from tests.factories import make_order

TEMPLATE_VALUES = {
    "template_field:licence_key": {"value": {"type": "plain_text_input", "value": "KEY-123"}},
    "template_field:seats": {"value": {"type": "number_input", "value": "25"}},
    "template_field:checks": {
        "value": {"type": "checkboxes", "selected_options": [{"value": "Installed"}]}
    },
}


def shown(person) -> str:
    """Everything the bot's DM with `person` shows now, as text."""
    return "\n".join(render_blocks(m.blocks) for m in person.dms())


def the_delivery(person, order_no: str = "12345") -> Message:
    """The one delivery message of `order_no` in the person's DM, as it is now."""
    [message] = [
        m for m in person.dms() if f"Delivering order {order_no} (" in render_blocks(m.blocks)
    ]
    return message


def fetch(session, query) -> list:
    """Read, then end the transaction: on SQLite an open one would hold the bot's write lock."""
    session.expire_all()
    found = list(session.exec(query))
    session.commit()
    return found


def draft_of(session, order_no: str = "12345") -> Delivery | None:
    order = fetch(session, select(Order).where(Order.order_no == order_no))[0]
    drafts = fetch(
        session, select(Delivery).where(Delivery.order_id == order.id).order_by(Delivery.id.desc())
    )
    return drafts[0] if drafts else None


def audit_kinds(session) -> list[str]:
    return [e.kind for e in fetch(session, select(AuditEvent).order_by(AuditEvent.id))]


def proof_files(session) -> list[ProofFile]:
    return fetch(session, select(ProofFile).order_by(ProofFile.id))


def deliver_everything(seller):
    seller.says("jan 1")
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)


def test_a_complete_delivery(box, seller, session):
    make_order(session, "12345")
    session.commit()

    reply = seller.runs("/deliver 12345").json()
    assert "in our DM" in render_blocks(reply["blocks"])
    assert "Delivering order 12345" in shown(seller)
    assert "Licence key delivered" in shown(seller)

    deliver_everything(seller)
    text = shown(seller)
    assert "1 Jan 2026" in text and "valid 1 Jan 2026 – 1 Feb 2026" in text
    assert "placed that day, so I took the moment it was placed" in text
    assert "SOW-signed.pdf" in text and "acceptance_report.pdf" in text
    assert "KEY-123" in text and "Still required" not in text
    review = render_blocks(the_delivery(seller).blocks)
    assert "All set" in review and "valid 1 Jan 2026 – 1 Feb 2026" in review
    assert "statement of work: SOW-signed.pdf" in review
    assert "Licence key delivered: KEY-123" in review and "Number of seats: 25" in review

    seller.clicks("Deliver")

    assert "Delivered. Order 12345 is now with the customer for acceptance." in shown(seller)
    order = fetch(session, select(Order).where(Order.order_no == "12345"))[0]
    assert order.state is SupervisionState.AWAITING_ACCEPTANCE
    assert order.round == 1
    assert order.enabling_time == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)  # the placement
    delivery = draft_of(session)
    assert delivery.state is DeliveryState.SUBMITTED
    files = [f for f in proof_files(session) if f.delivery_id == delivery.id]
    assert sorted(f.kind for f in files) == ["acceptance", "sow"]
    assert all(
        f.sha256 and (box.files_dir / f.sha256[:2] / f.sha256[2:4] / f.sha256).exists()
        for f in files
    )
    kinds = audit_kinds(session)
    assert "delivery_started" in kinds and "submit" in kinds and "delivery_submitted" in kinds
    assert "[Deliver]" not in shown(seller)  # the buttons are gone


def posts_to(box, person) -> list:
    channel = box.slack.dm_channel(person.id)
    return [
        c
        for c in box.slack.calls_to("chat.postMessage")
        if c.args.get("channel") in (person.id, channel)
    ]


def test_a_start_posts_one_message_and_every_step_updates_it_in_place(box, seller, session):
    make_order(session, "12345")
    session.commit()

    seller.runs("/deliver 12345")

    [message] = seller.dms()
    assert len(posts_to(box, seller)) == 1
    text = render_blocks(message.blocks)
    for heading in ("1. Actual service enabling time", "2. Proof files", "3. Delivery template"):
        assert heading in text  # every open step with its inputs, to answer in any order
    assert "4. Review and deliver" in text and "[Deliver]" in text

    seller.drops_file("SOW-signed.pdf", b"%PDF sow")  # files before the date: still fine
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    seller.clicks("Not stated — use the acceptance time")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)

    [now] = seller.dms()
    assert now.ts == message.ts and len(now.history) >= 3  # chat.update, no new post
    assert len(posts_to(box, seller)) == 1
    text = render_blocks(now.blocks)
    assert text.count(":white_check_mark:") == 3  # each step done is one line
    assert "[Change]" in text and "[Manage files]" in text and "[Edit answers]" in text
    assert "All set" in text

    seller.runs("/deliver 12345")  # resumed: the same message, shown as it is

    assert [m.ts for m in seller.dms()] == [message.ts]
    assert len(posts_to(box, seller)) == 1


def test_a_done_step_can_be_opened_again_and_closes_when_answered(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    seller.drops_file("SOW-signed.pdf", b"%PDF sow")
    seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
    assert "[Remove]" not in shown(seller)  # the files step is done: one line

    folded = copy.deepcopy(the_delivery(seller))
    seller.clicks("Manage files", message=folded)
    updates = len(the_delivery(seller).history)
    seller.clicks("Manage files", message=folded)  # twice: nothing more happens
    assert len(the_delivery(seller).history) == updates
    assert shown(seller).count("[Remove]") == 2 and "<Statement of work ▾>" in shown(seller)

    seller.says("jan 1")  # answering another step puts the files away again

    assert "[Remove]" not in shown(seller) and "[Manage files]" in shown(seller)
    assert "*1. Enabling time:* *1 Jan 2026" in shown(seller)


def enabling_time(session):
    draft = draft_of(session)
    return draft.enabling_time if draft.enabling_decided else "undecided"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("2026-01-15", datetime(2026, 1, 14, 23, 0, tzinfo=UTC)),  # midnight in Paris
        ("15 janvier 2026", datetime(2026, 1, 14, 23, 0, tzinfo=UTC)),
        ("yesterday", datetime(2026, 2, 1, 10, 0, tzinfo=UTC)),
        ("jan 1", datetime(2026, 1, 1, 9, 0, tzinfo=UTC)),  # the placement day: the placement
    ],
)
def test_typed_enabling_times_are_read_in_the_sellers_zone(box, seller, session, typed, expected):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says(typed)

    assert enabling_time(session) == expected
    assert f"“{typed}” →" in render_blocks(seller.last_dm().blocks)
    assert "*1. Enabling time:*" in render_blocks(the_delivery(seller).blocks)  # done: one line
    assert "valid " in render_blocks(the_delivery(seller).blocks)


def test_the_same_words_mean_another_instant_in_tokyo(box, teammate, session):
    make_order(session, "12345")
    session.commit()
    teammate.runs("/deliver 12345")

    teammate.says("15 janvier 2026")

    assert enabling_time(session) == datetime(2026, 1, 14, 15, 0, tzinfo=UTC)  # midnight JST
    assert "15 Jan 2026" in render_blocks(teammate.last_dm().blocks)


def test_an_ambiguous_date_says_which_reading_it_took_and_offers_the_other(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("01/02/2026")

    echo = render_blocks(seller.last_dm().blocks)
    assert "2 Jan 2026" in echo and "month first" in echo and "[Use 1 Feb 2026]" in echo
    assert enabling_time(session) == datetime(2026, 1, 1, 23, 0, tzinfo=UTC)

    seller.clicks("Use 1 Feb 2026")

    assert enabling_time(session) == datetime(2026, 1, 31, 23, 0, tzinfo=UTC)
    assert "valid 1 Feb 2026 – 1 Mar 2026" in shown(seller)


def test_an_ambiguous_date_whose_month_first_reading_is_impossible_is_read_day_first(
    box, seller, session
):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("12/01/2026")  # month first would be 1 Dec 2026: in the future

    echo = seller.last_dm()
    said = render_blocks(echo.blocks)
    assert "12 Jan 2026" in said and "reading it day first" in said
    assert "Read month first it would be 1 Dec 2026, in the future" in said
    assert "[Use" not in said
    assert enabling_time(session) == datetime(2026, 1, 11, 23, 0, tzinfo=UTC)


def test_an_impossible_other_reading_is_named_but_not_offered(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("01/12/2026")  # day first would be 1 Dec 2026: in the future

    said = render_blocks(seller.last_dm().blocks)
    assert "12 Jan 2026" in said and "reading it month first" in said
    assert "Read day first it would be 1 Dec 2026, in the future" in said
    assert "[Use" not in said
    assert enabling_time(session) == datetime(2026, 1, 11, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "why"),
    [("tomorrow", "in the future"), ("2025-12-01", "before the order was placed")],
)
def test_impossible_enabling_times_are_refused_with_the_reason(box, seller, session, typed, why):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says(typed)

    assert why in seller.last_dm().text
    assert enabling_time(session) == "undecided"


def test_the_date_picker_and_not_stated(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.picks(ActionId.ENABLING_DATE, the_delivery(seller), selected_date="2026-01-10")
    assert enabling_time(session) == datetime(2026, 1, 9, 23, 0, tzinfo=UTC)
    assert "[Not stated" not in shown(seller)  # answered: the step is one line

    seller.clicks("Change")  # the seller changes their mind
    assert "<2026-01-10 ▾>" in shown(seller)
    seller.clicks("Not stated — use the acceptance time")
    assert enabling_time(session) is None
    assert "starts when the customer accepts" in shown(seller)
    assert "[Not stated" not in shown(seller) and len(seller.dms()) == 1


def test_a_message_that_is_not_a_date_gets_help(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    seller.says("banana")

    assert "couldn't read “banana” as a date" in seller.last_dm().text


def test_a_retried_event_is_handled_once(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    event = {
        "type": "message",
        "channel_type": "im",
        "user": seller.id,
        "text": "yesterday",
        "channel": box.slack.dm_channel(seller.id),
        "ts": "1700000000.000100",
    }
    before = len(seller.dms())

    box.driver.event(event, event_id="Ev-once")
    box.driver.event(event, event_id="Ev-once", retry_num=1)
    box.driver.event(event, event_id="Ev-once", retry_num=2)

    assert len(seller.dms()) == before + 1
    kinds = audit_kinds(session)
    assert kinds.count("enabling_time_set") == 1


def test_a_dropped_file_is_recorded_once_downloaded_with_the_token_and_classified(
    box, seller, session
):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    info = seller.drops_file("Licence validity.png", b"\x89PNG...", mimetype="image/png")

    rows = proof_files(session)
    assert len(rows) == 1 and rows[0].kind == "validity_screenshot"
    assert rows[0].sha256 and rows[0].size == 7 and rows[0].mimetype == "image/png"
    assert box.slack.downloads == [{"file": info["id"], "authorized": True}]
    files = the_delivery(seller)
    assert "Licence validity.png" in render_blocks(files.blocks)

    seller.picks(
        ActionId.FILE_KIND, files, selected_option={"value": f"{rows[0].id}:deployment_proof"}
    )
    assert proof_files(session)[0].kind == "deployment_proof"

    old = copy.deepcopy(the_delivery(seller))  # the message as it was
    seller.clicks("Remove", message=old)
    seller.clicks("Remove", message=old)  # the same old message, clicked again
    assert proof_files(session)[0].removed
    assert "Licence validity.png" not in render_blocks(the_delivery(seller).blocks)
    assert "already removed" in seller.responses()[-1]["text"]
    kinds = audit_kinds(session)
    assert kinds.count("file_removed") == 1


def test_a_sign_in_page_instead_of_the_file_is_refused(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    box.slack.files_read_granted = False

    seller.drops_file("sow.pdf", b"%PDF")

    assert "files:read" in seller.last_dm().text
    assert proof_files(session)[0].removed
    files = render_blocks(the_delivery(seller).blocks)
    assert "Could not fetch from Slack" in files and "*sow.pdf*: Slack sent a sign-in page" in files
    assert "[Remove]" not in files  # it is not on the delivery


def test_an_oversize_file_is_refused_before_download(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    limit = box.settings.max_file_bytes

    seller.drops_file("huge.iso", b"x" * (limit + 1))

    assert "larger than the 50 MB" in seller.last_dm().text
    assert proof_files(session) == []
    assert box.slack.downloads == []


def test_a_file_dropped_with_no_open_delivery_asks_which_it_belongs_to(box, seller, session):
    make_order(session, "12345")
    session.commit()

    seller.drops_file("acceptance.pdf", b"%PDF")

    question = seller.last_dm()
    assert "Which delivery does it belong to?" in render_blocks(question.blocks)
    assert len(seller.dms()) == 1  # one question for Slack's two events

    seller.clicks("Order 12345", message=question)

    draft = draft_of(session)
    assert draft.state is DeliveryState.DRAFT
    assert [f.kind for f in proof_files(session)] == ["acceptance"]
    assert "acceptance.pdf" in render_blocks(the_delivery(seller).blocks)


def test_a_file_deleted_before_the_seller_says_its_order_is_explained(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.drops_file("acceptance.pdf", b"%PDF")
    question = seller.last_dm()
    box.slack.files.clear()  # the seller deleted it in Slack meanwhile

    seller.clicks("Order 12345", message=question)

    assert "deleted from Slack. Drop it here again." in seller.responses()[-1]["text"]
    assert draft_of(session).state is DeliveryState.DRAFT  # the delivery started all the same
    assert proof_files(session) == []


def test_a_file_dropped_while_two_deliveries_are_open_asks_which(box, seller, session):
    make_order(session, "12345")
    make_order(session, "777")
    session.commit()
    seller.runs("/deliver 12345")
    seller.runs("/deliver 777")

    seller.drops_file("sow.pdf", b"%PDF")

    question = seller.last_dm()
    assert "Which delivery does it belong to?" in render_blocks(question.blocks)
    assert proof_files(session) == []

    seller.clicks("Order 12345", message=question)

    assert [f.delivery_id for f in proof_files(session)] == [draft_of(session, "12345").id]
    assert "sow.pdf" in render_blocks(the_delivery(seller, "12345").blocks)
    assert "sow.pdf" not in render_blocks(the_delivery(seller, "777").blocks)


def test_the_template_modal_validates_required_fields_in_the_modal(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    seller.clicks("Fill in the template")
    modal = seller.current_view()
    assert [b["block_id"] for b in modal["blocks"]] == list(TEMPLATE_VALUES)

    reply = seller.submits({"template_field:seats": {"value": {"value": "lots"}}}).json()

    assert reply["response_action"] == "errors"
    assert reply["errors"] == {
        "template_field:licence_key": "Licence key delivered is required.",
        "template_field:seats": "Number of seats must be a number, like 25.",
    }
    assert draft_of(session).template_answers == {}

    assert seller.submits(TEMPLATE_VALUES).status_code == 200
    assert draft_of(session).template_answers == {
        "licence_key": "KEY-123",
        "seats": 25,
        "checks": ["Installed"],
    }
    seller.clicks("Edit answers")
    assert seller.current_view()["blocks"][0]["element"]["initial_value"] == "KEY-123"


def test_deliver_lists_what_is_still_missing_and_changes_nothing(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    _, _, deliver = seller.find_button("Deliver")
    seller.clicks("Deliver")

    dialog = deliver["confirm"]["text"]["text"]
    assert "statement of work" in dialog and "acceptance document" in dialog
    assert "Licence key delivered" in dialog
    said = seller.responses()[-1]["text"]
    assert "can't be delivered yet" in said and "statement of work" in said
    assert draft_of(session).state is DeliveryState.DRAFT


def test_a_double_click_on_deliver_submits_once(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    deliver_everything(seller)
    review = copy.deepcopy(seller.find_button("Deliver")[0])

    seller.clicks("Deliver", message=review)
    seller.clicks("Deliver", message=review)

    assert "already submitted" in seller.responses()[-1]["text"]
    kinds = audit_kinds(session)
    assert kinds.count("submit") == 1 and kinds.count("delivery_submitted") == 1


def restart(box):
    """A new bot process: fresh app, services and dispatcher; same database, same Slack."""
    from bot.app import create_app
    from bot.bootstrap import build_services
    from bot.web import create_web_app

    box.services = build_services(
        box.settings, session_factory=box.session_factory, clock=box.clock, channel_interval=0
    )
    box.app = create_app(box.services)
    box.loopback.target = create_web_app(box.app, box.engine)


def test_a_restart_in_the_middle_resumes_where_the_seller_left_off(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    seller.says("2026-01-15")
    seller.drops_file("SOW.pdf", b"%PDF sow")

    restart(box)
    box.clock.advance(days=1)
    reply = seller.runs("/deliver 12345").json()

    assert "Picking up where you left off" in render_blocks(reply["blocks"])
    assert len(fetch(session, select(Delivery))) == 1
    text = shown(seller)
    assert "15 Jan 2026" in text and "SOW.pdf" in text
    seller.drops_file("acceptance.pdf", b"%PDF acc")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)
    seller.clicks("Deliver")
    assert "Delivered. Order 12345" in shown(seller)


def test_a_teammate_sees_who_holds_the_delivery_and_can_take_it_over(
    box, seller, teammate, session
):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    before = copy.deepcopy(the_delivery(seller))  # with the enabling step's buttons
    seller.says("2026-01-15")

    reply = teammate.runs("/deliver 12345").json()
    held = Message(
        channel="D" + teammate.id,
        ts="1.1",
        text="",
        blocks=reply["blocks"],
        ephemeral_to=teammate.id,
    )
    assert "@USELLER is already delivering order 12345" in render_blocks(held.blocks)
    assert teammate.dms() == []

    teammate.clicks("Take over", message=held)
    teammate.clicks("Take over", message=held)  # twice: nothing more happens

    assert draft_of(session).holder == teammate.id
    assert "15 Jan 2026" in render_blocks(the_delivery(teammate).blocks)  # their one message
    assert len(teammate.dms()) == 1
    assert "took over your delivery of order 12345" in seller.last_dm().text
    kept = render_blocks(the_delivery(seller).blocks)
    assert "took over this delivery" in kept and "15 Jan 2026" in kept and "[Deliver]" not in kept
    kinds = audit_kinds(session)
    assert kinds.count("delivery_taken_over") == 1

    seller.clicks("Not stated — use the acceptance time", message=before)
    assert "took over the delivery" in seller.responses()[-1]["text"]
    assert enabling_time(session) == datetime(2026, 1, 14, 23, 0, tzinfo=UTC)


def test_a_stranger_learns_nothing_and_changes_nothing(box, seller, stranger, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    enabling = the_delivery(seller)

    said = render_blocks(stranger.runs("/deliver 12345").json()["blocks"])
    stranger.clicks("Not stated — use the acceptance time", message=enabling)

    assert "isn't one of yours" in said and "SecureVPN" not in said
    assert "isn't one of yours" in stranger.responses()[-1]["text"]
    assert enabling_time(session) == "undecided"
    assert stranger.dms() == []


@pytest.mark.parametrize(
    ("state", "status", "where"),
    [
        (
            SupervisionState.AWAITING_ACCEPTANCE,
            OrderStatus.PROCESSING,
            "with the customer for acceptance",
        ),
        (SupervisionState.COMPLETED, OrderStatus.COMPLETED, "completed: the customer accepted"),
        (
            SupervisionState.NOT_DELIVERABLE,
            OrderStatus.PENDING_PAYMENT,
            "becomes deliverable once it is paid",
        ),
        (SupervisionState.NOT_DELIVERABLE, OrderStatus.CANCELED, "was cancelled"),
    ],
)
def test_an_order_in_another_state_says_where_it_stands(box, seller, session, state, status, where):
    make_order(session, "12345", state=state, status=status)
    session.commit()

    said = render_blocks(seller.runs("/deliver 12345").json()["blocks"])

    assert where in said
    assert "SecureVPN Enterprise" in said and "Licence key delivered" in said  # the order
    assert "[Deliver]" not in said
    assert seller.dms() == []
    assert fetch(session, select(Delivery)) == []


def test_cancel_discards_the_draft_and_the_audit_keeps_it(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    seller.says("yesterday")

    said = render_blocks(seller.runs("/deliver cancel 12345").json()["blocks"])

    assert "Discarded the delivery draft of order 12345" in said
    assert draft_of(session).state is DeliveryState.CANCELLED
    assert "cancelled this draft" in shown(seller)
    again = render_blocks(seller.runs("/deliver cancel 12345").json()["blocks"])
    assert "no delivery draft of order 12345" in again

    seller.runs("/deliver 12345")
    assert draft_of(session).state is DeliveryState.DRAFT
    assert enabling_time(session) == "undecided"
    kinds = audit_kinds(session)
    assert kinds.count("delivery_cancelled") == 1


def test_a_teammate_who_cancels_the_draft_is_named_and_the_holder_is_told(
    box, seller, teammate, session
):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")

    said = render_blocks(teammate.runs("/deliver cancel 12345").json()["blocks"])

    assert "Discarded @USELLER's delivery draft of order 12345. They have been told." in said
    assert draft_of(session).state is DeliveryState.CANCELLED
    told = render_blocks(seller.last_dm().blocks)
    assert "@UTEAMMATE cancelled your delivery draft of order 12345" in told
    assert "@UTEAMMATE cancelled this draft" in shown(seller)
    event = fetch(session, select(AuditEvent).where(AuditEvent.kind == "delivery_cancelled"))[0]
    assert (event.actor, event.detail["holder"]) == (teammate.id, seller.id)
    assert teammate.dms() == []


def test_cancelling_your_own_draft_sends_you_no_extra_message(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    before = len(seller.dms())

    seller.runs("/deliver cancel 12345")

    assert len(seller.dms()) == before


def test_a_round_after_changes_requested_starts_from_the_previous_one(box, seller, session):
    order = make_order(session, "12345", round=1, rejected_rounds=1)
    previous = Delivery(
        order_id=order.id,
        round=1,
        state=DeliveryState.CHANGES_REQUESTED,
        holder=seller.id,
        enabling_time=datetime(2026, 1, 5, tzinfo=UTC),
        enabling_decided=True,
        template_answers={"licence_key": "OLD-KEY"},
        changes_reason="The SOW is unsigned",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(previous)
    session.flush()
    session.add(
        ProofFile(
            delivery_id=previous.id,
            slack_file_id="FOLD",
            name="old-sow.pdf",
            size=3,
            sha256="a" * 64,
            kind="sow",
            added_by=seller.id,
            added_at=NOW,
        )
    )
    session.commit()

    seller.runs("/deliver 12345")

    text = shown(seller)
    assert text.index("The customer asked for changes") < text.index("Product")
    assert "The SOW is unsigned" in text and "round 2" in text
    assert "OLD-KEY" in text and "old-sow.pdf" in text and "5 Jan 2026" in text


def test_the_file_shared_event_alone_is_enough(box, seller, session):
    """If the `message` event never arrives, `file_shared` (an id only) still records it."""
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    info = box.slack.upload_file(seller.id, "acceptance.pdf", b"%PDF")

    box.driver.event(
        {
            "type": "file_shared",
            "file_id": info["id"],
            "user_id": seller.id,
            "channel_id": box.slack.dm_channel(seller.id),
        }
    )

    assert [(f.name, f.kind) for f in proof_files(session)] == [("acceptance.pdf", "acceptance")]
    assert proof_files(session)[0].sha256
    assert box.slack.calls_to("files.info")


def test_a_retried_file_event_records_and_downloads_once(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    info = box.slack.upload_file(seller.id, "sow.pdf", b"%PDF")
    event = {
        "type": "message",
        "subtype": "file_share",
        "channel_type": "im",
        "user": seller.id,
        "channel": box.slack.dm_channel(seller.id),
        "files": [info],
        "ts": "1.2",
    }

    for retry in (None, 1, 2):
        assert box.driver.event(event, event_id="EvFile", retry_num=retry).status_code == 200

    assert len(proof_files(session)) == 1
    assert len(box.slack.downloads) == 1
    assert audit_kinds(session).count("file_attached") == 1


def test_the_deliver_button_of_the_order_list_starts_the_delivery(box, seller, session):
    make_order(session, "12345")
    session.commit()
    listing = seller.runs("/deliver").json()
    message = Message(
        channel="D" + seller.id, ts="1.1", text="", blocks=listing["blocks"], ephemeral_to=seller.id
    )

    seller.clicks("Deliver", message=message)

    assert "order 12345 in our DM" in seller.responses()[-1]["blocks"][0]["text"]["text"]
    assert "Delivering order 12345" in shown(seller)
    assert draft_of(session).holder == seller.id


def test_a_strangers_deliver_click_fetches_nothing(box, seller, stranger, session, monkeypatch):
    monkeypatch.setattr(downloads, "TIMEOUT_SECONDS", 0.2)
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    box.slack.download_delay = 1.0
    seller.drops_file("sow.pdf", b"%PDF sow")
    box.slack.download_delay = 0
    fetched = len(box.slack.downloads)
    stranger.clicks("Deliver", message=the_delivery(seller))

    assert "isn't one of yours" in stranger.responses()[-1]["text"]
    assert len(box.slack.downloads) == fetched
    assert proof_files(session)[0].sha256 is None


def at_once(*actions) -> list:
    """Run the actions in threads released together; their results in order."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(index, action):
        barrier.wait()
        results[index] = action()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_two_sellers_opening_the_order_at_once_get_one_draft(box, seller, teammate, session):
    make_order(session, "12345")
    session.commit()

    replies = at_once(
        lambda: seller.runs("/deliver 12345"), lambda: teammate.runs("/deliver 12345")
    )

    said = [render_blocks(reply.json()["blocks"]) for reply in replies]
    assert len(fetch(session, select(Delivery))) == 1
    assert sum("is already delivering order 12345" in text for text in said) == 1
    assert sum("in our DM" in text for text in said) == 1


def test_two_deliver_clicks_at_once_submit_once(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    deliver_everything(seller)
    review = copy.deepcopy(seller.find_button("Deliver")[0])

    at_once(
        lambda: seller.clicks("Deliver", message=review),
        lambda: seller.clicks("Deliver", message=review),
    )

    kinds = audit_kinds(session)
    assert kinds.count("submit") == 1 and kinds.count("delivery_submitted") == 1
    assert draft_of(session).state is DeliveryState.SUBMITTED
    assert len(seller.responses()) == 1  # the loser is told; the winner sees the DM change


def test_repeated_answers_change_nothing_twice(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    enabling = copy.deepcopy(the_delivery(seller))

    seller.clicks("Not stated — use the acceptance time", message=enabling)
    seller.clicks("Not stated — use the acceptance time", message=enabling)
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_VALUES)
    seller.submits(TEMPLATE_VALUES)

    kinds = audit_kinds(session)
    assert kinds.count("enabling_time_set") == 1 and kinds.count("template_answered") == 1


def test_an_event_whose_handling_failed_is_handled_when_slack_retries_it(box, seller, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    info = box.slack.upload_file(seller.id, "sow.pdf", b"%PDF")
    event = {
        "type": "file_shared",
        "file_id": info["id"],
        "user_id": seller.id,
        "channel_id": box.slack.dm_channel(seller.id),
    }
    box.slack.fail("files.info", "internal_error")

    first = box.driver.event(event, event_id="EvFlaky")
    assert first.status_code >= 500 and proof_files(session) == []
    box.driver.event(event, event_id="EvFlaky", retry_num=1)

    assert [f.name for f in proof_files(session)] == ["sow.pdf"]


def test_a_slow_slack_profile_lookup_holds_up_no_one_else(box, seller, teammate, session):
    """Slack is asked about a person with no database transaction open (on SQLite a write
    transaction held meanwhile would make every other seller wait on Slack), and the request
    waiting on Slack lets the others be answered meanwhile."""
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver")  # the seller's profile is now cached
    slow = box.slack.hold("users.info", when=lambda args: args.get("user") == teammate.id)
    listing = threading.Thread(target=lambda: teammate.runs("/deliver"))
    listing.start()
    slow.wait_reached()

    started = time.monotonic()
    replies = [seller.runs(text).json() for text in ("/deliver 12345", "/deliver")]
    took = time.monotonic() - started
    slow.release()
    listing.join(timeout=30)

    assert "in our DM" in render_blocks(replies[0]["blocks"])
    assert "12345" in render_blocks(replies[1]["blocks"])
    assert took < 5


def test_two_take_over_clicks_at_once_take_over_once(box, seller, teammate, session):
    make_order(session, "12345")
    session.commit()
    seller.runs("/deliver 12345")
    reply = teammate.runs("/deliver 12345").json()
    held = Message(
        channel="D" + teammate.id,
        ts="1.1",
        text="",
        blocks=reply["blocks"],
        ephemeral_to=teammate.id,
    )

    at_once(
        lambda: teammate.clicks("Take over", message=held),
        lambda: teammate.clicks("Take over", message=held),
    )

    assert audit_kinds(session).count("delivery_taken_over") == 1
    said = [r["text"] for r in teammate.responses()]
    assert len(said) == 2 and all("continue in our DM" in text for text in said)
    assert draft_of(session).holder == teammate.id
