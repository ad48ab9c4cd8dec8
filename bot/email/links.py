"""Signed, expiring links to the accept page: /accept/<token>.

A token is `payload.signature`, both base64url: the payload names the order, the delivery and
its round and when the link expires; the signature is an HMAC-SHA256 over it with a server
secret (DELIVERYBOT_LINK_SECRET, else one derived from SLACK_SIGNING_SECRET). Anything changed
in the token breaks the signature. The page's CSRF token is an HMAC of the same secret too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.core.settings import Settings

PATH = "/accept"


class BadLink(Exception):
    """Not a link we signed (tampered with, truncated, forged)."""


class ExpiredLink(Exception):
    """A link we signed, past its expiry."""


@dataclass(frozen=True)
class LinkClaim:
    order_no: str
    delivery_id: int
    round: int
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Links:
    def __init__(self, secret: bytes, public_url: str, days: int):
        self.secret = secret
        self.public_url = public_url.rstrip("/")
        self.lifetime = timedelta(days=days)

    @classmethod
    def from_settings(cls, settings: Settings) -> Links | None:
        """None when links cannot work: no PUBLIC_URL, or no secret to sign them with."""
        if settings.link_secret:
            secret = settings.link_secret.encode()
        elif settings.slack_signing_secret:
            secret = hmac.new(
                settings.slack_signing_secret.encode(), b"deliverybot accept links", hashlib.sha256
            ).digest()
        else:
            return None
        if not settings.public_url:
            return None
        return cls(secret, settings.public_url, settings.link_days)

    def _sign(self, purpose: bytes, data: bytes) -> bytes:
        return hmac.new(self.secret, purpose + b"\0" + data, hashlib.sha256).digest()

    def token(self, order_no: str, delivery_id: int, round_no: int, *, now: datetime) -> str:
        expires = int((now + self.lifetime).timestamp())
        data = json.dumps([order_no, delivery_id, round_no, expires], separators=(",", ":"))
        raw = data.encode()
        return f"{_b64(raw)}.{_b64(self._sign(b'link', raw))}"

    def url(self, order_no: str, delivery_id: int, round_no: int, *, now: datetime) -> str:
        return f"{self.public_url}{PATH}/{self.token(order_no, delivery_id, round_no, now=now)}"

    def read(self, token: str, *, now: datetime) -> LinkClaim:
        """The claim a token makes; BadLink unless we signed it, ExpiredLink once it expired."""
        body, _, signature = token.partition(".")
        try:
            raw, given = _unb64(body), _unb64(signature)
        except (binascii.Error, ValueError):
            raise BadLink from None
        if not hmac.compare_digest(given, self._sign(b"link", raw)):
            raise BadLink
        try:
            order_no, delivery_id, round_no, expires = json.loads(raw)
            claim = LinkClaim(
                str(order_no), int(delivery_id), int(round_no), datetime.fromtimestamp(expires, UTC)
            )
        except (ValueError, TypeError):
            raise BadLink from None
        if now >= claim.expires:
            raise ExpiredLink
        return claim

    def csrf(self, token: str, nonce: str) -> str:
        """The form's CSRF token: bound to the link and to the browser's cookie nonce."""
        return _b64(self._sign(b"csrf", f"{token}|{nonce}".encode()))

    def csrf_ok(self, token: str, nonce: str, given: str) -> bool:
        return bool(nonce) and hmac.compare_digest(self.csrf(token, nonce), given)
