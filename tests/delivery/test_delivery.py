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
    """Download `url` as if SLACK_API_URL were on its host and port (the fake Slack's way)."""
    api_url = "/".join(url.split("/")[:3]) + "/api/"
    options = dict(name="f.pdf", token="xoxb-secret", api_url=api_url, max_bytes=1000)
    return download(url, **{**options, **kw})


def test_downloads_send_the_token_to_slack_hosts_only(file_host):
    assert fetch(f"{file_host}/ok").content == b"x" * 100
    assert Files.seen == ["Bearer xoxb-secret"]
    with pytest.raises(DownloadFailed, match="somewhere else"):
        fetch(f"{file_host}/ok", api_url="https://slack.com/api/")
    assert len(Files.seen) == 1  # no request at all


def test_a_redirect_is_not_followed_with_the_token(file_host):
    with pytest.raises(DownloadFailed) as error:
        fetch(f"{file_host}/redirect")
    assert error.value.permanent
    assert len(Files.seen) == 1


def test_a_file_bigger_than_the_limit_is_refused_while_reading(file_host):
    with pytest.raises(DownloadFailed, match="larger than"):
        fetch(f"{file_host}/ok", max_bytes=50)


def test_the_token_never_goes_to_another_port_of_the_slack_host(file_host, tmp_path):
    """SLACK_API_URL names the fake Slack on one port; a file on another port of the same host
    is not fetched: the token goes only to exactly Slack's scheme, host and port."""
    from bot.core.settings import Settings
    from bot.delivery.proof_fetch import fetch as fetch_proof

    port = int(file_host.rsplit(":", 1)[1])
    api_url = f"http://127.0.0.1:{port + 1 if port < 65535 else port - 1}/api/"
    settings = Settings(
        _env_file=None,
        SLACK_API_URL=api_url,
        SLACK_BOT_TOKEN="xoxb-secret",
        DELIVERYBOT_FILES_DIR=tmp_path,
    )

    failed = fetch_proof(settings, {"id": "F1", "name": "f.pdf", "url_private": f"{file_host}/ok"})

    assert isinstance(failed, DownloadFailed) and failed.permanent
    assert "somewhere else" in str(failed)
    assert Files.seen == []  # no request at all, so no token


@pytest.mark.parametrize(
    ("url", "api_url", "allowed"),
    [
        ("https://files.slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", True),
        ("https://files.slack.com:443/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", True),
        ("https://FILES.Slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", True),
        ("https://slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", True),
        ("https://files.slack-gov.com/files-pri/T1-F1/p.pdf", "https://slack-gov.com/api/", True),
        ("https://files.slack.com:8443/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("https://slack.com:80/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("http://files.slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("ftp://files.slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("https://files.slack.com.evil.example/proof.pdf", "https://slack.com/api/", False),
        ("https://evil.example/?files.slack.com/proof.pdf", "https://slack.com/api/", False),
        ("https://u:p@files.slack.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("https://files.slack.com@evil.example/proof.pdf", "https://slack.com/api/", False),
        ("https://files.slack.com\\@evil.example/proof.pdf", "https://slack.com/api/", False),
        ("https://files.slack.com:99999/proof.pdf", "https://slack.com/api/", False),
        ("https://files.slack.com/files-pri/T1-F1/proof.pdf", "https://slack-gov.com/api/", False),
        ("https://files.slack\t.com/files-pri/T1-F1/proof.pdf", "https://slack.com/api/", False),
        ("http://127.0.0.1:4000/files/F1/proof.pdf", "http://127.0.0.1:4000/api/", True),
        ("http://127.0.0.1:4001/files/F1/proof.pdf", "http://127.0.0.1:4000/api/", False),
        ("https://127.0.0.1:4000/files/F1/proof.pdf", "http://127.0.0.1:4000/api/", False),
        ("http://localhost:4000/files/F1/proof.pdf", "http://127.0.0.1:4000/api/", False),
        ("http://127.0.0.1/files/F1/proof.pdf", "http://127.0.0.1:4000/api/", False),
    ],
)
def test_files_are_fetched_only_from_slacks_file_hosts(url, api_url, allowed):
    from bot.slack.downloads import is_slack_file

    assert is_slack_file(url, api_url=api_url) is allowed


@pytest.mark.parametrize(
    ("limit", "said"),
    [
        (100_000, "100 KB"),
        (50 * 1024 * 1024, "50 MB"),
        (10 * 1024 * 1024, "10 MB"),
        (1024 * 1024, "1 MB"),
        (2_000_000, "2 MB"),
        (1_500_000, "1.5 MB"),
        (1024, "1 KB"),
        (2 * 1024**3, "2 GB"),
        (999, "999 bytes"),
    ],
)
def test_the_size_limit_is_said_as_it_is(limit, said):
    from bot.slack.downloads import too_big_message

    message = too_big_message("f.pdf", limit)
    assert f"larger than the {said} I can keep" in message
