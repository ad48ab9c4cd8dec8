"""The Evidence pack button on an appeal: operations get the signed pack in the case's
thread, through the outbox; nobody else gets it."""

from __future__ import annotations

import io
import json
import zipfile

from bot.evidence import signing
from bot.evidence.verify import verify_pack
from tests.e2e.test_appeals import appealed, ops_case  # noqa: F401  (a fixture)
from tests.factories import OPS


def test_operations_get_the_pack_in_the_thread_and_it_verifies(box, appealed):  # noqa: F811
    case = ops_case(box)
    box.person(OPS).clicks("Evidence pack", case)

    replies = [m for m in box.slack.messages_in("COPS") if m.thread_ts == case.ts and m.files]
    assert len(replies) == 1
    assert "Evidence pack of order 12345, asked for by <@UOPS>" in replies[0].text
    (shared,) = replies[0].files
    assert shared["name"] == "evidence-12345.zip"
    content = box.slack.file_contents[shared["id"]]
    trusted = signing.private_key(box.settings.evidence_key).public_key()
    verdict = verify_pack(content, trusted)
    assert verdict.ok, verdict.problems
    pack = zipfile.ZipFile(io.BytesIO(content))
    assert "timeline.html" in pack.namelist() and "validity.json" in pack.namelist()
    # the seeded proof row names bytes the file store never got: said, not silently dropped
    answers = json.loads(pack.read("rounds/round-1/answers.json"))
    assert answers["proof_files"][0]["missing"] == "not in the file store"
    assert "1 proof file(s) could not be included" in replies[0].text
    assert ":package: evidence-12345.zip is on its way" in box.person(OPS).responses()[-1]["text"]


def test_someone_outside_operations_is_refused_the_pack(box, appealed, seller):  # noqa: F811
    seller.clicks("Evidence pack", ops_case(box))
    assert "Only the operations team" in seller.responses()[-1]["text"]
    assert not any(m.files for m in box.slack.messages_in("COPS"))
