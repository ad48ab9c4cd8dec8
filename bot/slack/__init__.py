"""Talking to Slack: the transactional outbox (enqueue in the change's transaction; the
dispatcher claims rows, sends afterwards, paced, retried, newest rewrite wins, and records the
outcome; a post whose outcome is unknown is looked for in Slack before it is sent again), the
Slack call itself, the people directory (cached users.info), file downloads, Block Kit
helpers, Services (what a listener or job gets: settings, session factories, clock, client,
dispatcher), and how a background loop logs a run of failures once. What Slack sends us is
checked in `inbound/`."""
