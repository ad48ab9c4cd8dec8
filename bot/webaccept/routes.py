"""/accept/<token> (GET: the delivery; POST: Accept or Request changes) and
/accept/<token>/files/<id> (a proof file), served by `deliverybot serve`.

Database work runs in the thread pool. A POST needs the CSRF token of the form, which is bound
to the link and to a cookie the page set (SameSite=Strict); a form posted from anywhere else
fails. Each link may make `RateLimit.limit` requests a minute."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from bot.core.errors import InvalidInput
from bot.core.filestore import store_for
from bot.email.links import PATH, Links
from bot.slack.services import Services
from bot.webaccept import page, views
from bot.webaccept.guard import RateLimit, security_headers

COOKIE = "deliverybot_csrf"
MAX_FORM_BYTES = 16 * 1024
HEADERS = security_headers(views.STYLE_HASH)


def _html(status: int, html: str, **extra: str) -> HTMLResponse:
    return HTMLResponse(html, status_code=status, headers={**HEADERS, **extra})


def _refused(refused: page.Refused) -> HTMLResponse:
    return _html(refused.status, views.message_page(refused.title, refused.message))


def accept_routes(services: Services, limit: RateLimit | None = None) -> list[Route]:
    """The page's routes; none when links cannot work (no PUBLIC_URL or no secret)."""
    links = Links.from_settings(services.settings)
    if links is None:
        return []
    limiter = limit or RateLimit()
    files = store_for(services.settings)
    secure = services.settings.public_url.startswith("https://")

    def in_session(work: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        with services.session_factory() as session:
            try:
                return work(session, *args, **kw)
            finally:
                session.rollback()

    def show(session, token: str, nonce: str, reason: str = "", error: str | None = None):
        now = services.clock.now()
        opened = page.open_link(session, links, token, now=now)
        facts = page.facts(session, opened, now=now)
        csrf = links.csrf(token, nonce)
        return views.delivery_page(facts, token=token, csrf=csrf, reason=reason, error=error)

    async def delivery(request: Request) -> Response:
        token = request.path_params["token"]
        if not limiter.allow(token):
            return _html(
                429,
                views.message_page("Too many requests", "Please wait a minute and try again."),
                **{"Retry-After": "60"},
            )
        nonce = request.cookies.get(COOKIE) or ""
        if request.method == "POST":
            return await _post(request, token, nonce)
        nonce = nonce if 16 <= len(nonce) <= 64 and nonce.isalnum() else secrets.token_hex(16)
        try:
            html = await run_in_threadpool(in_session, show, token, nonce)
        except page.Refused as refused:
            return _refused(refused)
        response = _html(200, html)
        response.set_cookie(
            COOKIE, nonce, path=PATH, httponly=True, samesite="strict", secure=secure
        )
        return response

    async def _post(request: Request, token: str, nonce: str) -> Response:
        raw = b""
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_FORM_BYTES:
                return _html(
                    413,
                    views.message_page(
                        "Too long", "Please keep the reason under 2,000 characters."
                    ),
                )
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if not links.csrf_ok(token, nonce, form.get("csrf", "")):
            return _html(
                403,
                views.message_page(
                    "Please try again",
                    "This form has expired or was not sent from the delivery page. Reload the page "
                    "and choose again.",
                ),
            )
        action, reason = form.get("action", ""), form.get("reason", "")[:2000]

        def act(session):
            return page.decide(
                session, links, token, action=action, reason=reason, now=services.clock.now()
            )

        try:
            outcome = await run_in_threadpool(in_session, act)
        except page.Refused as refused:
            return _refused(refused)
        except InvalidInput as invalid:
            try:
                html = await run_in_threadpool(in_session, show, token, nonce, reason, str(invalid))
            except page.Refused as refused:
                return _refused(refused)
            return _html(400, html)
        services.notify_outbox()
        title = "Thank you: accepted" if action == "accept" else "Sent to the seller"
        return _html(200, views.message_page(title, outcome))

    async def proof(request: Request) -> Response:
        token, file_id = request.path_params["token"], request.path_params["file_id"]
        if not limiter.allow(token):
            return _html(
                429,
                views.message_page("Too many requests", "Please wait a minute and try again."),
                **{"Retry-After": "60"},
            )

        def fetch(session):
            opened = page.open_link(session, links, token, now=services.clock.now())
            proof = page.proof_file(session, opened, file_id)
            return proof.name, proof.sha256

        try:
            name, sha256 = await run_in_threadpool(in_session, fetch)
            content = await run_in_threadpool(files.get, sha256)
        except page.Refused as refused:
            return _refused(refused)
        except FileNotFoundError:
            return _html(
                404,
                views.message_page(
                    "File missing", "This file is not available any more: please ask the seller."
                ),
            )
        if hashlib.sha256(content).hexdigest() != sha256:
            return _html(
                500,
                views.message_page(
                    "File damaged", "This file does not match its SHA-256: please ask the seller."
                ),
            )
        disposition = f"attachment; filename*=UTF-8''{quote(name)}"
        return Response(
            content,
            media_type="application/octet-stream",
            headers={**HEADERS, "Content-Disposition": disposition, "X-Content-SHA256": sha256},
        )

    return [
        Route(PATH + "/{token}", delivery, methods=["GET", "POST"]),
        Route(PATH + "/{token}/files/{file_id:int}", proof, methods=["GET"]),
    ]
