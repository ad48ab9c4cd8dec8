"""Importing products and orders from CSV, JSON or YAML.

Orders: `files` reads records, `validation` checks each row (errors name the row and field),
`staging` writes the valid rows to temporary tables and checks what crosses rows, then
`merge` writes them into the orders set-based (`renewals` first decides the renewals of
finished orders, `existing` the re-imported orders that change), all in one transaction;
`rules` says what a row does to its order. `orders.import_orders` does the same for a list.
"""
