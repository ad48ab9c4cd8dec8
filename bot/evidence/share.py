"""The Evidence pack button on an appeal: the pack, built from the records as they are, is
kept in the file store and uploaded to the case's thread in the operations channel through
the outbox (files.share: getUploadURLExternal, upload, completeUploadExternal)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core import audit
from bot.core.errors import DeliverybotError
from bot.core.filestore import FileStore
from bot.evidence import signing
from bot.evidence.pack import build_pack
from bot.slack import outbox
from storage.models import Appeal, Order
from storage.rows import get_row

EVIDENCE_PACK = "evidence_pack"  # the outbox purpose


class NoSuchAppeal(DeliverybotError):
    def __init__(self) -> None:
        super().__init__("That appeal is not in my records any more: ask the team to check.")


def share_pack(
    session: Session,
    *,
    appeal_id: int,
    user: str,
    now: datetime,
    store: FileStore,
    key_text: str,
    ops_channel: str,
) -> str:
    """Queue the pack of the appeal's order to the case's thread; returns the pack's name.
    The same records give the same pack, so a second click does not upload it again."""
    appeal = session.get(Appeal, appeal_id)
    if appeal is None:
        raise NoSuchAppeal()
    order = get_row(session, Order, appeal.order_id)
    pack = build_pack(session, order.order_no, store=store, key=signing.private_key(key_text))
    digest = store.put(pack.content)
    missing = f" {len(pack.missing)} proof file(s) could not be included." if pack.missing else ""
    outbox.enqueue(
        session,
        key=f"evidence:{appeal.id}:{digest[:32]}",
        method="files.share",
        payload={
            "channel": appeal.ops_channel or ops_channel,
            "thread_ts": outbox.ref(f"appeal:{appeal.id}"),
            "files": [{"sha256": digest, "name": pack.name, "title": pack.name}],
            "initial_comment": (
                f"Evidence pack of order {order.order_no}, asked for by <@{user}>. "
                f"Check it with `deliverybot evidence verify {pack.name}`.{missing}"
            ),
        },
        now=now,
        order_id=order.id,
        meta={"purpose": EVIDENCE_PACK, "appeal_id": appeal.id},
    )
    audit.record(
        session,
        kind="evidence_pack_shared",
        actor=user,
        at=now,
        order_id=order.id,
        appeal_id=appeal.id,
        sha256=digest,
    )
    return pack.name
