"""`deliverybot products import` and `deliverybot orders import/list/show`, run as a user would."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from bot.cli import orders as orders_command
from bot.cli.main import cli
from bot.orders.imports import merge

EXAMPLES = Path(__file__).parent.parent / "examples"
HEADER = (
    "order_no,product_code,amount,currency,status,placed_at,duration,sellers,"
    "customer_user_id,customer_email,customer_name,customer_channel,renewal_of"
)
STABLE_KEYS = {
    "order_no",
    "product_code",
    "product_name",
    "amount",
    "currency",
    "placed_at",
    "duration",
    "status",
    "state",
    "enabling_time",
    "accepted_at",
    "validity_start",
    "validity_end",
    "renewal_of",
    "events",
}


@pytest.fixture
def run(database_url):
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), env={"DATABASE_URL": database_url})

    return invoke


@pytest.fixture
def catalogue(run):
    result = run("products", "import", str(EXAMPLES / "products.yaml"))
    assert result.exit_code == 0, result.output
    return result


def orders_file(tmp_path, *lines: str, name="orders.csv") -> str:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n")
    return str(path)


def listed(run, *args: str) -> list[dict]:
    result = run("orders", "list", "--json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_examples_import_and_list_newest_first(run, catalogue):
    result = run("orders", "import", str(EXAMPLES / "orders.csv"))

    assert result.exit_code == 0, result.output
    assert "Products: 1 created" in catalogue.stdout
    assert "Orders: 5 created, 0 updated, 0 unchanged." in result.stdout
    orders = listed(run)
    assert [o["order_no"] for o in orders] == ["12348", "12347", "12346", "12345", "12300"]
    by_no = {o["order_no"]: o for o in orders}
    assert by_no["12347"]["state"] == "not_supervised" and by_no["12347"]["renewal_of"] == "12300"
    assert (by_no["12348"]["status"], by_no["12348"]["state"]) == (
        "Pending payment",
        "not_deliverable",
    )
    assert by_no["12346"]["status"] == "Processing"  # typed as "paid"
    assert by_no["12346"]["duration"] == "P1Y" and by_no["12346"]["amount"] == "14400.00"
    assert by_no["12346"]["placed_at"] == "2026-01-20T13:30:00+00:00"


def test_a_bad_file_imports_nothing_and_names_rows_and_fields(run, catalogue, tmp_path):
    path = orders_file(
        tmp_path,
        "1,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
        "2,SECUREVPN,ten,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
        "3,UNKNOWN,10,EUR,paid,2026-01-01,1 fortnight,USELLER,UCUSTOMER,,,,",
    )

    result = run("orders", "import", path)

    assert result.exit_code == 1
    assert "row 3 (order 2): amount: not a number ('ten')" in result.stderr
    assert "row 4 (order 3): product_code: unknown product 'UNKNOWN'" in result.stderr
    assert "row 4 (order 3): duration: unknown duration unit 'fortnight'" in result.stderr
    assert "Nothing imported: 2 of 3 rows are invalid" in result.stderr
    assert listed(run) == []


def test_nonsense_is_refused_row_by_row(run, catalogue, tmp_path):
    """A placement far in the future, a renewal of no known order, odd order numbers."""
    run(
        "orders",
        "import",
        orders_file(tmp_path, "1,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,"),
    )
    path = orders_file(
        tmp_path,
        "2,SECUREVPN,10,EUR,paid,2099-01-01,1 month,USELLER,UCUSTOMER,,,,",
        "3,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,999",
        "4,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,1",
        "-5,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
        f"{'9' * 40},SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
        "12 345,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
    )

    result = run("orders", "import", path)

    assert result.exit_code == 1
    assert "row 2 (order 2): placed_at: in the future" in result.stderr
    assert "row 3 (order 3): renewal_of: there is no order 999" in result.stderr
    assert "row 5 (order -5): order_no:" in result.stderr
    assert f"row 6 (order {'9' * 40}): order_no: longer than 36 characters" in result.stderr
    assert "row 7 (order 12 345): order_no: contains a space" in result.stderr
    assert "Nothing imported: 5 of 6 rows are invalid" in result.stderr  # 4 renews order 1
    assert [o["order_no"] for o in listed(run)] == ["1"]


def test_skip_invalid_imports_the_good_rows_and_lists_the_rest(run, catalogue, tmp_path):
    path = orders_file(
        tmp_path,
        "1,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
        "2,SECUREVPN,10,EUR,shipped,2026-01-01,1 month,USELLER,UCUSTOMER,,,,",
    )

    result = run("orders", "import", "--skip-invalid", path)

    assert result.exit_code == 0, result.output
    assert "row 3 (order 2): status: unknown status 'shipped'" in result.stderr
    assert "1 created, 0 updated, 0 unchanged, 1 invalid skipped." in result.stdout
    assert [o["order_no"] for o in listed(run)] == ["1"]


def test_reimport_is_idempotent_and_reports_a_cancellation(run, catalogue, tmp_path):
    good = "1,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,,"
    run("orders", "import", orders_file(tmp_path, good))

    again = run("orders", "import", orders_file(tmp_path, good))
    cancelled = run("orders", "import", orders_file(tmp_path, good.replace("paid", "Cancelled")))

    assert "0 created, 0 updated, 1 unchanged." in again.stdout
    assert "order 1: awaiting_delivery -> not_deliverable" in cancelled.stdout
    (order,) = listed(run)
    assert [e["kind"] for e in order["events"]] == ["imported", "import_updated"]
    assert order["events"][1]["actor"] == "cli"
    assert order["status"] == "Canceled"


def test_a_large_reimport_shows_progress_from_the_start(run, catalogue, tmp_path, monkeypatch):
    """While every row is compared with its stored order the bar pulses under a label that
    says so, instead of sitting at 0; then it counts the rows written."""
    lines = [
        f"{n},SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,,," for n in range(6)
    ]
    assert run("orders", "import", orders_file(tmp_path, *lines)).exit_code == 0
    terminal = io.StringIO()
    console = Console(file=terminal, force_terminal=True, width=120)
    monkeypatch.setattr(orders_command, "err", console)
    monkeypatch.setattr(orders_command, "PROGRESS_FROM", 5)
    monkeypatch.setattr(merge, "CHUNK", 2)  # three ranges

    again = run("orders", "import", orders_file(tmp_path, *lines, name="again.csv"))

    assert "0 created, 0 updated, 6 unchanged." in again.stdout
    shown = terminal.getvalue()
    assert shown.index("Comparing with the stored orders") < shown.index("Importing")
    assert "2/6" in shown and "6/6" in shown


def test_json_orders_file_with_nested_customer(run, catalogue, tmp_path):
    path = tmp_path / "orders.json"
    path.write_text(
        json.dumps(
            {
                "orders": [
                    {
                        "order_no": "J1",
                        "product_code": "SECUREVPN",
                        "amount": "99.00",
                        "currency": "USD",
                        "status": "PROCESSING",
                        "placed_at": "2026-01-05T08:00:00-05:00",
                        "duration": "30 days",
                        "sellers": ["sam@isv.example"],
                        "customer": {
                            "email": "it@buyer.example",
                            "name": "IT",
                            "channel": "CSHARED",
                        },
                    }
                ]
            }
        )
    )

    assert run("orders", "import", str(path)).exit_code == 0

    (order,) = listed(run)
    assert order["customer"] == {
        "user_id": None,
        "email": "it@buyer.example",
        "name": "IT",
        "channel": "CSHARED",
    }
    assert order["placed_at"] == "2026-01-05T13:00:00+00:00" and order["duration"] == "P30D"


def test_list_filters_by_state_and_seller(run, catalogue, tmp_path):
    run("orders", "import", str(EXAMPLES / "orders.csv"))

    waiting = listed(run, "--state", "awaiting_delivery")
    teams = listed(run, "--seller", "Tea@ISV.example")
    several = listed(run, "--state", "completed", "--state", "not_deliverable")
    bad_state = run("orders", "list", "--state", "lost")

    assert [o["order_no"] for o in waiting] == ["12346", "12345"]
    assert [o["order_no"] for o in teams] == ["12345"]
    assert teams[0]["sellers"] == ["U0SELLER", "tea@isv.example"]
    assert [o["order_no"] for o in several] == ["12348", "12300"]
    assert bad_state.exit_code != 0


def test_csv_listing_reads_back_into_an_import_unchanged(run, catalogue, tmp_path):
    run("orders", "import", str(EXAMPLES / "orders.csv"))

    exported = run("orders", "list", "--csv")
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout)
    reimported = run("orders", "import", str(path))

    assert rows[0]["order_no"] == "12348" and rows[0]["state"] == "not_deliverable"
    assert {"order_no", "sellers", "customer_email", "validity_end"} <= rows[0].keys()
    assert rows[3]["sellers"] == "U0SELLER;tea@isv.example"
    assert reimported.exit_code == 0, reimported.output
    assert "0 created, 0 updated, 5 unchanged." in reimported.stdout


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x.example")', "+1", "-1+2", "@SUM(A1)"])
def test_csv_listing_escapes_cells_a_spreadsheet_would_run(run, catalogue, tmp_path, cell):
    """A cell starting with = + - @ (or a tab or CR) is a formula to a spreadsheet: it is
    written with a leading single quote, and the import reads it back as it was."""
    quoted = cell.replace('"', '""')
    good = f'1,SECUREVPN,10,EUR,paid,2026-01-01,1 month,USELLER,UCUSTOMER,,"{quoted}",,'
    assert run("orders", "import", orders_file(tmp_path, good)).exit_code == 0

    exported = run("orders", "list", "--csv")
    rows = {row["order_no"]: row for row in csv.DictReader(io.StringIO(exported.stdout))}
    path = tmp_path / "export.csv"
    path.write_text(exported.stdout)
    reimported = run("orders", "import", str(path))

    assert rows["1"]["customer_name"] == f"'{cell}"
    assert rows["1"]["placed_at"].startswith("2026-01-01")  # other cells untouched
    assert reimported.exit_code == 0, reimported.output
    assert "0 created, 0 updated, 1 unchanged." in reimported.stdout
    assert listed(run)[0]["customer"]["name"] == cell


def test_show_json_has_the_stable_keys(run, catalogue):
    run("orders", "import", str(EXAMPLES / "orders.csv"))

    result = run("orders", "show", "12345", "--json")

    assert result.exit_code == 0, result.output
    order = json.loads(result.stdout)
    assert order.keys() >= STABLE_KEYS
    assert (order["order_no"], order["product_name"]) == ("12345", "SecureVPN Enterprise")
    assert order["events"][0]["kind"] == "imported"


def test_show_is_readable(run, catalogue):
    run("orders", "import", str(EXAMPLES / "orders.csv"))

    result = run("orders", "show", "12347")

    assert result.exit_code == 0, result.output
    assert "Order 12347" in result.stdout and "SecureVPN Enterprise" in result.stdout
    assert "Renewal of" in result.stdout and "not_supervised" in result.stdout


def test_unknown_order_exits_non_zero_with_a_close_match(run, catalogue):
    run("orders", "import", str(EXAMPLES / "orders.csv"))

    result = run("orders", "show", "12354")
    nothing_alike = run("orders", "show", "ZZZ")

    assert result.exit_code == 1
    assert "No order 12354. Did you mean 1234" in result.stderr
    assert nothing_alike.exit_code == 1 and "Did you mean" not in nothing_alike.stderr


def test_product_file_errors_import_nothing(run, tmp_path):
    path = tmp_path / "products.yaml"
    path.write_text(
        "- code: X\n  name: X\n  delivery_template:\n    - {id: a, label: A, kind: colour}\n"
    )

    result = run("products", "import", str(path))

    assert result.exit_code == 1
    assert "product 1 (X): delivery_template[1].kind: 'colour' is not one of" in result.stderr
    assert run("orders", "import", str(EXAMPLES / "orders.csv")).exit_code == 1  # no product


def test_an_unreadable_file_is_refused(run, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text("id,name\n1,x\n")

    result = run("orders", "import", str(path))

    assert result.exit_code == 2
    assert "the CSV header lacks order_no, product_code" in result.stderr


def test_a_products_file_that_is_not_yaml_says_where_plainly(run, tmp_path):
    path = tmp_path / "products.yaml"
    path.write_text("- code: X\n  name: [red]SecureVPN\n  delivery_template: [oops\n")
    result = run("products", "import", str(path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [  # plain text: nothing read as console markup
        "Cannot import: products.yaml is not valid YAML: line 2, column 14: expected <block end>, "
        "but found '<scalar>' (while parsing a block mapping)"
    ]
