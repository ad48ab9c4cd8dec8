"""Talking to Slack: the transactional outbox (enqueue in the change's transaction; the
dispatcher sends afterwards, paced, retried, newest rewrite wins), the Slack call itself, the
people directory (cached users.info), file downloads, Block Kit helpers, and Services (what a
listener or job gets: settings, session factories, clock, client, dispatcher). Inbound: what a
request must be before Bolt reads it (`inbound`), the typed payloads listeners get
(`payloads`), and each Events API event handled once (`once`)."""
