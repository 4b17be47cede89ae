"""The review API over in-memory fakes: routing, validation, status codes, metrics."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import ORIGINAL_REVIEW, body_of, get, header, post_review
from tests.support.fakes import (
    FakeCatalog,
    FakeEmailQueue,
    FakeEventRecorder,
    FakeMetrics,
    FakeRecommender,
)
from watchnext.adapters.http.lambda_context import LocalLambdaContext
from watchnext.adapters.http.proxy_events import proxy_event
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.domain.email import EmailLinks
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template, template_data
from watchnext.service.review import ReviewService


class World:
    def __init__(self) -> None:
        self.recorder = FakeEventRecorder()
        self.recommender = FakeRecommender(recorder=self.recorder)
        self.catalog = FakeCatalog({"Her": "Her (2013)", "Lucy": "Lucy (2014)"})
        self.queue = FakeEmailQueue()
        self.metrics = FakeMetrics()
        self.service = ReviewService(
            self.recorder,
            self.recommender,
            self.catalog,
            self.queue,
            num_results=3,
            metrics=self.metrics,
        )
        self.api = ReviewApi(self.service, metrics_sink=self.metrics)


def pick(item_id: str, title: str, score: object) -> dict[str, object]:
    return {
        "item_id": item_id, "title": title, "score": score,
        "because_item_id": None, "because_title": None, "reasons": [],
    }  # fmt: skip


@pytest.fixture
def world() -> World:
    return World()


def test_the_original_body_returns_titled_recommendations_and_queues_an_email(
    world: World,
) -> None:
    response = post_review(world.api, ORIGINAL_REVIEW)

    assert response["statusCode"] == 200
    assert body_of(response) == {
        "user_id": "37197598",
        "recommendation_id": "rec-1",
        "recommendations": [
            pick("Arrival", "Arrival", 1.0),
            pick("Her", "Her (2013)", 0.5),
            pick("Up", "Up", pytest.approx(1 / 3)),
        ],
        "item_known": True,
        "email_queued": True,
        "email_not_queued_reason": None,
    }
    assert [e.item_id for e in world.recorder.recorded] == ["Lucy"]
    assert len(world.queue.sent) == 1
    assert world.metrics.counts == {"ReviewsAccepted": 1, "EmailsQueued": 1}
    assert len(world.metrics.timings["RecommendationLatency"]) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user_id", ""),
        ("item_id", "x" * 257),
        ("event_rating", 9),
        ("event_verified_purchase", "maybe"),
        ("event_type", "LIKE"),
        ("email_address", "nobody"),
        ("timestamp", "someday"),
        ("surprise", True),
    ],
)
def test_each_invalid_field_gets_422_naming_it(world: World, field: str, value: object) -> None:
    response = post_review(world.api, {**ORIGINAL_REVIEW, field: value})

    assert response["statusCode"] == 422
    errors = body_of(response)["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["reason"]
    assert world.recorder.recorded == []
    assert world.queue.sent == []
    assert world.metrics.counts == {"ReviewsRejected": 1}


def test_every_failing_field_is_named_at_once(world: World) -> None:
    body = {**ORIGINAL_REVIEW, "event_rating": 0, "email_address": "x", "mood": "happy"}
    fields = {e["field"] for e in body_of(post_review(world.api, body))["errors"]}
    assert fields == {"event_rating", "email_address", "mood"}


@pytest.mark.parametrize(
    "raw", ["{not json", "", "[]", '"a string"', "null", "42", '{"user_id": 1}']
)
def test_a_malformed_body_gets_422_not_500(world: World, raw: str) -> None:
    response = post_review(world.api, raw)
    assert response["statusCode"] == 422
    assert body_of(response)["errors"]


def test_validation_errors_do_not_echo_the_submitted_value(world: World) -> None:
    response = post_review(world.api, {**ORIGINAL_REVIEW, "email_address": "secret@@example.com"})
    assert "secret" not in response["body"]


def test_an_unavailable_recommender_gets_503_with_retry_after(world: World) -> None:
    world.recommender.unavailable = "The Personalize campaign does not exist or is not ACTIVE yet."

    response = post_review(world.api, ORIGINAL_REVIEW)

    assert response["statusCode"] == 503
    assert header(response, "Retry-After") == "7"
    assert "not ACTIVE" in body_of(response)["message"]
    assert world.queue.sent == []


def test_recommendations_for_a_user_come_with_titles(world: World) -> None:
    response = get(world.api, "/users/u-1/recommendations", {"n": "2"})

    assert response["statusCode"] == 200
    assert body_of(response)["recommendations"] == [
        pick("Arrival", "Arrival", 1.0),
        pick("Her", "Her (2013)", 0.5),
    ]
    assert world.recommender.asked == [("u-1", 2)]
    assert world.recorder.recorded == []


def test_recommendations_default_to_the_configured_count(world: World) -> None:
    get(world.api, "/users/u-1/recommendations")
    assert world.recommender.asked == [("u-1", 3)]


@pytest.mark.parametrize("n", ["0", "101", "ten"])
def test_an_out_of_range_count_gets_422_naming_n(world: World, n: str) -> None:
    response = get(world.api, "/users/u-1/recommendations", {"n": n})
    assert response["statusCode"] == 422
    assert [e["field"] for e in body_of(response)["errors"]] == ["query.n"]


def test_the_openapi_document_describes_the_routes(world: World) -> None:
    response = get(world.api, "/openapi.json")

    assert response["statusCode"] == 200
    document = body_of(response)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/reviews", "/users/{user_id}/recommendations", "/unsubscribe", "/resubscribe",
        "/r/{token}",
    }  # fmt: skip
    review_schema = document["components"]["schemas"]["Review"]
    assert review_schema["additionalProperties"] is False
    assert set(review_schema["required"]) == {
        "user_id",
        "item_id",
        "event_rating",
        "event_verified_purchase",
        "email_address",
    }


def test_the_openapi_document_declares_what_each_route_answers(world: World) -> None:
    """Conformance of real answers to these declarations is test_api_fuzzing's job."""
    document = body_of(get(world.api, "/openapi.json"))
    paths, schemas = document["paths"], document["components"]["schemas"]

    def body_schema(path: str, method: str, status: str, media: str = "application/json") -> Any:
        return paths[path][method]["responses"][status]["content"][media]["schema"]

    assert body_schema("/reviews", "post", "200") == {"$ref": "#/components/schemas/ReviewAccepted"}
    assert body_schema("/users/{user_id}/recommendations", "get", "200") == {
        "$ref": "#/components/schemas/UserRecommendations"
    }
    for status in ("400", "413", "415", "422"):
        assert body_schema("/reviews", "post", status) == {"$ref": "#/components/schemas/Problem"}
    assert set(schemas["Problem"]["properties"]) == {"message", "errors"}
    assert body_schema("/reviews", "post", "503") == {"$ref": "#/components/schemas/Unavailable"}
    assert body_schema("/unsubscribe", "get", "400", "text/html") == {"type": "string"}
    assert document["components"]["securitySchemes"]["apiKey"]["name"] == "x-api-key"
    assert paths["/reviews"]["post"]["security"] == [{"apiKey": []}]
    assert "security" not in paths["/unsubscribe"]["post"]
    assert "security" not in paths["/r/{token}"]["get"]
    assert set(paths["/r/{token}"]["get"]["responses"]) >= {"302", "400", "409", "410"}
    assert "HTTPValidationError" not in schemas  # Powertools' shape, never returned
    assert ">>>" not in json.dumps(document)  # no doctest in a description


def test_an_unknown_route_gets_404(world: World) -> None:
    assert get(world.api, "/nowhere")["statusCode"] == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from([*ORIGINAL_REVIEW, "timestamp", "extra"]), json_values, max_size=8
    )
)
def test_no_request_body_produces_a_server_error(body: dict[str, object]) -> None:
    world = World()
    response = post_review(world.api, json.dumps(body))
    assert response["statusCode"] in (200, 422)
    if response["statusCode"] == 422:
        assert all(e["field"] and e["reason"] for e in body_of(response)["errors"])


def _from_origin(api: ReviewApi, origin: str) -> dict[str, Any]:
    event = proxy_event(
        "POST", "/reviews", body=json.dumps(ORIGINAL_REVIEW), headers={"Origin": origin}
    )
    return api.handle(event, LocalLambdaContext())


def test_cors_answers_only_the_configured_origins(world: World) -> None:
    allowed = ("https://app.example.com", "https://admin.example.com")
    api = ReviewApi(world.service, cors_allowed_origins=allowed)

    for origin in allowed:
        assert header(_from_origin(api, origin), "Access-Control-Allow-Origin") == origin
    stranger = _from_origin(api, "https://evil.example.net")
    assert header(stranger, "Access-Control-Allow-Origin") is None


def test_without_configured_origins_no_browser_origin_is_allowed(world: World) -> None:
    response = _from_origin(world.api, "https://app.example.com")

    assert response["statusCode"] == 200
    assert header(response, "Access-Control-Allow-Origin") is None


REVIEW_TEXT = json.dumps(ORIGINAL_REVIEW)
HOSTILE_BODIES = {
    "nested 1,000 deep": ("application/json", "[" * 1000 + "]" * 1000, 422, "nested"),
    "a 5,000-digit timestamp": (
        "application/json", REVIEW_TEXT[:-1] + ', "timestamp": ' + "9" * 5000 + "}", 422, "digits",
    ),
    "multipart without a boundary": ("multipart/form-data", "user_id=1", 415, "Content-Type"),
    "multipart outside latin-1": (
        "multipart/form-data; boundary=b",
        '--b\r\nContent-Disposition: form-data; name="user_id"\r\n\r\n\u4f60\u597d\r\n--b--\r\n',
        415,
        "Content-Type",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(HOSTILE_BODIES))
def test_a_body_that_would_crash_a_parser_gets_a_4xx_with_its_reason(
    world: World, case: str
) -> None:
    content_type, body, status, reason = HOSTILE_BODIES[case]
    event = proxy_event("POST", "/reviews", body=body, headers={"Content-Type": content_type})

    response = world.api.handle(event, LocalLambdaContext())

    assert response["statusCode"] == status
    [problem] = body_of(response)["errors"]
    assert problem["field"] == "body"
    assert reason in problem["reason"]
    assert world.recorder.recorded == []


def test_a_body_that_is_not_utf8_is_refused_not_repaired(world: World) -> None:
    raw = REVIEW_TEXT.encode().replace(b"Lucy", b"Lu\xffcy")
    event = proxy_event("POST", "/reviews", body=base64.b64encode(raw).decode())
    event["isBase64Encoded"] = True

    response = world.api.handle(event, LocalLambdaContext())

    assert response["statusCode"] == 422
    assert "UTF-8" in body_of(response)["errors"][0]["reason"]


@pytest.mark.parametrize("user_id", ['say "hi"', "a#b?c", "back\\slash", "★ fan", "é`|~"])
def test_every_user_id_a_review_accepts_can_be_read_back(world: World, user_id: str) -> None:
    posted = post_review(world.api, ORIGINAL_REVIEW | {"user_id": user_id})
    assert posted["statusCode"] == 200, posted["body"]

    response = get(world.api, f"/users/{user_id}/recommendations")

    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["user_id"] == user_id


def test_a_title_not_in_the_catalog_is_recorded_and_said_to_be_unknown(world: World) -> None:
    response = post_review(world.api, ORIGINAL_REVIEW | {"item_id": "B00NEWTITLE"})

    assert response["statusCode"] == 200
    assert body_of(response)["item_known"] is False
    assert [e.item_id for e in world.recorder.recorded] == ["B00NEWTITLE"]  # kept for training
    assert world.queue.sent[0].rated.known is False


def test_an_unknown_item_id_never_reaches_the_email_verbatim(world: World) -> None:
    """Issue 24's relay: any text posted as an item id went out in the subject."""
    relay = "Visit http://evil.example now"
    response = post_review(world.api, ORIGINAL_REVIEW | {"item_id": relay})

    assert response["statusCode"] == 200
    [job] = world.queue.sent
    assert job.rated.title == "a title we don't know yet"
    email = HandlebarsRenderer(load_template()).render(template_data(job, EmailLinks("u")))
    assert relay not in email.subject + email.text + email.html
    assert "after you rated a title we don't know yet" in email.subject
