"""The server's Ed25519 key, the manifest of a pack, and the signature over its digest.

Ed25519 rather than an HMAC: anyone holding the published public key can check a pack
(a customer's lawyer, an auditor) without being able to forge one, and no shared secret has
to leave the server. The private key is DELIVERYBOT_EVIDENCE_KEY (32 bytes, base64);
`deliverybot evidence keygen` makes one and prints the public key to publish.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bot.core.errors import DeliverybotError

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "SIGNATURE.json"
ALGORITHM = "Ed25519"


class EvidenceKeyError(DeliverybotError):
    """No usable signing or verifying key."""


def _raw(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise EvidenceKeyError(
            f"{what} is not an Ed25519 key (32 bytes in base64): make one with "
            "`deliverybot evidence keygen`"
        )
    return raw


def private_key(text: str) -> Ed25519PrivateKey:
    if not text:
        raise EvidenceKeyError(
            "No evidence signing key: set DELIVERYBOT_EVIDENCE_KEY (make one with "
            "`deliverybot evidence keygen`)"
        )
    return Ed25519PrivateKey.from_private_bytes(_raw(text, "DELIVERYBOT_EVIDENCE_KEY"))


def public_key(text: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(_raw(text, "The public key"))


def public_text(key: Ed25519PublicKey) -> str:
    return base64.b64encode(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint to read aloud: the first 16 hex digits of the key's sha256."""
    return hashlib.sha256(key.public_bytes(Encoding.Raw, PublicFormat.Raw)).hexdigest()[:16]


def new_private_key() -> tuple[str, str]:
    """(private key, public key), both base64."""
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes_raw()
    return base64.b64encode(raw).decode(), public_text(key.public_key())


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def manifest(files: dict[str, bytes]) -> bytes:
    """`sha256sum` format (so `sha256sum -c MANIFEST.sha256` works too), sorted by path."""
    return "".join(f"{sha256(files[path])}  {path}\n" for path in sorted(files)).encode()


def read_manifest(content: bytes) -> dict[str, str] | None:
    """path -> sha256, or None when a line is not `<64 hex>  <path>`."""
    listed: dict[str, str] = {}
    for line in content.decode("utf-8", "replace").splitlines():
        digest, _, path = line.partition("  ")
        if len(digest) != 64 or not path or any(c not in "0123456789abcdef" for c in digest):
            return None
        listed[path] = digest
    return listed


def sign(manifest_bytes: bytes, key: Ed25519PrivateKey) -> bytes:
    digest = sha256(manifest_bytes)
    signature = key.sign(digest.encode())
    document = {
        "algorithm": ALGORITHM,
        "signed": f"the sha256 of {MANIFEST} (its hex digest, as ASCII)",
        "manifest_sha256": digest,
        "public_key": public_text(key.public_key()),
        "key_id": key_id(key.public_key()),
        "signature": base64.b64encode(signature).decode(),
    }
    return (json.dumps(document, indent=2) + "\n").encode()


@dataclass(frozen=True)
class SignatureCheck:
    problem: str | None  # None: the signature is good and made with the trusted key
    key_id: str | None = None
    signed_digest: str | None = None  # the manifest digest the server signed


def check_signature(signature_bytes: bytes, trusted: Ed25519PublicKey | None) -> SignatureCheck:
    """Whether SIGNATURE.json is a good signature by `trusted` (None: by the key it names, which
    proves only that the pack is whole, not who made it: the caller says so)."""
    try:
        document = json.loads(signature_bytes)
        key = public_key(document["public_key"])
        signature = base64.b64decode(document["signature"], validate=True)
        signed_digest = str(document["manifest_sha256"])
    except (ValueError, KeyError, TypeError, EvidenceKeyError):
        return SignatureCheck("unreadable (not the signature document a pack carries)")
    shown = key_id(key)
    try:
        key.verify(signature, signed_digest.encode())
    except InvalidSignature:
        return SignatureCheck("the signature does not match the digest it signs", shown)
    if trusted is not None and key_id(trusted) != shown:
        return SignatureCheck(
            f"signed with key {shown}, not with the trusted key {key_id(trusted)}", shown
        )
    return SignatureCheck(None, shown, signed_digest)
