"""Email content: the recommendations template, its local renderer and unsubscribe tokens.
The mailer use case is `watchnext.service.delivery`."""
