"""The one place that knows every adapter: it builds the review API and the mailer from
settings, either on AWS (`aws`, as template.yaml deploys it) or on one machine (`local`).
Entrypoints call it; nothing else builds adapters."""
