"""Persistence, below everything else and importing nothing from bot/: the tables (models)
and stored states, the engine and session set-up (SQLite pragmas, write turns), bulk writes,
typed row helpers, and the Alembic migrations."""
