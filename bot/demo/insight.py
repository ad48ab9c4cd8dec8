"""The end of the demo: the evidence pack of order 12345 written and verified (and a tampered
copy caught), then the supervision report in text form."""

from __future__ import annotations

import io
import zipfile

from bot.core.filestore import store_for
from bot.demo.sandbox import Sandbox
from bot.evidence.pack import build_pack
from bot.evidence.signing import key_id, private_key
from bot.evidence.verify import verify_pack
from bot.fakeslack.transcript import Transcript
from bot.reporting.figures import ReportFilter, build_report
from bot.reporting.render import as_text
from bot.supervision.appeal_terms import DECISION_DAYS


def _tampered(content: bytes, path: str) -> bytes:
    """The pack with one byte of `path` changed and the ZIP rebuilt (what a forger would do)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == path:
                data = data.replace(b"completed", b"completee", 1)
            out.writestr(info.filename, data)
    return buffer.getvalue()


def evidence_and_report(box: Sandbox, story: Transcript) -> None:
    assert box.settings is not None
    key = private_key(box.settings.evidence_key)
    with box.session_factory() as session:
        pack = build_pack(session, "12345", store=store_for(box.settings), key=key)
    story.narrate("deliverybot evidence 12345 -o evidence-12345.zip")
    story.out(
        f"Wrote evidence-12345.zip ({len(pack.content):,} bytes), signed with key "
        f"{key_id(key.public_key())}."
    )
    for name in zipfile.ZipFile(io.BytesIO(pack.content)).namelist():
        story.out(f"  {name}")
    trusted = key.public_key()
    story.narrate("deliverybot evidence verify evidence-12345.zip")
    verdict = verify_pack(pack.content, trusted)
    story.out(
        f"evidence-12345.zip: {'intact' if verdict.ok else 'NOT intact'}. {verdict.checked} "
        f"files match the manifest, signed by the trusted key {verdict.key_id}."
    )
    story.narrate("Someone edits timeline.json inside a copy; verify names the file (exit 1)")
    for problem in verify_pack(_tampered(pack.content, "timeline.json"), trusted).problems:
        story.out(problem)
    with box.session_factory() as session:
        report = build_report(
            session,
            ReportFilter(),
            now=box.clock.now(),
            hours=box.settings.working_hours,
            decision_days=DECISION_DAYS,
        )
    story.narrate("deliverybot report")
    story.out(as_text(report).rstrip("\n"))
