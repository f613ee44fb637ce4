"""Email outbox: messages are queued with the change that causes them and delivered after commit."""
