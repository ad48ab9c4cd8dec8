"""The evidence pack: what it holds, that it verifies, and that any change is named."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from bot.acceptance.decision import accept, request_changes
from bot.core.filestore import LocalFileStore
from bot.evidence import signing
from bot.evidence.pack import build_pack
from bot.evidence.verify import verify_pack
from bot.orders.customers import Clicker
from storage.models import SlackUser
from tests.factories import CUSTOMER, make_order, make_submitted_delivery

PRIVATE, PUBLIC = signing.new_private_key()
KEY = signing.private_key(PRIVATE)
TRUSTED = signing.public_key(PUBLIC)
T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    return LocalFileStore(tmp_path / "files")


@pytest.fixture
def settled(session, store):
    """Order 12345: round 1 rejected, round 2 (two files, one of them named twice) accepted."""
    session.add(SlackUser(user_id=CUSTOMER, tz="America/New_York", fetched_at=T0))
    order = make_order(session, placed_at=T0 - timedelta(days=3))
    first = make_submitted_delivery(
        session, order, now=T0, files={"SOW-signed.pdf": b"%PDF sow v1"}, files_dir=store.root
    )
    session.commit()
    customer = Clicker(user_id=CUSTOMER)
    request_changes(
        session,
        order_no="12345",
        delivery_id=first.id,
        clicker=customer,
        reason="Seats: we bought 30",
        now=T0 + timedelta(hours=2),
    )
    session.commit()
    second = make_submitted_delivery(
        session,
        order,
        now=T0 + timedelta(days=1),
        files={"SOW-signed.pdf": b"%PDF sow v2", "../../etc/passwd": b"not a path"},
        files_dir=store.root,
        answers={"licence_key": "VPN-9", "seats": 30},
    )
    session.commit()
    accept(
        session,
        order_no="12345",
        delivery_id=second.id,
        clicker=customer,
        now=T0 + timedelta(days=2),
    )
    session.commit()
    return order


def members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            archive.writestr(path, content)
    return buffer.getvalue()


def test_the_pack_holds_the_timeline_every_rounds_proof_and_the_validity(session, store, settled):
    pack = build_pack(session, "12345", store=store, key=KEY)
    files = members(pack.content)
    assert files["rounds/round-1/proof/SOW-signed.pdf"] == b"%PDF sow v1"
    assert files["rounds/round-2/proof/SOW-signed.pdf"] == b"%PDF sow v2"
    assert files["rounds/round-2/proof/_.._etc_passwd"] == b"not a path"  # never leaves its folder
    round_1 = json.loads(files["rounds/round-1/answers.json"])
    assert round_1["changes_requested"] == "Seats: we bought 30"
    answers = json.loads(files["rounds/round-2/answers.json"])["template_answers"]
    assert {"id": "seats", "label": "Number of seats", "answer": 30} in answers
    events = json.loads(files["timeline.json"])["events"]
    kinds = [(e["kind"], e["state_before"], e["state_after"]) for e in events]
    assert kinds == [
        ("submit", "awaiting_delivery", "awaiting_acceptance"),
        ("request_changes", "awaiting_acceptance", "awaiting_delivery"),
        ("submit", "awaiting_delivery", "awaiting_acceptance"),
        ("accept", "awaiting_acceptance", "completed"),
    ]
    accepted = events[-1]
    assert accepted["at_utc"] == "2026-01-07T15:00:00+00:00"
    assert accepted["at_customer"] == "2026-01-07T10:00:00-05:00"  # New York, in winter
    assert accepted["actor_role"] == "customer"
    validity = json.loads(files["validity.json"])
    assert validity["result"] == {
        "start": "2026-01-07T15:00:00+00:00",
        "start_from": "accepted_at",
        "end": "2026-02-07T15:00:00+00:00",
    }
    assert validity["recorded_matches"] is True
    assert "enabling time" in validity["rule"]
    html = files["timeline.html"].decode()
    assert "<script" not in html and "http" not in html.replace("http-equiv", "")
    assert "2026-01-07T10:00:00-05:00" in html
    listed = signing.read_manifest(files[signing.MANIFEST])
    assert listed is not None
    assert set(listed) == set(files) - {signing.MANIFEST, signing.SIGNATURE}


def test_the_same_records_give_the_same_pack_and_it_verifies(session, store, settled):
    first = build_pack(session, "12345", store=store, key=KEY)
    assert build_pack(session, "12345", store=store, key=KEY).content == first.content
    verdict = verify_pack(first.content, TRUSTED)
    assert verdict.ok, verdict.problems
    assert verdict.checked == len(members(first.content)) - 2


def test_changing_one_byte_of_any_file_names_that_file(session, store, settled):
    files = members(build_pack(session, "12345", store=store, key=KEY).content)
    for path, content in files.items():
        changed = dict(files)
        changed[path] = bytes([content[0] ^ 1]) + content[1:]
        problems = verify_pack(rezip(changed), TRUSTED).problems
        assert problems, path
        assert all(p.split(":")[0] == path for p in problems) or path == signing.MANIFEST, problems
        assert any(p.startswith(f"{path}:") for p in problems), problems


def test_a_byte_flipped_inside_the_zip_names_the_damaged_file(session, store, settled):
    content = build_pack(session, "12345", store=store, key=KEY).content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("timeline.json")
    # the member's data starts after its local header (30 bytes + name + extra)
    offset = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    damaged = content[:offset] + bytes([content[offset] ^ 0xFF]) + content[offset + 1 :]
    problems = verify_pack(damaged, TRUSTED).problems
    assert problems and problems[0].startswith("timeline.json:"), problems


def test_a_pack_signed_with_another_key_or_with_a_file_added_fails(session, store, settled):
    content = build_pack(session, "12345", store=store, key=KEY).content
    other = signing.public_key(signing.new_private_key()[1])
    assert verify_pack(content, other).problems[0].startswith(f"{signing.SIGNATURE}: signed with")
    files = members(content) | {"rounds/round-2/proof/extra.pdf": b"planted"}
    assert verify_pack(rezip(files), TRUSTED).problems == [
        "rounds/round-2/proof/extra.pdf: not in the manifest (added after signing)"
    ]
