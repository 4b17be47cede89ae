"""Clients of the review API over HTTP: the one `ReviewApiClient` (the web app, `watchnext
demo --check`, `watchnext simulate` and the load test use it) and the one way to write a
review's body (`review_body`)."""
