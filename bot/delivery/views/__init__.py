"""Block Kit of the delivery conversation: the delivery message and its steps, replies in the
DM, and the template modal."""
