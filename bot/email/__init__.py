"""E-mail to customers who are not on Slack, and the signed links of the accept page.

`links` signs and reads accept links (bound to one order and one delivery round, expiring);
`facts` is the delivery as a reader outside Slack sees it (shared with the page); `compose`
turns an outbox e-mail row into a message (plain text and HTML); `smtp` sends it (SMTP_URL,
STARTTLS when offered); `sender` is what the outbox dispatcher calls for the EMAIL method, and
adds the "Open in browser" link to the customer's Slack DM."""
