"""Fetching a proof file from Slack with the bot token, and nothing else.

The token is sent only to Slack's file hosts (`settings.slack_file_hosts`); redirects are
not followed (a redirect elsewhere would carry the token away). Slack answers a request it
does not accept with an HTML login page and status 200, so the content type is checked, and
the size is capped while reading.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from bot.core.errors import DeliverybotError

TIMEOUT_SECONDS = 2.0  # the quick try when a file is dropped, before the 3 s ack (bot.proof_fetch)
CHUNK = 64 * 1024


class DownloadFailed(DeliverybotError):
    """The file could not be fetched; `permanent` ones will not succeed by retrying."""

    def __init__(self, message: str, *, permanent: bool):
        self.permanent = permanent
        super().__init__(message)


@dataclass(frozen=True)
class Downloaded:
    content: bytes
    content_type: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def too_big_message(name: str, limit: int) -> str:
    return (
        f"{name} is larger than the {limit // (1024 * 1024) or 1} MB I can keep. "
        "Please attach a smaller file (compress it, or split it into parts)."
    )


def download(
    url: str,
    *,
    name: str,
    token: str,
    allowed_hosts: frozenset[str],
    max_bytes: int,
    timeout: float | None = None,
) -> Downloaded:
    """Fetch `url` within `timeout` seconds in all (TIMEOUT_SECONDS unless given)."""
    timeout = timeout or TIMEOUT_SECONDS
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or parts.hostname not in allowed_hosts:
        raise DownloadFailed(
            f"I can only fetch files stored in Slack, and {name} is somewhere else.",
            permanent=True,
        )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with _opener.open(request, timeout=timeout) as response:
            content_type = response.headers.get_content_type()
            if response.status != 200:
                raise DownloadFailed(
                    f"Slack answered {response.status} for {name}.", permanent=response.status < 500
                )
            if content_type == "text/html":
                raise DownloadFailed(
                    f"Slack sent a sign-in page instead of {name}: the bot is missing the "
                    "files:read permission. Ask your Slack admin to reinstall the app.",
                    permanent=True,
                )
            content = _read_capped(response, name=name, max_bytes=max_bytes, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise DownloadFailed(
            f"Slack answered {error.code} for {name}.",
            permanent=error.code < 500 and error.code != 429,
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DownloadFailed(
            f"I could not fetch {name} from Slack yet ({error}).", permanent=False
        ) from None
    return Downloaded(content=content, content_type=content_type)


def _read_capped(response, *, name: str, max_bytes: int, timeout: float) -> bytes:
    chunks, total = [], 0
    deadline = time.monotonic() + timeout  # the socket timeout is per read, not total
    while chunk := response.read(CHUNK):
        if time.monotonic() > deadline:
            raise DownloadFailed(
                f"{name} is taking long to fetch; I'll try again.", permanent=False
            )
        total += len(chunk)
        if total > max_bytes:
            raise DownloadFailed(too_big_message(name, max_bytes), permanent=True)
        chunks.append(chunk)
    return b"".join(chunks)
