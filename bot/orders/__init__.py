"""Orders and what they are made of: finding an order and deciding who sells it (queries),
listing, the supervision state machine (states) and its compare-and-set (workflow), the
validity period (validity, counted on the customer's calendar), the customer (customers: who
counts as them; contacts: who to tell), products' delivery templates, the order views, and
imports from files (imports/)."""
