"""The service layer: the use cases and every port they need.

`review.ReviewService` records a review, recommends and queues the email; `delivery.Delivery`
sends one queued email; `subscriptions.Subscriptions` keeps opt-outs. Their collaborators
are the protocols in `ports`, wired by `watchnext.bootstrap`.
"""
