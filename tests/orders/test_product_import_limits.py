"""Product imports refuse templates Slack could not show, naming the row and field."""

from __future__ import annotations

from bot.orders.imports.products import validate_products


def product(*fields: dict) -> dict:
    return {"code": "BIG", "name": "Big product", "delivery_template": list(fields)}


def checklist(options: list[str]) -> dict:
    return {"id": "checks", "label": "Checks", "kind": "checklist", "options": options}


def test_a_checklist_of_more_than_a_hundred_options_is_refused():
    rows, errors = validate_products([product(checklist([f"Check {i}" for i in range(101)]))])
    assert rows == []
    assert errors == [
        "product 1 (BIG): delivery_template[1].options: 101 options; Slack shows at most 100"
    ]


def test_an_option_longer_than_slack_shows_is_refused_by_position():
    rows, errors = validate_products([product(checklist(["Installed", "A" * 76]))])
    assert errors == [
        "product 1 (BIG): delivery_template[1].options[2]: 76 characters; Slack shows at most "
        "75: shorten it"
    ]


def test_an_option_listed_twice_is_refused():
    _, errors = validate_products([product(checklist(["Installed", "Installed"]))])
    assert errors == ["product 1 (BIG): delivery_template[1].options[2]: 'Installed' appears twice"]


def test_more_fields_than_one_slack_form_holds_are_refused():
    fields = [{"id": f"f{i}", "label": f"Field {i}", "kind": "text"} for i in range(91)]
    _, errors = validate_products([product(*fields)])
    assert errors == [
        "product 1 (BIG): delivery_template: 91 fields; at most 90 fit in one Slack form"
    ]


def test_a_long_checklist_within_the_limits_is_accepted():
    fields = [{"id": f"f{i}", "label": f"Field {i}", "kind": "text"} for i in range(89)]
    rows, errors = validate_products([product(*fields, checklist([f"C{i}" for i in range(100)]))])
    assert errors == [] and len(rows[0].delivery_template) == 90
