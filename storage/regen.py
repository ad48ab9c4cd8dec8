"""Regenerate the initial migration from the models (allowed until the first release).

python -m storage.regen
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from storage.engine import make_engine
from storage.migrate import MIGRATIONS, alembic_config


def main() -> None:
    target = MIGRATIONS / "versions" / "0001_initial_schema.py"
    target.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'empty.db'}")
        command.revision(
            alembic_config(engine), message="initial schema", autogenerate=True, rev_id="0001"
        )
        engine.dispose()
    print(f"rewrote {target}")


if __name__ == "__main__":
    main()
