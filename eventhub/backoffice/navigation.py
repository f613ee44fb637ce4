"""The back office's links for one event, in one list: each names an endpoint, and a test checks that every
one exists (a link to a page that is not there fails the test, not a user's click)."""

# (endpoint, label); each takes the event's slug, except the audit log, which filters by it.
EVENT_NAV = [
    ("events.event_overview", "Overview"),
    ("backoffice.dashboard", "Dashboard"),
    ("events.agenda", "Agenda"),
    ("visits.visits", "Visits"),
    ("registration.registrants", "Registrants"),
    ("registration.event_check_in", "Check-in"),
    ("backoffice.messages", "Messages"),
    ("printing.event_prints", "Printing"),
    ("followup.event_commitments", "Commitments"),
    ("backoffice.audit_log", "Changes"),
]
