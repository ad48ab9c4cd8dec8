"""A fake Slack for the tests and the demo: a Web API server over real HTTP that keeps what
each person sees (server.FakeSlack, with its state, methods and HTTP front), and a driver that
sends the bot signed requests as people would (driver.SlackDriver)."""
