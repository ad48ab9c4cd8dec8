"""The `deliverybot` command line (Typer): serve, worker, demo, db, products and orders."""
