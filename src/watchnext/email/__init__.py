"""Email delivery: the recommendations template, its local renderer, unsubscribe tokens and
the mailer use case. AWS and SMTP adapters implement `watchnext.email.ports`."""
