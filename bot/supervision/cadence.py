"""The cadence a silent customer is supervised on (and its job kinds), decided as a pure function: when each
reminder goes, when the automatic acceptance (if on) comes, and what announces it to them.

Reminders go DELIVERYBOT_REMINDER_DAYS (days of the customer's calendar) after `since` (the delivery, or the operations decision
that let supervision go on: a rejected appeal plans the cadence again, as a new series), each
at the customer's next working time. The automatic acceptance
comes DELIVERYBOT_AUTO_ACCEPT_DAYS after `since` and is announced at least AUTO_ACCEPT_NOTICE
ahead: by the last reminder due that long before it, else by a notice that goes with the
delivery message (NOTICE), so one set earlier than the first reminder still comes, announced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.dates import zone
from bot.core.settings import AUTO_ACCEPT_NOTICE
from bot.core.working_hours import next_send_time

# the job kinds of supervision (bot.bootstrap maps them to their handlers)
PLAN = "plan_reminders"
REMINDER = "reminder"
AUTO_ACCEPT = "auto_accept"
ESCALATION = "escalation"
APPEAL_OFFER = "customer_appeal_offer"
WHILE_AWAITING = (PLAN, REMINDER, AUTO_ACCEPT, ESCALATION)
NOT_SENT_YET_RETRY = timedelta(minutes=5)  # a reminder waits this long for its delivery message
NOTICE = "notice"  # the automatic acceptance announced with the delivery, not by a reminder


def step_name(step: int | str, series: str | None) -> str:
    """How a step is named in job and message keys: plainly for the delivery's own cadence, after
    its series for a cadence planned again (after a rejected appeal: "appeal-7-1")."""
    return f"{series}-{step}" if series else str(step)


@dataclass(frozen=True)
class Cadence:
    reminders: tuple[datetime, ...]  # when each step (from 1) is due, in UTC
    auto_accept_at: datetime | None = None
    announced_by: int | str | None = None  # the reminder step that announces it, or NOTICE


def plan_cadence(
    *,
    since: datetime,
    now: datetime,
    tz: str,
    reminder_days: Sequence[int],
    working_hours: tuple[int, int],
    auto_accept_days: int | None,
) -> Cadence:
    # days on the customer's wall clock: "3 days later" is the same time of day there, even
    # across a change of daylight saving time (72 hours could land after their working day)
    local = since.astimezone(zone(tz))
    due = tuple(
        next_send_time(local + timedelta(days=days), tz, working_hours) for days in reminder_days
    )
    if not auto_accept_days:
        return Cadence(due)
    auto_at = (local + timedelta(days=auto_accept_days)).astimezone(UTC)
    in_time = [step for step, at in enumerate(due, start=1) if at <= auto_at - AUTO_ACCEPT_NOTICE]
    if in_time:
        return Cadence(due, auto_at, in_time[-1])
    # the notice goes now: a plan made late (the worker was down) still gives the full notice
    return Cadence(due, max(auto_at, now + AUTO_ACCEPT_NOTICE), NOTICE)
