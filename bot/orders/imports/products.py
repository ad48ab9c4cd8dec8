"""Products from a JSON or YAML file: checked whole, then upserted by code.

A product's delivery template is the acceptance criteria its seller published: the fields
the seller fills in at delivery. Changing it is audited (it is what deliveries are judged on).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.proof_kinds import PROOF_KINDS
from bot.orders.imports.files import ImportFileError
from bot.orders.template import MAX_FIELDS, MAX_OPTION_LENGTH, MAX_OPTIONS
from storage.models import Product
from storage.rows import table_of

FIELD_KINDS = ("text", "checklist", "date", "number")
FIELD_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")


@dataclass(frozen=True)
class ProductRow:
    code: str
    name: str
    delivery_template: list[dict[str, Any]]
    required_proof_kinds: list[str] | None
    delivery_days: int | None
    contact: str | None = None  # "email": its customers are e-mailed unless an order says


@dataclass
class ProductReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def read_products(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(
            f"{path.name} is not valid JSON: line {error.lineno}, column {error.colno}: {error.msg}"
        ) from None
    except yaml.YAMLError as error:
        raise ImportFileError(f"{path.name} is not valid YAML: {_yaml_problem(error)}") from None
    if isinstance(data, dict) and isinstance(data.get("products"), list):
        data = data["products"]
    if not isinstance(data, list):
        raise ImportFileError(
            f'{path.name}: expected a list of products (or {{"products": [...]}})'
        )
    return data


def _yaml_problem(error: yaml.YAMLError) -> str:
    """Where and what, in plain words: 'line 4, column 7: mapping values are not allowed here'."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or str(error).splitlines()[0]
    context = getattr(error, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return where + problem + (f" ({context})" if context else "")


def validate_products(items: list[Any]) -> tuple[list[ProductRow], list[str]]:
    rows, errors, seen = [], [], set()
    for number, item in enumerate(items, start=1):
        row_errors: list[str] = []
        if not isinstance(item, dict):
            errors.append(
                f"product {number}: expected a mapping with code, name, delivery_template"
            )
            continue
        code = str(item.get("code") or "").strip()
        where = f"product {number}" + (f" ({code})" if code else "")

        def fail(path: str, message: str, where: str = where, bucket: list = row_errors) -> None:
            bucket.append(f"{where}: {path}: {message}")

        if not code:
            fail("code", "missing")
        elif code in seen:
            fail("code", "appears twice in the file")
        name = str(item.get("name") or "").strip()
        if not name:
            fail("name", "missing")
        template = _template(item.get("delivery_template"), fail)
        proofs = item.get("required_proof_kinds")
        if proofs is not None and (
            not isinstance(proofs, list)
            or any(not isinstance(p, str) or p not in PROOF_KINDS for p in proofs)
        ):
            fail("required_proof_kinds", f"use a list of: {', '.join(PROOF_KINDS)}")
        days = item.get("delivery_days")
        if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            fail("delivery_days", f"expected a whole number of days, got {days!r}")
        contact = item.get("contact")
        if contact not in (None, "email", "slack"):
            fail("contact", f"expected email or slack, got {contact!r}")
        seen.add(code)
        if row_errors:
            errors.extend(row_errors)
            continue
        rows.append(
            ProductRow(code, name, template, proofs, days, "email" if contact == "email" else None)
        )
    return rows, errors


def _template(raw: Any, fail) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        fail("delivery_template", "expected a non-empty list of fields")
        return []
    if len(raw) > MAX_FIELDS:
        fail("delivery_template", f"{len(raw)} fields; at most {MAX_FIELDS} fit in one Slack form")
    fields, ids = [], set()
    for index, item in enumerate(raw):
        path = f"delivery_template[{index + 1}]"
        if not isinstance(item, dict):
            fail(path, "expected a mapping with id, label, kind")
            continue
        field_id, label = str(item.get("id") or ""), str(item.get("label") or "").strip()
        kind, required = item.get("kind", "text"), item.get("required", True)
        options = item.get("options")
        if not FIELD_ID.match(field_id):
            fail(f"{path}.id", f"expected an identifier such as licence_key, got {field_id!r}")
        elif field_id in ids:
            fail(f"{path}.id", f"{field_id!r} is used twice")
        if not label:
            fail(f"{path}.label", "missing")
        if kind not in FIELD_KINDS:
            fail(f"{path}.kind", f"{kind!r} is not one of {', '.join(FIELD_KINDS)}")
        if not isinstance(required, bool):
            fail(f"{path}.required", f"expected true or false, got {required!r}")
        if kind == "checklist":
            if isinstance(options, list) and options and all(isinstance(o, str) for o in options):
                _options(options, f"{path}.options", fail)
            else:
                fail(f"{path}.options", "a checklist needs a list of option labels")
        elif options is not None:
            fail(f"{path}.options", "only a checklist has options")
        ids.add(field_id)
        spec = {"id": field_id, "label": label, "kind": kind, "required": required}
        if kind == "checklist":
            spec["options"] = options
        fields.append(spec)
    return fields


def _options(options: list[str], path: str, fail) -> None:
    """What Slack can show: up to 100 options of up to 75 characters, each once."""
    if len(options) > MAX_OPTIONS:
        fail(path, f"{len(options)} options; Slack shows at most {MAX_OPTIONS}")
    for number, label in enumerate(options, start=1):
        if len(label) > MAX_OPTION_LENGTH:
            fail(
                f"{path}[{number}]",
                f"{len(label)} characters; Slack shows at most {MAX_OPTION_LENGTH}: shorten it",
            )
        if label in options[: number - 1]:
            fail(f"{path}[{number}]", f"{label!r} appears twice")


def import_products(session: Session, rows: list[ProductRow], *, now: datetime) -> ProductReport:
    report = ProductReport()
    query = select(Product).where(col(Product.code).in_([row.code for row in rows]))
    existing = {product.code: product for product in session.exec(query)}
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    for row in rows:
        values = {
            "code": row.code,
            "name": row.name,
            "delivery_template": row.delivery_template,
            "required_proof_kinds": row.required_proof_kinds,
            "delivery_days": row.delivery_days,
            "contact": row.contact,
        }
        before = existing.get(row.code)
        if before and all(getattr(before, key) == value for key, value in values.items()):
            report.unchanged.append(row.code)
            continue
        statement = dialect.insert(table_of(Product)).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["code"], set_={k: statement.excluded[k] for k in values if k != "code"}
        )
        connection.execute(statement)
        (report.updated if before else report.created).append(row.code)
        changed = [k for k in values if before is None or getattr(before, k) != values[k]]
        audit.record(
            session,
            kind="product_updated" if before else "product_imported",
            actor="cli",
            at=now,
            product=row.code,
            changed=changed,
        )
    return report
