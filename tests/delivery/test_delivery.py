"""The pieces of a delivery that need no Slack: the template, file kinds, the file store and
the download rules."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bot.core.filestore import LocalFileStore
from bot.delivery.proof import guess_kind
from bot.orders.template import read_answers
from bot.slack.downloads import DownloadFailed, download
from tests.factories import DEFAULT_TEMPLATE


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("SOW-signed.pdf", "sow"),
        ("Statement_of_Work_v2.docx", "sow"),
        ("acceptance_report.pdf", "acceptance"),
        ("customer sign-off.pdf", "acceptance"),
        ("Licence validity.png", "validity_screenshot"),
        ("screenshot 2026-01-01.png", "validity_screenshot"),
        ("deployment-architecture.pdf", "deployment_proof"),
        ("notes.txt", "other"),
    ],
)
def test_the_kind_is_guessed_from_the_file_name(name, kind):
    assert guess_kind(name) == kind


def test_template_answers_are_read_and_required_fields_checked():
    values = {
        "template_field:licence_key": {"value": {"value": "  KEY-1 "}},
        "template_field:seats": {"value": {"value": "12.5"}},
        "template_field:checks": {"value": {"selected_options": [{"value": "Activated"}]}},
    }
    assert read_answers(DEFAULT_TEMPLATE, values) == (
        {"licence_key": "KEY-1", "seats": 12.5, "checks": ["Activated"]},
        {},
    )
    answers, errors = read_answers(DEFAULT_TEMPLATE, {})
    assert set(errors) == {"template_field:licence_key", "template_field:seats"}
    assert answers == {"checks": []}  # optional and empty is fine


def test_a_date_field_keeps_the_picked_day_and_a_required_one_must_be_picked():
    template = [{"id": "go_live", "label": "Go-live date", "kind": "date", "required": True}]

    picked = {"template_field:go_live": {"value": {"selected_date": "2026-01-05"}}}
    assert read_answers(template, picked) == ({"go_live": "2026-01-05"}, {})
    assert read_answers(template, {"template_field:go_live": {"value": {}}}) == (
        {},
        {"template_field:go_live": "Go-live date is required."},
    )


def test_the_file_store_keeps_each_content_once_by_hash(tmp_path):
    store = LocalFileStore(tmp_path)
    first = store.put(b"proof")
    assert store.put(b"proof") == first
    assert store.get(first) == b"proof" and store.exists(first)
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 1
    assert not store.exists("../../etc/passwd")


class Files(BaseHTTPRequestHandler):
    seen: list[str | None] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        Files.seen.append(self.headers.get("Authorization"))
        if self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "http://elsewhere.example/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"x" * 100
        self.send_response(200)
        self.send_header("Content-Type", "application/pdf")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def file_host():
    Files.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def fetch(url, **kw):
    options = dict(
        name="f.pdf", token="xoxb-secret", allowed_hosts=frozenset({"127.0.0.1"}), max_bytes=1000
    )
    return download(url, **{**options, **kw})


def test_downloads_send_the_token_to_slack_hosts_only(file_host):
    assert fetch(f"{file_host}/ok").content == b"x" * 100
    assert Files.seen == ["Bearer xoxb-secret"]
    with pytest.raises(DownloadFailed, match="somewhere else"):
        fetch(f"{file_host}/ok", allowed_hosts=frozenset({"files.slack.com"}))
    assert len(Files.seen) == 1  # no request at all


def test_a_redirect_is_not_followed_with_the_token(file_host):
    with pytest.raises(DownloadFailed) as error:
        fetch(f"{file_host}/redirect")
    assert error.value.permanent
    assert len(Files.seen) == 1


def test_a_file_bigger_than_the_limit_is_refused_while_reading(file_host):
    with pytest.raises(DownloadFailed, match="larger than"):
        fetch(f"{file_host}/ok", max_bytes=50)
