"""`deliverybot check`: one line per check, ✔ or ✘ with what to do; exit status 1 when any
fails; `--json` for scripts. Nothing is changed (the database is not migrated, nor created).
What the checks need is imported when they run (start-up cost, see bot.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from pydantic import ValidationError

from bot.cli.setup import sqlite_path
from bot.core.settings import HINTS, Settings

REPO_MANIFEST = Path(__file__).resolve().parents[2] / "manifest.yml"


def run_checks(*, as_json: bool) -> int:
    from bot.ops.checks import Check

    try:
        settings = Settings()
    except ValidationError as error:
        results = [
            Check(
                "settings",
                False,
                f"{'.'.join(map(str, p['loc']))}: {p['msg'].removeprefix('Value error, ')}"
                + (f" ({HINTS[str(p['loc'][0])]})" if str(p["loc"][0]) in HINTS else ""),
            )
            for p in error.errors()
        ]
    else:
        results = list(_run(settings))
    if as_json:
        ok = all(check.ok for check in results)
        typer.echo(json.dumps({"ok": ok, "checks": [c.as_dict() for c in results]}, indent=2))
    else:
        for check in results:
            mark = "✔" if check.ok else "✘"
            typer.echo(f"{mark} {check.name}: {check.detail}")
    return 0 if all(check.ok for check in results) else 1


def _run(settings: Settings):
    from bot.bootstrap import make_client
    from bot.core.clock import SystemClock
    from bot.ops.checks import manifest_scopes, run
    from storage.engine import make_engine

    path = sqlite_path(settings.database_url)
    engine, error = None, None
    if path is None or path.exists():  # a check creates nothing
        try:
            engine = make_engine(settings.database_url)
        except Exception as problem:
            error = f"DATABASE_URL is not a database URL: {HINTS['DATABASE_URL']} ({problem})"
    try:
        scopes = manifest_scopes(Path("manifest.yml"), REPO_MANIFEST)
        yield from run(
            settings,
            engine,
            make_client(settings),
            SystemClock(),
            scopes_wanted=scopes,
            database_error=error,
        )
    finally:
        if engine is not None:
            engine.dispose()
