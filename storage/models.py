"""All tables. Timestamps are aware UTC; nothing that is evidence is ever deleted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Index, Numeric, UniqueConstraint, text
from sqlalchemy import Enum as SAEnum
from sqlmodel import Field, SQLModel

from storage.states import (
    AppealState,
    DeliveryState,
    JobStatus,
    OrderStatus,
    OutboxStatus,
    SupervisionState,
    shown_status,
)
from storage.types import UTCDateTime


def _enum(enum_cls: type[StrEnum], name: str) -> SAEnum:
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        length=32,
        values_callable=lambda cls: [member.value for member in cls],
        validate_strings=True,
    )


def _ts(**kw: Any) -> Any:
    return Field(sa_type=UTCDateTime, **kw)


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, max_length=100)
    name: str = Field(max_length=300)
    # the acceptance criteria: [{"id", "label", "kind": text|checklist|date|number,
    #                             "required": bool, "options": [...] (checklist)}]
    delivery_template: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON))
    required_proof_kinds: list[str] | None = Field(default=None, sa_column=Column(JSON))
    delivery_days: int | None = None  # the product's stated delivery time
    # how its customers get deliveries when the order does not say: "email", or None (Slack)
    contact: str | None = Field(default=None, max_length=16)


class Order(SQLModel, table=True):
    __tablename__ = "orders"
    # lists and counts by state, newest placement first, paged by (placed_at, id); either
    # serves a look-up by state alone
    __table_args__ = (
        Index("ix_orders_state_placed", "state", "placed_at", "id"),
        Index("ix_orders_state_accepted", "state", "accepted_at", "state_changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_no: str = Field(unique=True, max_length=100)
    product_id: int = Field(foreign_key="product.id", index=True)
    amount: Decimal = Field(sa_column=Column(Numeric(18, 2), nullable=False))
    currency: str = Field(max_length=3)
    imported_status: OrderStatus = Field(sa_type=_enum(OrderStatus, "order_status"))
    state: SupervisionState = Field(sa_type=_enum(SupervisionState, "supervision_state"))
    placed_at: datetime = _ts()
    duration: str = Field(max_length=32)  # ISO 8601, e.g. P1M
    customer_user_id: str | None = Field(default=None, max_length=32)
    customer_email: str | None = Field(default=None, max_length=320)
    customer_name: str | None = Field(default=None, max_length=300)
    customer_channel: str | None = Field(default=None, max_length=32)
    renewal_of: str | None = Field(default=None, max_length=100, index=True)
    # "email": the customer gets deliveries by e-mail (with a signed accept link); None: the
    # product's default, else Slack first and e-mail when Slack cannot reach them
    contact: str | None = Field(default=None, max_length=16)
    enabling_time: datetime | None = _ts(default=None)
    accepted_at: datetime | None = _ts(default=None)
    accepted_by: str | None = Field(default=None, max_length=32)
    validity_start: datetime | None = _ts(default=None)
    validity_end: datetime | None = _ts(default=None)
    round: int = 0  # delivery rounds submitted
    rejected_rounds: int = 0
    state_changed_at: datetime = _ts()
    created_at: datetime = _ts()
    updated_at: datetime = _ts()

    @property
    def status(self) -> OrderStatus:
        return shown_status(self.state, self.imported_status)


class OrderSeller(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("order_id", "seller"),  # also an order's sellers
        # a seller's orders without reading the table (lists, counts, the Home)
        Index("ix_orderseller_seller_order", "seller", "order_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id")
    seller: str = Field(max_length=320)  # Slack user id, or e-mail until resolved


class SlackUser(SQLModel, table=True):
    """What Slack told us about a person, cached (time zone, e-mail, name)."""

    user_id: str = Field(primary_key=True, max_length=32)
    email: str | None = Field(default=None, max_length=320, index=True)
    name: str | None = Field(default=None, max_length=300)
    real_name: str | None = Field(default=None, max_length=300)
    tz: str | None = Field(default=None, max_length=64)
    dm_channel: str | None = Field(default=None, max_length=32)
    fetched_at: datetime = _ts()


REPORT_COUNTED_KINDS = "kind IN ('reminder_sent', 'escalated')"


class AuditEvent(SQLModel, table=True):
    __table_args__ = (
        # the report counts reminders and escalations per order from this index alone
        Index(
            "ix_auditevent_report_counts",
            "order_id",
            "kind",
            sqlite_where=text(REPORT_COUNTED_KINDS),
            postgresql_where=text(REPORT_COUNTED_KINDS),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    at: datetime = _ts()
    actor: str = Field(max_length=64)  # Slack user id, "system" or "cli"
    kind: str = Field(max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))


class Delivery(SQLModel, table=True):
    """One delivery round: a draft until submitted. Never deleted."""

    __table_args__ = (
        # one open draft per order
        Index(
            "uq_delivery_one_draft",
            "order_id",
            unique=True,
            sqlite_where=text("state = 'draft'"),
            postgresql_where=text("state = 'draft'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    round: int
    state: DeliveryState = Field(sa_type=_enum(DeliveryState, "delivery_state"))
    holder: str = Field(max_length=32)  # the seller working on it
    step: str = Field(default="enabling_time", max_length=32)
    enabling_time: datetime | None = _ts(default=None)
    enabling_decided: bool = False  # True once the seller chose a time or "not stated"
    template_answers: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    dm_channel: str | None = Field(default=None, max_length=32)
    # the seller's delivery message (bot.delivery.dm): {"generation": n, "required_kinds":
    # [...], "message": outbox key}; drafts from before it have a key per step instead
    messages: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    customer_channel: str | None = Field(default=None, max_length=32)
    customer_ts: str | None = Field(default=None, max_length=32)
    # the customer's time zone when it was submitted: its validity is counted in it (None:
    # submitted before this was kept, so the cached profile's zone is used)
    customer_tz: str | None = Field(default=None, max_length=64)
    changes_reason: str | None = None  # the customer's reason, when they asked for changes
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    submitted_at: datetime | None = _ts(default=None)


class ProofFile(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("delivery_id", "slack_file_id"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    slack_file_id: str = Field(max_length=32)
    name: str = Field(max_length=500)
    size: int
    mimetype: str | None = Field(default=None, max_length=200)
    sha256: str | None = Field(default=None, max_length=64)  # None until downloaded
    fetch_error: str | None = Field(default=None, max_length=500)  # why it could not be fetched
    kind: str = Field(default="other", max_length=32)
    removed: bool = False
    added_by: str = Field(max_length=32)
    added_at: datetime = _ts()
    message_ts: str | None = Field(default=None, max_length=32)


class OutboxMessage(SQLModel, table=True):
    """A Slack call caused by a state change, written in the change's transaction."""

    __table_args__ = (
        Index("ix_outbox_due", "status", "due_at", "id"),
        # the head of each channel's queue (pacing keeps a channel's messages in order)
        Index("ix_outbox_channel_queue", "channel_key", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)  # one message per cause
    method: str = Field(max_length=64)  # chat.postMessage, chat.update, views.publish, …
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # why it was sent ({"purpose": "customer_delivery", "delivery_id": 7}): failure handlers use it
    meta: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # for per-channel pacing: a channel or user id, or an e-mail (up to 320 characters)
    channel_key: str | None = Field(default=None, max_length=320)
    # what the call rewrites in place (an outbox key, channel:ts, home:user): the newest wins
    target: str | None = Field(default=None, max_length=255, index=True)
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_type=_enum(OutboxStatus, "outbox_status")
    )
    attempts: int = 0
    due_at: datetime = _ts()
    claimed_until: datetime | None = _ts(default=None)
    last_error: str | None = None
    result_channel: str | None = Field(default=None, max_length=32)
    result_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = _ts()
    sent_at: datetime | None = _ts(default=None)
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)


class OutboxChannel(SQLModel, table=True):
    """When the next message may go to a channel (or a rate-limited method, or the whole
    workspace): pacing shared by every dispatcher through the database."""

    __tablename__ = "outbox_channel"

    channel: str = Field(primary_key=True, max_length=330)
    next_send_at: datetime = _ts()


class ProcessedEvent(SQLModel, table=True):
    """Events API deliveries claimed (Slack retries and replays are dropped) and handled."""

    event_id: str = Field(primary_key=True, max_length=64)
    received_at: datetime = _ts()  # when the current claim was taken
    handled_at: datetime | None = _ts(default=None)  # None: in hand, or the process died


class ScheduledJob(SQLModel, table=True):
    # ends in the primary key: claiming the oldest of thousands due at one instant reads
    # them in index order instead of sorting them all
    __table_args__ = (Index("ix_job_due", "status", "due_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=200)  # one job per cause, e.g. reminder:42:1:2
    kind: str = Field(max_length=32)  # reminder, escalation, auto_accept, appeal_overdue, …
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    due_at: datetime = _ts()
    status: JobStatus = Field(default=JobStatus.PENDING, sa_type=_enum(JobStatus, "job_status"))
    attempts: int = 0
    last_error: str | None = None
    done_at: datetime | None = _ts(default=None)
    # taken by a worker for a run (a batch claim) until then; a dead worker's claim runs out
    claimed_until: datetime | None = _ts(default=None)


class Appeal(SQLModel, table=True):
    __table_args__ = (
        Index(
            "uq_appeal_one_open",
            "order_id",
            unique=True,
            sqlite_where=text("state = 'open'"),
            postgresql_where=text("state = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True)
    by_user: str = Field(max_length=32)
    by_role: str = Field(max_length=16)  # seller | customer
    reason_kind: str = Field(max_length=32)
    details: str = ""
    letter_of_commitment: str | None = None
    file_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    state: AppealState = Field(default=AppealState.OPEN, sa_type=_enum(AppealState, "appeal_state"))
    ops_channel: str | None = Field(default=None, max_length=32)
    ops_ts: str | None = Field(default=None, max_length=32)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _ts(default=None)
    decision_reason: str | None = None
    created_at: datetime = _ts()
    flagged_overdue_at: datetime | None = _ts(default=None)


class WorkerLease(SQLModel, table=True):
    """Who runs the scheduled work on SQLite (one worker at a time) and until when."""

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=128)
    expires_at: datetime = _ts()


class WorkerHeartbeat(SQLModel, table=True):
    """When each worker last finished a pass (readiness and `deliverybot check` read it)."""

    holder: str = Field(primary_key=True, max_length=128)
    seen_at: datetime = _ts(index=True)
