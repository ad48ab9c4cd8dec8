"""Checking a pack: every file against MANIFEST.sha256, the manifest against its signed
digest, the signature against the trusted key. One line per file that is wrong."""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bot.evidence import signing

TRAILERS = (signing.MANIFEST, signing.SIGNATURE)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)  # "path: what is wrong"
    checked: int = 0  # files whose hash matched
    key_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes | str:
    """The member's bytes, or why they cannot be read (damaged data fails its CRC)."""
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError, NotImplementedError) as error:
        return f"damaged in the ZIP ({error})"


def verify_pack(content: bytes, trusted: Ed25519PublicKey | None) -> Verdict:
    verdict = Verdict()
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        verdict.problems.append(f"(the pack): not a readable ZIP file ({error})")
        return verdict
    members: dict[str, bytes | str] = {}
    for info in archive.infolist():
        if info.filename in members:
            verdict.problems.append(f"{info.filename}: appears twice in the ZIP")
        members[info.filename] = _read(archive, info)
    manifest = members.get(signing.MANIFEST)
    if not isinstance(manifest, bytes):
        verdict.problems.append(f"{signing.MANIFEST}: {manifest or 'missing'}")
        return verdict
    listed = signing.read_manifest(manifest)
    if listed is None:
        verdict.problems.append(f"{signing.MANIFEST}: a line is not '<sha256>  <path>'")
        return verdict
    _check_signature(verdict, members.get(signing.SIGNATURE), manifest, trusted)
    for path, digest in listed.items():
        found = members.get(path)
        if found is None:
            verdict.problems.append(f"{path}: listed in the manifest but missing")
        elif isinstance(found, str):
            verdict.problems.append(f"{path}: {found}")
        elif signing.sha256(found) != digest:
            verdict.problems.append(
                f"{path}: content changed (sha256 {signing.sha256(found)[:16]}…, "
                f"manifest says {digest[:16]}…)"
            )
        else:
            verdict.checked += 1
    for path in members:
        if path not in listed and path not in TRAILERS:
            verdict.problems.append(f"{path}: not in the manifest (added after signing)")
    return verdict


def _check_signature(
    verdict: Verdict,
    signature: bytes | str | None,
    manifest: bytes,
    trusted: Ed25519PublicKey | None,
) -> None:
    if not isinstance(signature, bytes):
        verdict.problems.append(f"{signing.SIGNATURE}: {signature or 'missing'}")
        return
    check = signing.check_signature(signature, trusted)
    verdict.key_id = check.key_id
    if check.problem:
        verdict.problems.append(f"{signing.SIGNATURE}: {check.problem}")
    elif check.signed_digest != signing.sha256(manifest):
        verdict.problems.append(
            f"{signing.MANIFEST}: changed since it was signed (its sha256 is not the signed one)"
        )
