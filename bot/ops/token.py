"""The bot token, verified in the background: `serve` starts even when Slack cannot be reached
(Bolt's own check at start is off), and readiness says whether Slack accepted the token yet.
The outcome is logged once, in plain words."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# Slack's answers that no retry can change: the token is wrong, revoked or its app gone
REFUSED = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}
)


@dataclass
class TokenStatus:
    state: str = "pending"  # pending | verified | refused | unreachable (still trying)
    detail: str = ""
    team: str | None = None
    bot_user_id: str | None = None
    scopes: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return self.state == "verified"


class TokenCheck:
    """Calls auth.test until Slack answers: retried with growing waits while it cannot be
    reached; a refusal is final."""

    def __init__(self, client: WebClient, *, first_wait: float = 2.0, max_wait: float = 60.0):
        self.client = client
        self.first_wait = first_wait
        self.max_wait = max_wait
        self.status = TokenStatus()
        self.done = threading.Event()

    def verify_once(self) -> bool:
        """One try. Returns True when the outcome is known (verified or refused)."""
        try:
            response = self.client.auth_test()
        except SlackApiError as error:
            code = (error.response or {}).get("error") if error.response is not None else None
            if code in REFUSED:
                self.status = TokenStatus("refused", str(code))
                return True
            self.status = TokenStatus("unreachable", str(code or error))
            return False
        except Exception as error:  # no connection, DNS, TLS, timeout
            self.status = TokenStatus("unreachable", f"{type(error).__name__}: {error}")
            return False
        self.status = TokenStatus(
            "verified",
            "",
            team=response.get("team"),
            bot_user_id=response.get("user_id"),
            scopes=_scopes(response.headers),
        )
        return True

    def run(self, stop: threading.Event) -> None:
        wait, warned = self.first_wait, False
        while not stop.is_set():
            if self.verify_once():
                break
            if not warned:
                log.warning(
                    "Slack cannot be reached to verify the bot token yet (%s); trying again in "
                    "the background, /readyz says not ready meanwhile",
                    self.status.detail,
                )
                warned = True
            stop.wait(wait)
            wait = min(wait * 2, self.max_wait)
        if self.status.verified:
            log.info(
                "Slack accepted the bot token (workspace %s, bot user %s)",
                self.status.team,
                self.status.bot_user_id,
            )
        elif self.status.state == "refused":
            log.error(
                "Slack refused the bot token (%s): copy the Bot User OAuth Token (xoxb-…) from "
                "your app's OAuth & Permissions page into SLACK_BOT_TOKEN and restart",
                self.status.detail,
            )
        self.done.set()

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="token-check", daemon=True)
        thread.start()
        return thread


def _scopes(headers: Any) -> list[str]:
    """The token's scopes, from the x-oauth-scopes header Slack sends with every answer."""
    for name, value in (headers or {}).items():
        if name.lower() == "x-oauth-scopes":
            text = value[0] if isinstance(value, list) else value
            return sorted(s.strip() for s in str(text).split(",") if s.strip())
    return []
