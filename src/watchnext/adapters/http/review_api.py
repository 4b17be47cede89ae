"""The review API: ``POST /reviews``, ``GET /users/{user_id}/recommendations``, OpenAPI.

`ReviewApi` turns API Gateway proxy events into calls of a `ReviewService` and its answers
into proxy responses. The Lambda handler, the local gateway and `watchnext invoke` all use it.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import PydanticSerializer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

from watchnext import __version__
from watchnext.adapters.http.api_schema import (
    CLICK_RESPONSES,
    NEEDS_API_KEY,
    SUBSCRIPTION_RESPONSES,
    recommendation_responses,
    review_responses,
    security_schemes,
    without_unused_schemas,
)
from watchnext.adapters.http.request_body import (
    BodyRejectedError,
    check_review_body,
    with_lowercase_media_type,
)
from watchnext.domain.email import Recipient
from watchnext.domain.responses import ReviewAccepted, UserRecommendations
from watchnext.domain.review import Review, UserId
from watchnext.email.signed import ExpiredTokenError, InvalidTokenError
from watchnext.errors import ServiceUnavailableError, WatchNextError
from watchnext.observability import logger
from watchnext.service.clicks import Clicks, ReplayedClickError
from watchnext.service.ports import MetricsSink, NullMetrics
from watchnext.service.review import ReviewService
from watchnext.service.subscriptions import Subscriptions

IDEMPOTENCY_HEADER = "Idempotency-Key"
"""The IETF httpapi draft's header: a retried POST carrying the same key records once and
emails once, whatever its body's time. Without it, the key is (user, item, timestamp)."""
IDEMPOTENCY_KEY = "idempotency_key || [review.user_id, review.item_id, review.timestamp]"
SAME_REVIEW = "review.[user_id, item_id, event_rating, event_type, email_address]"
"""What a retry must repeat: reusing a key for another review is refused (422)."""
IDEMPOTENCY_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


class ReviewSubmission(BaseModel):
    """A review and the client's idempotency key, the unit that is recorded once."""

    review: Review
    idempotency_key: str | None = None


TOKEN = Query(min_length=1, max_length=2048, description="The signed token from the email's link")

SubscriptionStep = Literal["confirm", "unsubscribe", "resubscribe"]
SUBSCRIPTION_PAGES: dict[SubscriptionStep, tuple[str, str, str]] = {
    # step: (message, the button's label, where it posts)
    "confirm": (
        "Stop WatchNext recommendation emails to {recipient}?",
        "Unsubscribe",
        "unsubscribe",
    ),
    "unsubscribe": (
        "You are unsubscribed: WatchNext will not email {recipient} again.",
        "Subscribe again",
        "resubscribe",
    ),
    "resubscribe": (
        "You are subscribed again: WatchNext will email {recipient} after each review.",
        "Unsubscribe",
        "unsubscribe",
    ),
}

MAX_RECOMMENDATIONS = 100
PREFLIGHT_MAX_AGE_SECONDS = 600  # browsers cache the preflight answer this long


@dataclass(frozen=True)
class Idempotency:
    persistence: BasePersistenceLayer
    expiry_seconds: int = 3600


class ReviewResolver(APIGatewayRestResolver):
    """Powertools' REST resolver, with path parameters that match any character but '/'.

    Powertools matches ``<user_id>`` against word characters and a list of URI punctuation,
    so a viewer id with '"', '#', '?', '\\' or a symbol such as '★' could be posted but never
    read back (404). A review's ids refuse only '/' and control characters, and GET must
    address every id POST accepts.
    """

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = "^{}/*$") -> re.Pattern[str]:
        return re.compile(base_regex.format(re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", rule)))


class ReviewApi:
    """API Gateway proxy events in, proxy responses out."""

    def __init__(
        self,
        service: ReviewService,
        *,
        idempotency: Idempotency | None = None,
        metrics_sink: MetricsSink | None = None,
        cors_allowed_origins: tuple[str, ...] = (),
        subscriptions: Subscriptions | None = None,
        clicks: Clicks | None = None,
        retry_after_seconds: int = 30,
    ) -> None:
        self.service = service
        self._clicks = clicks
        self.service_retry_after_seconds = retry_after_seconds
        self._subscriptions = subscriptions
        self._subscription_steps: dict[SubscriptionStep, Callable[[str], Recipient]] = (
            {
                "confirm": subscriptions.recipient,
                "unsubscribe": subscriptions.unsubscribe,
                "resubscribe": subscriptions.resubscribe,
            }
            if subscriptions
            else {}
        )
        self._metrics = metrics_sink or NullMetrics()
        self._idempotency_config: IdempotencyConfig | None = None

        def submit(submission: ReviewSubmission) -> ReviewAccepted:
            return service.submit_review(submission.review)

        self._submit: Callable[..., ReviewAccepted] = submit
        if idempotency is not None:
            self._idempotency_config = IdempotencyConfig(
                event_key_jmespath=IDEMPOTENCY_KEY,
                payload_validation_jmespath=SAME_REVIEW,
                expires_after_seconds=idempotency.expiry_seconds,
                raise_on_no_idempotency_key=True,
            )
            self._submit = idempotent_function(
                data_keyword_argument="submission",
                persistence_store=idempotency.persistence,
                config=self._idempotency_config,
                output_serializer=PydanticSerializer(model=ReviewAccepted),
            )(submit)
        cors = _cors(cors_allowed_origins)
        self.resolver = ReviewResolver(enable_validation=True, cors=cors)
        self._register_routes()
        self._register_error_handlers()

    def handle(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        if self._idempotency_config is not None:
            self._idempotency_config.register_lambda_context(context)
        if event.get("httpMethod") == "POST" and event.get("resource") == "/reviews":
            try:
                check_review_body(event)
            except BodyRejectedError as rejected:
                self._metrics.count("ReviewsRejected")
                return _refused_body(rejected)
            event = with_lowercase_media_type(event)
        return self.resolver.resolve(event, context)

    def openapi_json(self) -> str:
        document = self.resolver.get_openapi_schema(
            title="WatchNext review API",
            version=__version__,
            summary="Post a review, get recommendations that reflect it, receive them by email.",
            security_schemes=security_schemes(),
        ).model_dump(mode="json", by_alias=True, exclude_none=True)
        return json.dumps(without_unused_schemas(document), indent=2)

    def _register_routes(self) -> None:
        app = self.resolver
        default_n = self.service.num_results

        @app.post(
            "/reviews",
            summary="Record a review and return fresh recommendations",
            description=(
                "Send an `Idempotency-Key` header (1 to 255 visible ASCII characters, e.g. a "
                "UUID) to make retries safe: the same key within the expiry answers the first "
                "result and records nothing again. Without it, a review is the same review when "
                "user_id, item_id and timestamp match, so send `timestamp` when you retry."
            ),
            responses=review_responses(ReviewAccepted),
            security=NEEDS_API_KEY,
            operation_id="post_review",
        )
        def post_review(review: Review) -> ReviewAccepted:
            key = _idempotency_key(app.current_event.headers.get(IDEMPOTENCY_HEADER))
            accepted = self._submit(submission=ReviewSubmission(review=review, idempotency_key=key))
            self._metrics.count("ReviewsAccepted")
            logger.info(
                "Review accepted",
                extra={
                    "user_id": review.user_id,
                    "item_id": review.item_id,
                    "recommendations": len(accepted.recommendations),
                    "email_queued": accepted.email_queued,
                },
            )
            return accepted

        @app.get(
            "/users/<user_id>/recommendations",
            summary="A viewer's current recommendations, with titles",
            responses=recommendation_responses(UserRecommendations),
            security=NEEDS_API_KEY,
            operation_id="get_recommendations",
        )
        def get_recommendations(
            user_id: Annotated[UserId, Path(min_length=1, max_length=256)],
            n: Annotated[int, Query(ge=1, le=MAX_RECOMMENDATIONS)] = default_n,
        ) -> UserRecommendations:
            return self.service.recommendations_for(user_id, n)

        @app.get(
            "/unsubscribe",
            summary="Ask to stop recommendation emails (the signed link in every email)",
            description="A page with a button that POSTs the opt-out; a GET changes nothing, "
            "so link scanners and prefetchers cannot unsubscribe anyone.",
            responses=SUBSCRIPTION_RESPONSES,
        )
        def confirm_unsubscribe(token: Annotated[str, TOKEN]) -> Response[str]:
            return self._subscription_page(token, "confirm")

        # Also the List-Unsubscribe-Post target (RFC 8058 one-click), which mail clients POST.
        @app.post(
            "/unsubscribe",
            summary="Stop recommendation emails to the link's address",
            responses=SUBSCRIPTION_RESPONSES,
        )
        def unsubscribe(token: Annotated[str, TOKEN]) -> Response[str]:
            return self._subscription_page(token, "unsubscribe")

        @app.post(
            "/resubscribe",
            summary="Receive recommendation emails again, undoing an unsubscribe",
            responses=SUBSCRIPTION_RESPONSES,
        )
        def resubscribe(token: Annotated[str, TOKEN]) -> Response[str]:
            return self._subscription_page(token, "resubscribe")

        @app.get(
            "/r/<token>",
            summary="Follow a pick's link from an email: record the click, go to the title",
            description="Each link records one CLICK, with the email's recommendationId and "
            "what it showed, then redirects (302) to the title's page. A forged (400), expired "
            "(410) or already followed (409) link records nothing.",
            responses=CLICK_RESPONSES,
        )
        def follow_pick(
            token: Annotated[str, Path(min_length=1, max_length=4096)],
        ) -> Response[str]:
            return self._follow(token)

        @app.get("/openapi.json", summary="This API's OpenAPI document", include_in_schema=False)
        def openapi() -> Response[str]:
            return Response(HTTPStatus.OK, "application/json", self.openapi_json())

    def _subscription_page(self, token: str, step: SubscriptionStep) -> Response[str]:
        if self._subscriptions is None:
            return _page(HTTPStatus.NOT_FOUND, "Unsubscribing is not configured here.")
        try:
            recipient = self._subscription_steps[step](token)
        except InvalidTokenError as error:
            return _page(HTTPStatus.BAD_REQUEST, f"This unsubscribe link does not work: {error}.")
        if step != "confirm":
            logger.info("Subscription changed", extra={"step": step})
        message, button, action = SUBSCRIPTION_PAGES[step]
        form = _button_form(f"{action}?{urlencode({'token': token})}", button)
        return _page(HTTPStatus.OK, message.format(recipient=recipient.label), form)

    def _follow(self, token: str) -> Response[str]:
        if self._clicks is None:
            return _page(HTTPStatus.NOT_FOUND, "Pick links are not configured here.")
        try:
            destination = self._clicks.follow(token)
        except ExpiredTokenError:
            return _page(HTTPStatus.GONE, "This link has expired, so WatchNext counted nothing.")
        except InvalidTokenError as error:
            return _page(HTTPStatus.BAD_REQUEST, f"This link does not work: {error}.")
        except ReplayedClickError as replay:
            self._metrics.count("ClicksRepeated")
            onward = _link(replay.title_url, "Go to the title") if replay.title_url else ""
            return _page(
                HTTPStatus.CONFLICT,
                "You followed this link before; WatchNext counts each link once.",
                onward,
            )
        self._metrics.count("ClicksRecorded")
        if destination is None:
            return _page(HTTPStatus.OK, "Thanks: WatchNext noted your interest in this title.")
        return Response(
            status_code=HTTPStatus.FOUND,
            content_type="text/html; charset=utf-8",
            body=_link(destination, "Go to the title"),
            headers={**PAGE_HEADERS, "Location": destination},
        )

    def _register_error_handlers(self) -> None:
        app = self.resolver

        @app.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
        def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
            problems = [_problem(detail) for detail in error.errors()]
            if app.current_event.path == "/reviews":
                self._metrics.count("ReviewsRejected")
            logger.info("Request rejected", extra={"fields": [p["field"] for p in problems]})
            return _json(
                HTTPStatus.UNPROCESSABLE_ENTITY,
                {"message": "The request is invalid; see errors.", "errors": problems},
            )

        @app.exception_handler(InvalidIdempotencyKeyError)  # type: ignore[untyped-decorator]
        def invalid_key(_error: InvalidIdempotencyKeyError) -> Response[dict[str, Any]]:
            reason = "1 to 255 visible ASCII characters (a UUID, say)"
            message = f"The {IDEMPOTENCY_HEADER} header must be {reason}."
            return _key_problem(HTTPStatus.BAD_REQUEST, message, reason, "header_invalid")

        @app.exception_handler(IdempotencyAlreadyInProgressError)  # type: ignore[untyped-decorator]
        def in_progress(_error: IdempotencyAlreadyInProgressError) -> Response[dict[str, Any]]:
            return _json(
                HTTPStatus.CONFLICT,
                {"message": "This review is being recorded right now; retry in a second."},
                headers={"Retry-After": "1"},
            )

        @app.exception_handler(IdempotencyValidationError)  # type: ignore[untyped-decorator]
        def reused_key(_error: IdempotencyValidationError) -> Response[dict[str, Any]]:
            if app.current_event.headers.get(IDEMPOTENCY_HEADER) is None:
                return _implicit_key_reused()
            reason = "was used for another review; send a new key for a new review"
            message = f"The idempotency key {reason}."
            return _key_problem(HTTPStatus.UNPROCESSABLE_ENTITY, message, reason, "key_reused")

        @app.exception_handler(IdempotencyPersistenceLayerError)  # type: ignore[untyped-decorator]
        def store_unavailable(error: IdempotencyPersistenceLayerError) -> Response[dict[str, Any]]:
            logger.warning("Idempotency store failed", extra={"reason": str(error)})
            retry_after = self.service_retry_after_seconds
            return _json(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"message": "The review store is unavailable.", "retry_after_seconds": retry_after},
                headers={"Retry-After": str(retry_after)},
            )

        @app.exception_handler(ServiceUnavailableError)  # type: ignore[untyped-decorator]
        def unavailable(error: ServiceUnavailableError) -> Response[dict[str, Any]]:
            logger.warning("Service unavailable", extra={"reason": error.message})
            return _json(
                HTTPStatus.SERVICE_UNAVAILABLE,
                {"message": error.message, "retry_after_seconds": error.retry_after_seconds},
                headers={"Retry-After": str(error.retry_after_seconds)},
            )


class InvalidIdempotencyKeyError(WatchNextError, ValueError):
    """The Idempotency-Key header is not 1 to 255 visible ASCII characters."""


def _idempotency_key(raw: str | None) -> str | None:
    """The header's key (an sf-string's quotes removed), None when absent."""
    if raw is None:
        return None
    key = raw.strip().strip('"')
    if not IDEMPOTENCY_KEY_PATTERN.fullmatch(key):
        raise InvalidIdempotencyKeyError(IDEMPOTENCY_HEADER)
    return key


def _problem(detail: dict[str, Any]) -> dict[str, str]:
    """One validation failure as ``{field, reason}``, never echoing the submitted value."""
    location = [str(part) for part in detail.get("loc", ()) if part not in ("body",)]
    field = ".".join(location) or "body"
    reason = str(detail.get("msg", "invalid"))
    context_error = (detail.get("ctx") or {}).get("error")
    if detail.get("type") == "json_invalid" and context_error:
        field, reason = "body", f"not valid JSON: {context_error}"
    return {"field": field, "reason": reason, "type": str(detail.get("type", "invalid"))}


def _refused_body(rejected: BodyRejectedError) -> dict[str, Any]:
    """A proxy response for a body refused before the resolver parsed it."""
    problem = {"field": "body", "reason": rejected.reason, "type": "body_invalid"}
    body = {"message": f"The request body is refused: {rejected.reason}.", "errors": [problem]}
    return {
        "statusCode": int(rejected.status),
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _key_problem(status: int, message: str, reason: str, kind: str) -> Response[dict[str, Any]]:
    """A refused Idempotency-Key, in the same shape as a refused body field."""
    problem = {"field": IDEMPOTENCY_HEADER, "reason": reason, "type": kind}
    return _json(status, {"message": message, "errors": [problem]})


def _implicit_key_reused() -> Response[dict[str, Any]]:
    """Without a header the key is (user, item, timestamp): another review under it would be
    acknowledged and then dropped, so it is refused naming both ways to make it distinct."""
    reason = "this viewer's review of this title at this timestamp was another review"
    message = (
        f"A different review of this title at this exact time was recorded; send its own "
        f"timestamp or an {IDEMPOTENCY_HEADER} header."
    )
    problems = [
        {"field": IDEMPOTENCY_HEADER, "reason": reason, "type": "key_reused"},
        {"field": "timestamp", "reason": reason, "type": "key_reused"},
    ]
    return _json(HTTPStatus.UNPROCESSABLE_ENTITY, {"message": message, "errors": problems})


def _json(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type="application/json", body=body, headers=headers)


PAGE_HEADERS = {
    # The pages load nothing and post only to this API; nobody may frame them.
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the page's URL carries the token
    "Cache-Control": "no-store",
}


def _page(status: int, message: str, form: str = "") -> Response[str]:
    body = (
        "<!DOCTYPE html><html lang=en><meta charset=utf-8><title>WatchNext</title>"
        "<body style='font-family:sans-serif;margin:3em'>"
        f"<p>{html.escape(message)}</p>{form}</body></html>"
    )
    return Response(
        status_code=status,
        content_type="text/html; charset=utf-8",
        body=body,
        headers=PAGE_HEADERS,
    )


def _link(url: str, label: str) -> str:
    return f"<p><a href='{html.escape(url, quote=True)}'>{html.escape(label)}</a></p>"


def _button_form(action: str, label: str) -> str:
    """A form that POSTs to ``action``, relative to the page, so the API's stage prefix stays."""
    return (
        f"<form method=post action='{html.escape(action, quote=True)}'>"
        f"<button type=submit>{html.escape(label)}</button></form>"
    )


def _cors(origins: tuple[str, ...]) -> CORSConfig | None:
    if not origins:
        return None
    return CORSConfig(
        allow_origin=origins[0],
        extra_origins=list(origins[1:]),
        allow_headers=["Content-Type", "X-Api-Key", "Idempotency-Key"],
        max_age=PREFLIGHT_MAX_AGE_SECONDS,
    )
