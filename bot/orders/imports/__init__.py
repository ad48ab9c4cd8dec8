"""Importing products and orders from CSV, JSON or YAML: read the file, validate every row
(errors name the row and field), then upsert in bulk; renewals of completed orders are marked
not supervised with their validity continued."""
