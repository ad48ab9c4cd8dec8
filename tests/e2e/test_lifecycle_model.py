"""The order lifecycle against a small model, with hypothesis choosing the story: the seller
delivers (stating the enabling time or not), the customer asks for changes or accepts, a
stranger clicks Accept, time passes (reminders, escalations), the seller appeals, operations
complete, return or reject, and people click old buttons again. Everything goes through the
real app over signed HTTP and the real worker pass, and after every step the database, the
audit trail and what each person was told must agree with the model:

- the order's state and round, and one open appeal at most;
- exactly one completion, never two, and the validity the model computes (from the enabling
  time, else the moment of completion, plus one month on the customer's calendar);
- the customer received one delivery message per round, the seller one "accepted" notice per
  acceptance and one decision notice per decision, and no reminder once the order completed.

Each example is a new order with its own seller and customer, so examples share the database
and the clock but no person.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlmodel import select

from bot.core.audit import events_for
from bot.core.ids import BlockId
from bot.fakeslack.driver import buttons, label
from bot.orders.queries import get_order
from bot.supervision import appeals
from bot.supervision.appeal_terms import AppealForm
from bot.supervision.views.customer import REASON_INPUT
from storage.models import Appeal, AppealState
from storage.states import SupervisionState
from tests.e2e.test_delivery_conversation import TEMPLATE_VALUES
from tests.e2e.test_reminders import work
from tests.factories import OPS, STRANGER, make_order

AWAITING_DELIVERY = SupervisionState.AWAITING_DELIVERY
AWAITING_ACCEPTANCE = SupervisionState.AWAITING_ACCEPTANCE
COMPLETED = SupervisionState.COMPLETED
CUSTOMER_TZ = "America/New_York"
COMPLETIONS = ("accept", "ops_complete", "auto_accept")
EXAMPLES = int(os.environ.get("LIFECYCLE_EXAMPLES", "12"))
_numbers = itertools.count(1)


@dataclass
class Model:
    placed_at: datetime
    state: SupervisionState = AWAITING_DELIVERY
    round: int = 0
    rejected: int = 0
    stated: bool = False  # the seller stated the enabling time (the moment of placement)
    completed_at: datetime | None = None
    completions: int = 0
    accepted_by_customer: int = 0
    decisions: int = 0
    appeal_open: bool = False

    def validity(self) -> tuple[datetime, datetime]:
        assert self.completed_at is not None
        start = self.placed_at if self.stated else self.completed_at
        local = start.astimezone(ZoneInfo(CUSTOMER_TZ))
        return start, (local + relativedelta(months=1)).astimezone(start.tzinfo)


class Lifecycle(RuleBasedStateMachine):
    box = session = None  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        box, session = self.box, self.session
        n = next(_numbers)
        self.no = f"9{n:04d}"
        self.seller = box.person(f"USELLER{n}")
        self.customer = box.person(f"UCUST{n}")
        box.slack.add_user(
            self.seller.id, f"sam{n}", email=f"sam{n}@isv.example", tz="Europe/Paris"
        )
        box.slack.add_user(
            self.customer.id, f"alex{n}", email=f"alex{n}@buyer.example", tz=CUSTOMER_TZ
        )
        self.model = Model(placed_at=box.clock.now())
        make_order(
            session,
            self.no,
            sellers=(self.seller.id,),
            placed_at=self.model.placed_at,
            customer_user_id=self.customer.id,
            customer_email=f"alex{n}@buyer.example",
            customer_name=f"Alex {n}",
        )
        session.commit()
        self.reminders_at_completion: int | None = None

    # -- the seller ------------------------------------------------------------------------
    @precondition(lambda self: self.model.state is AWAITING_DELIVERY)
    @rule(state_the_enabling_time=st.booleans())
    def deliver(self, state_the_enabling_time):
        """The first round in full; a later round starts from the last one as it was."""
        seller, model = self.seller, self.model
        seller.runs(f"/deliver {self.no}")  # what "Deliver again" does too
        if model.round == 0:
            if state_the_enabling_time:
                local = model.placed_at.astimezone(ZoneInfo("Europe/Paris"))
                seller.says(local.strftime("%Y-%m-%d"))  # that day: the moment it was placed
            else:
                seller.clicks("Not stated — use the acceptance time")
            seller.drops_file("SOW-signed.pdf", b"%PDF sow")
            seller.drops_file("acceptance_report.pdf", b"%PDF acceptance")
            seller.clicks("Fill in the template")
            seller.submits(TEMPLATE_VALUES)
            model.stated = state_the_enabling_time
        seller.clicks("Deliver", self._newest(seller, "Deliver"))
        self.box.settle()
        model.state, model.round = AWAITING_ACCEPTANCE, model.round + 1

    @precondition(lambda self: self.model.state is not COMPLETED and not self.model.appeal_open)
    @rule()
    def seller_appeals(self):
        with self.box.session_factory() as session:
            appeals.open_appeal(
                session,
                order=get_order(session, self.no),
                by=self.seller.id,
                role="seller",
                form=AppealForm(reason_kind="silent", details="No answer from the customer."),
                now=self.box.clock.now(),
                settings=self.box.settings,
            )
            session.commit()
        self.box.settle()
        self.model.appeal_open = True

    # -- the customer and others -----------------------------------------------------------
    @precondition(lambda self: self.model.state is AWAITING_ACCEPTANCE)
    @rule()
    def customer_accepts(self):
        self.customer.clicks("Accept", self._delivery_message())
        self.box.settle()
        self._complete()
        self.model.accepted_by_customer += 1
        self.model.appeal_open = False  # accepting closes an open appeal

    @precondition(lambda self: self.model.state is AWAITING_ACCEPTANCE)
    @rule(reason=st.sampled_from(["Seats should be 50.", "Wrong licence key"]))
    def customer_requests_changes(self, reason):
        self.customer.clicks("Request changes", self._delivery_message())
        self.customer.submits({BlockId.CHANGES_REASON: {REASON_INPUT: {"value": reason}}})
        self.box.settle()
        self.model.state, self.model.rejected = AWAITING_DELIVERY, self.model.rejected + 1

    @precondition(lambda self: self.model.round > 0)
    @rule(who=st.sampled_from(["customer", "stranger"]))
    def an_old_accept_button_is_clicked(self, who):
        """The first delivery message's button: stale after a new round, useless when done,
        never anyone's but the customer's."""
        person = self.customer if who == "customer" else self.box.person(STRANGER)
        first = self._delivery_messages()[0]
        if any(label(element) == "Accept" for _, element in buttons(first.blocks)):
            person.clicks("Accept", first)
            self.box.settle()
            if (
                who == "customer"
                and self.model.round == 1
                and self.model.state is AWAITING_ACCEPTANCE
            ):
                self._complete()
                self.model.accepted_by_customer += 1
                self.model.appeal_open = False

    @rule(hours=st.sampled_from([2, 9, 26, 75]))
    def time_passes(self, hours):
        self.box.clock.advance(hours=hours)
        work(self.box)

    # -- operations ------------------------------------------------------------------------
    @precondition(lambda self: self.model.appeal_open)
    @rule(decision=st.sampled_from(["Complete the order", "Return to seller", "Reject appeal"]))
    def operations_decide(self, decision):
        ops = self.box.person(OPS)
        ops.clicks(decision, self._case())
        if decision != "Complete the order":
            ops.submits(
                {BlockId.DECISION_REASON: {"value": {"type": "plain_text_input", "value": "Seen."}}}
            )
        self.box.settle()
        model = self.model
        model.appeal_open, model.decisions = False, model.decisions + 1
        if decision == "Complete the order":
            self._complete()
        elif decision == "Return to seller":
            model.state = AWAITING_DELIVERY

    # -- what must always hold -------------------------------------------------------------
    @invariant()
    def the_database_agrees_with_the_model(self):
        with self.box.session_factory() as session:
            order = get_order(session, self.no)
            kinds = [event.kind for event in events_for(session, order.id)]
            open_appeals = session.exec(
                select(Appeal).where(Appeal.order_id == order.id, Appeal.state == AppealState.OPEN)
            ).all()
            model = self.model
            assert (order.state, order.round, order.rejected_rounds) == (
                model.state,
                model.round,
                model.rejected,
            ), kinds
            assert sum(kinds.count(kind) for kind in COMPLETIONS) == model.completions, kinds
            assert len(open_appeals) == int(model.appeal_open), kinds
            if model.state is COMPLETED:
                assert (order.validity_start, order.validity_end) == model.validity()

    @invariant()
    def each_person_was_told_what_the_model_says(self):
        model, no = self.model, self.no
        assert len(self._delivery_messages()) == model.round
        seller_dms = [m.text for m in self.seller.dms()]
        accepted = [t for t in seller_dms if f"accepted your delivery of order *{no}*" in t]
        decided = [t for t in seller_dms if f"Appeal on order {no} decided" in t]
        assert (len(accepted), len(decided)) == (model.accepted_by_customer, model.decisions)
        reminders = len([m for m in self.customer.dms() if "reminder" in m.text.lower()])
        if model.state is COMPLETED:
            if self.reminders_at_completion is None:
                self.reminders_at_completion = reminders
            assert reminders == self.reminders_at_completion  # none after completion

    # -- helpers ---------------------------------------------------------------------------
    def _complete(self):
        self.model.state, self.model.completed_at = COMPLETED, self.box.clock.now()
        self.model.completions += 1

    def _delivery_messages(self):
        """The customer's delivery messages of this order, one per round (each updated in place
        later: its first version says what it is)."""
        delivered = f"Order {self.no} was delivered"
        return [
            m
            for m in self.customer.dms()
            if delivered in (m.history[0].get("text", "") if m.history else m.text)
        ]

    def _delivery_message(self):
        return self._delivery_messages()[-1]

    def _newest(self, person, button):
        return next(
            m
            for m in reversed(person.dms())
            if any(label(element) == button for _, element in buttons(m.blocks))
        )

    def _case(self):
        return next(
            m
            for m in reversed(self.box.slack.messages_in(self.box.ops_channel))
            if self.no in m.text and m.blocks and buttons(m.blocks)
        )


def test_the_lifecycle_agrees_with_its_model(box, session):
    Lifecycle.box, Lifecycle.session = box, session
    machine = Lifecycle.TestCase
    machine.settings = settings(
        max_examples=EXAMPLES,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    machine().runTest()
