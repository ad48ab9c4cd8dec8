"""The delivery as a reader outside Slack sees it (the e-mail and the accept page): the same
facts as the customer's DM, as plain text, times in the customer's time zone."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.dates import format_local
from bot.core.durations import describe_duration
from bot.core.proof_kinds import kind_label
from bot.supervision.views.customer import CustomerDelivery, round_text


@dataclass(frozen=True)
class ProofFact:
    file_id: int
    name: str
    kind: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Facts:
    order_no: str
    product: str
    fields: list[tuple[str, str]]  # (label, value): order, product, purchased, enabling time, …
    answers: list[tuple[str, str]]  # the template answers the seller gave
    files: list[ProofFact]
    validity: str  # the validity the acceptance will fix, as a sentence
    tz: str


def delivery_facts(item: CustomerDelivery) -> Facts:
    order, delivery, tz = item.order, item.delivery, item.tz or "UTC"
    enabling = (
        format_local(delivery.enabling_time, tz)
        if delivery.enabling_time
        else "Not stated: the licence starts when you accept"
    )
    start = format_local(item.validity.start, tz, with_time=False)
    end = format_local(item.validity.end, tz, with_time=False)
    if delivery.enabling_time:
        validity = (
            f"Your licence is valid {start} – {end} (from the service enabling time the seller "
            "stated)."
        )
    else:
        validity = (
            f"If you accept now, your licence is valid {start} – {end} "
            f"({describe_duration(order.duration)} from the moment you accept)."
        )
    answers = []
    for field in item.product.delivery_template or []:
        value = (delivery.template_answers or {}).get(field["id"])
        if value in (None, "", []):
            continue
        shown = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        answers.append((str(field["label"]), shown))
    files = [
        ProofFact(f.id or 0, f.name, kind_label(f.kind).capitalize(), f.size, f.sha256 or "")
        for f in item.files
    ]
    return Facts(
        order_no=order.order_no,
        product=item.product.name,
        fields=[
            ("Order", order.order_no),
            ("Product", item.product.name),
            ("Purchased", describe_duration(order.duration)),
            ("Service enabling time", enabling),
            ("Delivery round", round_text(delivery.round, order.rejected_rounds)),
        ],
        answers=answers,
        files=files,
        validity=validity,
        tz=tz,
    )
