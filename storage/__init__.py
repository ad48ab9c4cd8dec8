"""Persistence: SQLModel tables, engine/session setup, Alembic migrations, queries."""
