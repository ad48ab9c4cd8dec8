"""The accept page as HTML: no JavaScript, one inline stylesheet allowed by its hash in the
Content-Security-Policy, readable on a phone, every control labelled."""

from __future__ import annotations

import base64
import hashlib
from html import escape

from bot.email.facts import Facts

CSS = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d1c1d;background:#f4f4f6}
main{max-width:46rem;margin:0 auto;padding:1rem}
.card{background:#fff;border-radius:8px;padding:1.25rem;margin:0 0 1rem;box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.5rem;margin:.25rem 0 1rem}h2{font-size:1.15rem;margin:0 0 .5rem}
dl{display:grid;grid-template-columns:minmax(8rem,max-content) 1fr;gap:.25rem 1rem;margin:0}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
ul{padding-left:1.25rem;margin:0}li{margin:.25rem 0}
code{font-size:.8rem;overflow-wrap:anywhere;color:#555}
.validity{font-weight:600;border-left:4px solid #2eb67d;padding-left:.75rem}
.muted{color:#616061;font-size:.9rem}
button{font:inherit;font-weight:600;border:0;border-radius:6px;padding:.75rem 1.25rem;cursor:pointer;min-height:44px}
button.accept{background:#007a5a;color:#fff}button.changes{background:#fff;color:#1d1c1d;border:1px solid #868686}
button:focus-visible,textarea:focus-visible,a:focus-visible{outline:3px solid #1264a3;outline-offset:2px}
label{display:block;font-weight:600;margin:0 0 .25rem}
textarea{width:100%;min-height:6rem;font:inherit;padding:.5rem;border:1px solid #868686;border-radius:6px}
.error{color:#b00020;font-weight:600}
@media (max-width:30rem){dl{grid-template-columns:1fr}dt{margin-top:.5rem}button{width:100%}}
"""
STYLE_HASH = "sha256-" + base64.b64encode(hashlib.sha256(CSS.encode()).digest()).decode()


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title>'
        f"<style>{CSS}</style></head><body><main>{body}</main></body></html>"
    )


def message_page(title: str, message: str) -> str:
    """An error or an outcome: its words only, nothing about anyone."""
    return _page(
        title,
        f'<div class="card" role="status"><h1>{escape(title)}</h1><p>{escape(message)}</p></div>',
    )


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"


def delivery_page(
    facts: Facts, *, token: str, csrf: str, reason: str = "", error: str | None = None
) -> str:
    fields = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts.fields)
    answers = "".join(f"<li>{escape(k)}: {escape(v)}</li>" for k, v in facts.answers)
    files = "".join(
        f'<li><a href="/accept/{escape(token)}/files/{f.file_id}" download>{escape(f.name)}</a>'
        f" — {escape(f.kind)}, {_size(f.size)}<br><code>SHA-256 {escape(f.sha256)}</code></li>"
        for f in facts.files
    )
    hidden = f'<input type="hidden" name="csrf" value="{escape(csrf)}">'
    problem = (
        f'<p class="error" id="reason-error" role="alert">{escape(error)}</p>' if error else ""
    )
    described = ' aria-describedby="reason-error" aria-invalid="true"' if error else ""
    body = f"""
<div class="card"><h1>Delivery of order {escape(facts.order_no)}</h1>
<p>The seller delivered <strong>{escape(facts.product)}</strong> for your order and asks you
to accept it.</p><dl>{fields}</dl>
<p class="muted">Times are shown in {escape(facts.tz)}.</p></div>
<section class="card" aria-labelledby="what"><h2 id="what">What was delivered</h2>
<ul>{answers or "<li>No details were given.</li>"}</ul></section>
<section class="card" aria-labelledby="proof"><h2 id="proof">Proof</h2>
<ul>{files or "<li>No files were attached.</li>"}</ul>
<p class="muted">Compare a downloaded file's SHA-256 with the one shown to be sure it is the
file the seller delivered.</p></section>
<section class="card" aria-labelledby="decide"><h2 id="decide">Your decision</h2>
<p class="validity">{escape(facts.validity)}</p>
<form method="post">{hidden}
<button class="accept" type="submit" name="action" value="accept">Accept</button>
<p class="muted">Accepting completes the order; it cannot be undone.</p></form>
<form method="post">{hidden}{problem}
<label for="reason">What needs to change?</label>
<textarea id="reason" name="reason" maxlength="2000" required{described}>{escape(reason)}</textarea>
<p><button class="changes" type="submit" name="action" value="changes">Request changes</button></p>
</form></section>"""
    return _page(f"Delivery of order {facts.order_no}", body)
