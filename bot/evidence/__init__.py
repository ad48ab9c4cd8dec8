"""The evidence pack of an order: one ZIP an operations person can settle an appeal from.

`pack` gathers it (the timeline in UTC and the customer's zone, every round's proof files under
their original names and template answers, the appeals, the validity computation), `timeline`
renders the timeline as JSON and printable HTML, `signing` writes MANIFEST.sha256 and signs its
digest with the server's Ed25519 key, `verify` checks a pack file by file, and `share` uploads a
pack to an appeal's thread in the operations channel through the outbox.
"""
