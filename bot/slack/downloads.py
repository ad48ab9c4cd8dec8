"""Fetching a proof file from Slack with the bot token, and nothing else.

The token is sent only to Slack's file hosts, pinned by scheme, host and port
(`is_slack_file`); redirects are not followed (a redirect elsewhere would carry the token
away). Slack answers a request it does not accept with an HTML login page and status 200, so
the content type is checked, and the size is capped while reading.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from bot.core.errors import DeliverybotError
from bot.slack.inbound.turns import waiting

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


DEFAULT_PORTS = {"https": 443, "http": 80}
UNITS = (("GB", 3), ("MB", 2), ("KB", 1))


def file_origins(api_url: str) -> frozenset[tuple[str, str, int]]:
    """Where the bot token may be sent, as (scheme, host, port), from SLACK_API_URL.

    Over HTTPS (Slack, GovSlack): its file host `files.<host>` and `<host>` itself, on the
    API's port (443). Plain HTTP is only the fake Slack of the demo and the tests: exactly
    its own scheme, host and port, nothing else."""
    api = _origin(urlsplit(api_url))
    if api is None:
        return frozenset()
    scheme, host, port = api
    if scheme == "http":
        return frozenset({api})
    return frozenset({api, (scheme, f"files.{host}", port)})


def is_slack_file(url: str, *, api_url: str) -> bool:
    """Whether `url` is on one of Slack's file hosts (scheme, host and port all pinned)."""
    if any(char.isspace() or ord(char) < 32 or char == "\\" for char in url):
        return False  # parsers disagree on these; Slack's own URLs never contain them
    origin = _origin(urlsplit(url))
    return origin is not None and origin in file_origins(api_url)


def _origin(parts: SplitResult) -> tuple[str, str, int] | None:
    """(scheme, host, port) when the URL names nothing but them (no user, no odd characters)."""
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:  # not a port number
        return None
    host = parts.hostname.lower()
    if parts.netloc.lower() not in (host, f"{host}:{port}"):
        return None
    return scheme, host, port


def size_text(size: int) -> str:
    """A number of bytes as people say it: "100 KB", "50 MB", "1.5 MB".

    A size that is round in binary (50 MB = 50 x 1024 x 1024 bytes) or in decimal units
    (100 KB = 100,000 bytes) is said as such; any other is rounded down, so a limit is never
    said to be larger than it is."""
    for unit, power in UNITS:
        for base in (1024, 1000):
            step = base**power
            if size >= step and (size * 10) % step == 0:
                return f"{size / step:g} {unit}"
    for unit, power in UNITS:
        if size >= 1024**power:
            return f"{size * 10 // 1024**power / 10:g} {unit}"
    return f"{size} byte" + ("" if size == 1 else "s")


def too_big_message(name: str, limit: int) -> str:
    return (
        f"{name} is larger than the {size_text(limit)} I can keep. "
        "Please attach a smaller file (compress it, or split it into parts)."
    )


def download(
    url: str,
    *,
    name: str,
    token: str,
    api_url: str,
    max_bytes: int,
    timeout: float | None = None,
) -> Downloaded:
    """Fetch `url` within `timeout` seconds in all (TIMEOUT_SECONDS unless given), if it is
    on one of Slack's file hosts for `api_url` (SLACK_API_URL): the token goes nowhere else."""
    timeout = timeout or TIMEOUT_SECONDS
    if not is_slack_file(url, api_url=api_url):
        raise DownloadFailed(
            f"I can only fetch files stored in Slack, and {name} is somewhere else.",
            permanent=True,
        )
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with waiting():  # a request's turn goes to the next meanwhile
        try:
            with _opener.open(request, timeout=timeout) as response:
                content_type = response.headers.get_content_type()
                if response.status != 200:
                    raise DownloadFailed(
                        f"Slack answered {response.status} for {name}.",
                        permanent=response.status < 500,
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
