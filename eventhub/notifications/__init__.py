"""Emails to attendees about their registration and their visit seats: what kinds there are, what each
queued message stores, and the functions every feature calls to send one. Messages are composed at
delivery (registration/emails.py), so this package needs only the outbox and the models."""
