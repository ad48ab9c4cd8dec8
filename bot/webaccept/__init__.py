"""The accept page: a customer opens the signed link from their e-mail (or "Open in browser"
in their Slack DM), reads the delivery and its proof, and accepts or asks for changes.

`page` decides what a link may show and do, and takes the decision through the same rule as
the Slack button (bot.acceptance.decision); `views` renders HTML (no JavaScript, a strict
Content-Security-Policy); `guard` holds the rate limit and the response headers; `routes`
serves it under /accept/<token> in the `serve` web app."""
