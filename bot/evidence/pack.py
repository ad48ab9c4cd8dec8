"""Gathering an order's evidence pack: a deterministic ZIP (the same records give the same
bytes, so sharing it twice uploads it once) with a signed manifest of every file."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlmodel import Session, col, select

from bot.core.audit import events_for
from bot.core.errors import OrderNotFound
from bot.core.filestore import FileStore
from bot.evidence import signing
from bot.evidence.timeline import timeline, timeline_html
from bot.orders.calendar import customer_time_zone
from bot.orders.queries import get_order, sellers_of
from bot.orders.validity import explain_validity
from storage.models import Appeal, Delivery, DeliveryState, Order, Product, ProofFile, SlackUser
from storage.rows import saved_id

EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a ZIP entry can carry


@dataclass
class Pack:
    name: str
    content: bytes
    missing: list[str] = field(default_factory=list)  # proof files the store does not hold


def _json(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n").encode()


def safe_name(name: str, taken: set[str]) -> str:
    """The original name, unless it would leave its folder or repeat one: `a (2).pdf`."""
    base = name.replace("/", "_").replace("\\", "_").strip().lstrip(".") or "file"
    stem, dot, ext = base.rpartition(".")
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if dot and stem else f"{base} ({n})"
    taken.add(candidate)
    return candidate


def _rounds(
    session: Session, order: Order, product: Product, store: FileStore, pack: Pack
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    labels = {f.get("id"): f.get("label") for f in product.delivery_template}
    files: dict[str, bytes] = {}
    rounds = []
    deliveries = session.exec(
        select(Delivery)
        .where(Delivery.order_id == order.id, Delivery.state != DeliveryState.DRAFT)
        .order_by(col(Delivery.round), col(Delivery.id))
    ).all()
    for delivery in deliveries:
        folder = f"rounds/round-{delivery.round}"
        if delivery.state is DeliveryState.CANCELLED:
            folder += f"-cancelled-{delivery.id}"
        proof = session.exec(
            select(ProofFile)
            .where(ProofFile.delivery_id == delivery.id)
            .order_by(col(ProofFile.id))
        ).all()
        taken: set[str] = set()
        listed = []
        for item in proof:
            entry: dict[str, Any] = {
                "original_name": item.name,
                "kind": item.kind,
                "size": item.size,
                "sha256": item.sha256,
                "removed_by_seller": item.removed,
                "added_by": item.added_by,
                "added_at": item.added_at.isoformat(),
            }
            content = _stored(store, item.sha256)
            if content is None:
                entry["missing"] = item.fetch_error or "not in the file store"
                pack.missing.append(f"round {delivery.round}: {item.name}")
            else:
                path = f"{folder}/proof/{safe_name(item.name, taken)}"
                files[path] = content
                entry["path"] = path
            listed.append(entry)
        answers = {
            "round": delivery.round,
            "state": delivery.state.value,
            "delivered_by": delivery.holder,
            "submitted_at": delivery.submitted_at.isoformat() if delivery.submitted_at else None,
            "enabling_time": delivery.enabling_time.isoformat() if delivery.enabling_time else None,
            "customer_time_zone": delivery.customer_tz,
            "template_answers": [
                {"id": key, "label": labels.get(key, key), "answer": value}
                for key, value in delivery.template_answers.items()
            ],
            "changes_requested": delivery.changes_reason,
            "proof_files": listed,
        }
        files[f"{folder}/answers.json"] = _json(answers)
        rounds.append(answers)
    return files, rounds


def _stored(store: FileStore, digest: str | None) -> bytes | None:
    if not digest:
        return None
    try:
        return store.get(digest)
    except FileNotFoundError:
        return None


def _appeals(session: Session, order: Order) -> list[dict[str, Any]]:
    appeals = session.exec(
        select(Appeal).where(Appeal.order_id == order.id).order_by(col(Appeal.id))
    ).all()
    return [
        {
            "opened_at": a.created_at.isoformat(),
            "by": a.by_user,
            "role": a.by_role,
            "reason": a.reason_kind,
            "details": a.details,
            "letter_of_commitment": a.letter_of_commitment,
            "state": a.state.value,
            "decided_by": a.decided_by,
            "decided_at": a.decided_at.isoformat() if a.decided_at else None,
            "decision_reason": a.decision_reason,
        }
        for a in appeals
    ]


def build_pack(
    session: Session, order_no: str, *, store: FileStore, key: Ed25519PrivateKey
) -> Pack:
    """The pack of `order_no` from the records as they are; raises OrderNotFound."""
    order = get_order(session, order_no)
    if order is None:
        raise OrderNotFound(order_no)
    product = session.get(Product, order.product_id)
    assert product is not None
    pack = Pack(name=f"evidence-{_file_safe(order.order_no)}.zip", content=b"")
    events = events_for(session, saved_id(order))
    sellers = sellers_of(session, saved_id(order))
    tz = customer_time_zone(session, order)
    people = {e.actor for e in events} | set(sellers) | {order.customer_user_id or ""}
    names = {
        u.user_id: u.real_name or u.name or u.user_id
        for u in session.exec(select(SlackUser).where(col(SlackUser.user_id).in_(people)))
    }
    files, rounds = _rounds(session, order, product, store, pack)
    last = _last_delivery(session, order)
    facts = {
        "Order": order.order_no,
        "Product": f"{product.name} ({product.code})",
        "Amount": f"{order.amount:,.2f} {order.currency}",
        "Placed": order.placed_at.isoformat(),
        "Duration": order.duration,
        "State": order.state.value,
        "Sellers": ", ".join(sellers),
        "Customer": " · ".join(
            p for p in (order.customer_name, order.customer_email, order.customer_user_id) if p
        ),
        "Rounds delivered": order.round,
        "Validity": f"{order.validity_start} – {order.validity_end}"
        if order.validity_start
        else "not fixed yet",
    }
    data = timeline(order, events, tz=tz, sellers=sellers, names=names)
    files["order.json"] = _json({**facts, "renewal_of": order.renewal_of})
    files["timeline.json"] = _json(data)
    files["timeline.html"] = timeline_html(data, facts=facts).encode()
    files["appeals.json"] = _json(_appeals(session, order))
    files["validity.json"] = _json(explain_validity(session, order, last))
    manifest = signing.manifest(files)
    files[signing.MANIFEST] = manifest
    files[signing.SIGNATURE] = signing.sign(manifest, key)
    stamp = events[-1].at.astimezone(UTC) if events else order.placed_at.astimezone(UTC)
    pack.content = _zip(files, stamp)
    return pack


def _last_delivery(session: Session, order: Order) -> Delivery | None:
    query = (
        select(Delivery)
        .where(Delivery.order_id == order.id)
        .where(col(Delivery.state).not_in([DeliveryState.DRAFT, DeliveryState.CANCELLED]))
        .order_by(col(Delivery.round).desc(), col(Delivery.id).desc())
    )
    return session.exec(query).first()


def _zip(files: dict[str, bytes], stamp: datetime) -> bytes:
    when = max(EPOCH, stamp.timetuple()[:6])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=when)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


def _file_safe(order_no: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in order_no)
