"""Proof files of a delivery draft: recording what the seller dropped, fetching it from
Slack into the file store, classifying and removing it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.proof_kinds import PROOF_KINDS
from bot.slack.downloads import too_big_message
from storage.models import Delivery, DeliveryState, ProofFile
from storage.rows import get_row, saved_id

_GUESSES = [
    ("sow", re.compile(r"\bsow\b|statement.?of.?work|scope", re.I)),
    ("acceptance", re.compile(r"accept|sign.?off|uat", re.I)),
    ("validity_screenshot", re.compile(r"validity|licen[cs]e|screenshot|screen.?shot|expir", re.I)),
    ("deployment_proof", re.compile(r"deploy|install|rollout|architecture", re.I)),
]


def guess_kind(name: str) -> str:
    """A sensible first guess from the file name; the seller corrects it with the select."""
    words = re.sub(r"[_\-.]+", " ", name)
    for kind, pattern in _GUESSES:
        if pattern.search(words):
            return kind
    return "other"


def active_files(session: Session, delivery_id: int) -> list[ProofFile]:
    query = (
        select(ProofFile)
        .where(ProofFile.delivery_id == delivery_id, col(ProofFile.removed).is_(False))
        .order_by(col(ProofFile.id))
    )
    return list(session.exec(query))


def every_file(session: Session, delivery_id: int) -> list[ProofFile]:
    """The draft's files, removed or not, in the order they were dropped."""
    query = select(ProofFile).where(ProofFile.delivery_id == delivery_id)
    return list(session.exec(query.order_by(col(ProofFile.id))))


def known_file(session: Session, slack_file_id: str, user: str) -> ProofFile | None:
    """The file if it was already recorded on one of `user`'s drafts (the second event)."""
    query = (
        select(ProofFile)
        .join(Delivery, col(Delivery.id) == ProofFile.delivery_id)
        .where(
            ProofFile.slack_file_id == slack_file_id,
            Delivery.holder == user,
            Delivery.state == DeliveryState.DRAFT,
        )
    )
    return session.exec(query).first()


@dataclass(frozen=True)
class Attached:
    file: ProofFile | None  # None when it was refused
    refusal: str | None = None


def attach(
    session: Session,
    delivery: Delivery,
    info: dict[str, Any],
    *,
    user: str,
    now: datetime,
    max_bytes: int,
) -> Attached | None:
    """Record a dropped file on the draft (not yet downloaded). None if it already is."""
    name = info.get("name") or info.get("title") or info["id"]
    size = int(info.get("size") or 0)
    if size > max_bytes:
        audit.record(
            session,
            kind="file_refused",
            actor=user,
            at=now,
            order_id=delivery.order_id,
            delivery_id=delivery.id,
            file=name,
            size=size,
            why="too big",
        )
        return Attached(None, too_big_message(name, max_bytes))
    row = ProofFile(
        delivery_id=saved_id(delivery),
        slack_file_id=info["id"],
        name=name[:500],
        size=size,
        mimetype=info.get("mimetype"),
        kind=guess_kind(name),
        added_by=user,
        added_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the other of Slack's two events for this file got here first
        return None
    audit.record(
        session,
        kind="file_attached",
        actor=user,
        at=now,
        order_id=delivery.order_id,
        delivery_id=delivery.id,
        file=name,
        slack_file_id=info["id"],
        kind_guess=row.kind,
    )
    return Attached(row)


def record_download(
    session: Session, row: ProofFile, sha256: str, size: int, content_type: str
) -> None:
    """The file's content is in the file store under `sha256`."""
    row.sha256 = sha256
    row.size = size
    row.mimetype = content_type or row.mimetype
    session.add(row)


def record_failure(session: Session, row: ProofFile, reason: str, *, now: datetime) -> None:
    """The file cannot be fetched: it comes off the draft, and the delivery message says why."""
    row.removed = True
    row.fetch_error = reason[:500]
    session.add(row)
    _audit_file(session, row, "file_refused", actor="system", now=now, why=reason)


def set_kind(session: Session, row: ProofFile, kind: str, *, user: str, now: datetime) -> None:
    if kind not in PROOF_KINDS:
        raise ValueError(f"unknown proof kind {kind!r}")
    row.kind = kind
    session.add(row)
    _audit_file(session, row, "file_classified", actor=user, now=now, as_kind=kind)


def remove(session: Session, row: ProofFile, *, user: str, now: datetime) -> None:
    row.removed = True
    session.add(row)
    _audit_file(session, row, "file_removed", actor=user, now=now)


def _audit_file(
    session: Session, row: ProofFile, kind: str, *, actor: str, now: datetime, **detail: Any
) -> None:
    order_id = get_row(session, Delivery, row.delivery_id).order_id
    audit.record(
        session,
        kind=kind,
        actor=actor,
        at=now,
        order_id=order_id,
        delivery_id=row.delivery_id,
        file=row.name,
        **detail,
    )
