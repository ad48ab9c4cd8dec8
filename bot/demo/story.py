"""`deliverybot demo`: the whole flow offline, as each person sees it.

The bot runs in this process against the fake Slack (real HTTP on 127.0.0.1, signed
requests), on a throw-away SQLite file. A scripted seller delivers order 12345 as in the
seed's example (bought Jan 1, resources enabled Jan 1); the customer stays silent for a week
(reminders in their working hours, then an escalation to the seller) and accepts on Feb 1.
Then order 12346's customer cannot be reached at all: the seller appeals, operations decide.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.bootstrap import build_scheduler
from bot.core.clock import ManualClock
from bot.core.ids import BlockId
from bot.demo.by_email import customer_accepts_by_email
from bot.demo.insight import evidence_and_report
from bot.demo.mailsink import MailSink
from bot.demo.sandbox import Sandbox
from bot.fakeslack.driver import Person
from bot.fakeslack.render import plain
from bot.fakeslack.transcript import Transcript
from bot.orders.imports.files import read_records
from bot.orders.imports.orders import import_orders
from bot.orders.imports.products import import_products, read_products, validate_products
from bot.orders.imports.validation import validate_orders
from bot.orders.queries import get_order, order_json
from storage.migrate import upgrade
from storage.models import Product

# shipped with the package (examples/ in the repository links here): `pip install .` has them
EXAMPLES = Path(__file__).resolve().parent / "examples"
SELLER, TEAMMATE, CUSTOMER, OPS = "U0SELLER", "U0TEAMMATE", "U0CUSTOMER", "U0OPS"
NAMES = {SELLER: "Sam", TEAMMATE: "Tea", CUSTOMER: "Alex", OPS: "Olga", "COPS": "marketplace-ops"}
TEMPLATE_ANSWERS: dict[str, dict[str, Any]] = {
    "template_field:licence_key": {
        "value": {"type": "plain_text_input", "value": "SVPN-7F3K-22QX"}
    },
    "template_field:seats": {"value": {"type": "number_input", "value": "25"}},
    "template_field:checks": {
        "value": {
            "type": "checkboxes",
            "selected_options": [{"value": "Installed"}, {"value": "Activated"}],
        }
    },
}


def run_demo(out: Callable[[str], None] = print, examples: Path = EXAMPLES) -> dict:
    """Run the scripted flow; returns order 12345 as `deliverybot orders show 12345 --json`."""
    clock = ManualClock(datetime(2026, 1, 20, 16, 0, tzinfo=UTC))  # a Tuesday
    with tempfile.TemporaryDirectory() as folder:
        database = f"sqlite:///{Path(folder) / 'demo.db'}"
        with (
            MailSink(missing={"ops@bigcorp.example"}) as sink,
            Sandbox(
                database, clock=clock, files_dir=Path(folder) / "files", SMTP_URL=sink.url
            ) as box,
        ):
            assert box.engine is not None
            upgrade(box.engine)
            _people(box)
            story = Transcript(box.slack, NAMES, out)
            out("deliverybot demo — a fake Slack in this process; nothing leaves this machine.")
            _import(box, examples, story, clock)
            seller, customer = box.person(SELLER), box.person(CUSTOMER)

            story.narrate(f"{_when(clock)} · Sam types /deliver")
            reply = seller.runs("/deliver").json()
            story.show_reply(SELLER, reply.get("blocks"), reply.get("text", ""))

            story.narrate("Sam types /deliver 12345: the delivery starts in Sam's DM with the bot")
            reply = seller.runs("/deliver 12345").json()
            story.show_reply(SELLER, reply.get("blocks"), reply.get("text", ""))
            story.flush()

            story.narrate('Sam types the actual service enabling time: "jan 1"')
            seller.says("jan 1")
            story.flush()

            story.narrate("Sam drops two proof files into the DM")
            seller.drops_file("SOW-signed.pdf", b"%PDF-1.7 statement of work")
            seller.drops_file("acceptance_report.pdf", b"%PDF-1.7 acceptance document")
            story.flush()

            story.narrate("Sam fills in the product's delivery template")
            _click(seller, "Fill in the template", story)
            story.flush()
            seller.submits(TEMPLATE_ANSWERS)
            story.flush()

            story.narrate("Sam clicks Deliver")
            _click(seller, "Deliver", story)
            story.flush()

            story.narrate(
                "Alex says nothing. The worker runs every hour; reminders go out only in "
                "Alex's working hours in New York, then Sam gets an escalation."
            )
            until = datetime(2026, 1, 29, 12, 0, tzinfo=UTC)
            while clock.now() < until:
                clock.advance(hours=1)
                if _worker_pass(box):
                    out(f"\n    … {_when(clock)}")
                    story.flush()

            clock.set(datetime(2026, 2, 1, 15, 0, tzinfo=UTC))
            story.narrate(f"{_when(clock)} · Alex finally clicks Accept")
            _click(customer, "Accept", story, message=_first_with(customer, "Accept"))
            story.flush()

            shown = _show(box, story, "12345")
            out(
                "\nThe seed's scenario 2: enabling time Jan 1, accepted Feb 1 → valid Jan 1 – Feb 1."
            )

            _unreachable_customer_and_appeal(box, story, clock)
            customer_accepts_by_email(
                box,
                story,
                sink,
                seller_id=SELLER,
                deliver=lambda order_no: _deliver(box, order_no, story),
                worker_pass=lambda: _worker_pass(box),
            )
            evidence_and_report(box, story)
            return shown


def _unreachable_customer_and_appeal(box: Sandbox, story: Transcript, clock: ManualClock) -> None:
    """Act 2: order 12346's customer cannot be reached; the seller appeals; operations decide."""
    seller, ops = box.person(SELLER), box.person(OPS)
    clock.set(datetime(2026, 2, 2, 10, 0, tzinfo=UTC))
    story.narrate(
        f"{_when(clock)} · Act 2: Sam delivers order 12346 to BigCorp, known only by an "
        "e-mail that is not in Slack and a shared channel the bot is not in"
    )
    seller.runs("/deliver 12346")
    _click(seller, "Not stated — use the acceptance time", story)
    seller.drops_file("BigCorp-SOW.pdf", b"%PDF-1.7 statement of work")
    seller.drops_file("BigCorp-acceptance.pdf", b"%PDF-1.7 acceptance document")
    _click(seller, "Fill in the template", story)
    seller.submits(TEMPLATE_ANSWERS)
    story.flush()
    _click(seller, "Deliver", story)
    story.flush()
    clock.advance(minutes=1)
    _worker_pass(box)
    story.flush()

    story.narrate(
        "Sam clicks Initiate appeal: the customer is unreachable, so a letter of "
        "commitment is required"
    )
    _click(seller, "Initiate appeal", story)
    story.flush()
    modal = seller.current_view()
    proof = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.APPEAL_PROOF)
    seller.submits(
        {
            BlockId.APPEAL_REASON: {
                "value": {"type": "static_select", "selected_option": {"value": "unreachable"}}
            },
            BlockId.APPEAL_DETAILS: {
                "value": {
                    "type": "plain_text_input",
                    "value": "BigCorp's listed contact bounces; the licence is in use.",
                }
            },
            BlockId.APPEAL_LETTER: {
                "value": {
                    "type": "plain_text_input",
                    "value": "We commit that the licence was delivered and enabled.",
                }
            },
            BlockId.APPEAL_PROOF: {
                "value": {
                    "type": "checkboxes",
                    "selected_options": proof["element"].get("initial_options", []),
                }
            },
        },
        modal,
    )
    story.flush()

    clock.advance(hours=5)
    story.narrate(f"{_when(clock)} · Olga, in the operations channel, clicks Complete the order")
    _click(ops, "Complete the order", story, message=box.slack.messages_in("COPS")[-1])
    story.flush()
    _show(box, story, "12346")
    story.out(
        "\nNo enabling time was stated, so the licence runs from the decision (as the seed "
        "does from the acceptance), for the 1 year purchased."
    )


def _deliver(box: Sandbox, order_no: str, story: Transcript) -> None:
    seller = box.person(SELLER)
    seller.runs(f"/deliver {order_no}")
    seller.clicks("Not stated — use the acceptance time")
    seller.drops_file(f"{order_no}-SOW.pdf", b"%PDF-1.7 statement of work")
    seller.drops_file(f"{order_no}-acceptance.pdf", b"%PDF-1.7 acceptance document")
    seller.clicks("Fill in the template")
    seller.submits(TEMPLATE_ANSWERS)
    _click(seller, "Deliver", story)


def _worker_pass(box: Sandbox) -> int:
    """What `deliverybot worker --once` does: the due jobs, then the outbox."""
    scheduler = build_scheduler(box.services, holder="demo-worker")
    try:
        scheduler.run_due()
    finally:
        scheduler.release()
    return box.settle()


def _show(box: Sandbox, story: Transcript, order_no: str) -> dict:
    with box.session_factory() as session:
        order = get_order(session, order_no)
        assert order is not None
        shown = order_json(session, order)
    story.narrate(f"deliverybot orders show {order_no} --json (abridged)")
    keys = (
        "order_no",
        "status",
        "state",
        "enabling_time",
        "accepted_at",
        "validity_start",
        "validity_end",
    )
    story.out(json.dumps({key: shown[key] for key in keys}, indent=2))
    return shown


def _people(box: Sandbox) -> None:
    slack = box.slack
    slack.add_user(
        SELLER, "sam", email="sam@isv.example", tz="Europe/Paris", real_name="Sam Seller"
    )
    slack.add_user(TEAMMATE, "tea", email="tea@isv.example", tz="Asia/Tokyo", real_name="Tea Mate")
    slack.add_user(
        CUSTOMER, "alex", email="admin@buyer.example", tz="America/New_York", real_name="Alex Buyer"
    )
    slack.add_user(
        OPS, "olga", email="olga@market.example", tz="Europe/London", real_name="Olga Ops"
    )
    slack.add_channel("COPS", [OPS])


def _import(box: Sandbox, examples: Path, story: Transcript, clock: ManualClock) -> None:
    story.narrate(
        "deliverybot products import examples/products.yaml; "
        "deliverybot orders import examples/orders.csv"
    )
    with box.session_factory() as session:
        products, errors = validate_products(read_products(examples / "products.yaml"))
        assert not errors, errors
        import_products(session, products, now=clock.now())
        session.flush()
        rows = session.exec(select(Product.code, Product.id)).all()
        product_ids = {code: product_id for code, product_id in rows if product_id is not None}
        records, _ = read_records(examples / "orders.csv")
        checked = validate_orders(records, product_ids=product_ids, now=clock.now())
        assert not checked.errors, checked.errors
        report = import_orders(session, checked.rows, now=clock.now())
        session.commit()
    story.out(
        f"  Products: {len(products)} imported. Orders: {len(report.created)} imported "
        "(a renewal of a completed order is marked not supervised; a pending-payment order "
        "cannot be delivered)."
    )


def _click(person: Person, label: str, story: Transcript, message=None) -> None:
    _, _, element = person.find_button(label, message)
    if element.get("confirm"):
        confirm = element["confirm"]
        story.out(f"  ┌─ dialog «{confirm['title']['text']}»")
        for line in plain(confirm["text"]["text"], NAMES).splitlines():
            story.out(f"  │ {line}")
        story.out(
            f"  │ [{confirm['deny']['text']}]  [{confirm['confirm']['text']}]  ← clicks {confirm['confirm']['text']}"
        )
        story.out("  └─")
    person.clicks(label, message=message)


def _first_with(person: Person, label: str):
    for message in person.dms():
        try:
            person.find_button(label, message)
            return message
        except AssertionError:
            continue
    raise AssertionError(f"{person.id} has no message with {label!r}")


def _when(clock: ManualClock) -> str:
    moment = clock.now()
    return f"{moment:%a %d %b %Y %H:%M} UTC"
