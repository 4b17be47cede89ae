"""Click links and the engagement report: signed claims, one event per link, rates with the
error the report states."""

from __future__ import annotations

import dataclasses
import time

import pytest

from tests.support.fakes import InMemoryEmailState, email_job
from watchnext.domain.engagement import Click, SentEmail, engagement_report, wilson_interval
from watchnext.domain.events import CLICK, InteractionEvent
from watchnext.email.click_links import (
    LINK_LIFETIME_SECONDS,
    ClickClaims,
    impression_of,
    pick_links,
    sign_click,
    verify_click,
)
from watchnext.email.signed import ExpiredTokenError, InvalidTokenError
from watchnext.recommender.data import SEEN, ConfidenceRule, load_interactions
from watchnext.service.clicks import Clicks, ReplayedClickError
from watchnext.webapp.app import _list_of

KEY = b"k" * 32
NOW = 1_800_000_000.0


@dataclasses.dataclass
class Recorder:
    events: list[InteractionEvent] = dataclasses.field(default_factory=list)
    fail: bool = False

    def record(self, event: InteractionEvent) -> None:
        if self.fail:
            raise ConnectionError("tracker down")
        self.events.append(event)


def token_for(position: int = 2) -> str:
    links = pick_links("https://api.example.com/prod", email_job(), KEY, now=NOW)
    return links[position - 1].rpartition("/r/")[2]


def clicks(recorder: Recorder, ledger: InMemoryEmailState | None = None) -> Clicks:
    return Clicks(
        recorder=recorder, ledger=ledger or InMemoryEmailState(clock=lambda: NOW),
        signing_key=lambda: KEY, title_url_template="https://watch.example.com/t/{item_id}",
        clock=lambda: NOW,
    )  # fmt: skip


def test_a_link_names_the_viewer_the_list_what_was_shown_and_the_pick() -> None:
    claims = verify_click(token_for(2), KEY, now=NOW)

    job = email_job()
    assert (claims.user_id, claims.job_id, claims.position) == (job.user_id, job.job_id, 2)
    assert claims.item_id == job.recommendations[1].item_id
    assert claims.recommendation_id == job.recommendation_id
    assert claims.impression == tuple(r.item_id for r in job.recommendations)


def test_a_tampered_or_expired_link_is_refused() -> None:
    payload, signature = token_for().split(".")
    with pytest.raises(InvalidTokenError, match="signature"):
        verify_click(f"{payload[:-1]}{'A' if payload[-1] != 'A' else 'B'}.{signature}", KEY)
    with pytest.raises(InvalidTokenError, match="malformed"):
        verify_click("not-a-token", KEY)
    with pytest.raises(ExpiredTokenError):
        verify_click(token_for(), KEY, now=NOW + LINK_LIFETIME_SECONDS)


def test_the_impression_is_at_most_25_ids_and_left_out_when_too_long() -> None:
    from watchnext.domain.recommendation import Recommendation

    many = email_job(titles=tuple(f"T{i}" for i in range(30)))
    assert len(impression_of(many)) == 25
    long_ids = many.model_copy(
        update={"recommendations": tuple(
            Recommendation(item_id="x" * 200 + str(i), title="t") for i in range(10)
        )}
    )  # fmt: skip
    assert impression_of(long_ids) == ()


def test_following_a_link_records_one_click_and_a_replay_nothing() -> None:
    recorder = Recorder()
    service = clicks(recorder)

    assert service.follow(token_for(2)) == "https://watch.example.com/t/item-1"
    with pytest.raises(ReplayedClickError) as replay:
        service.follow(token_for(2))

    assert replay.value.title_url == "https://watch.example.com/t/item-1"
    (event,) = recorder.events
    assert (event.event_type, event.item_id, event.source) == (CLICK, "item-1", "email")
    assert event.recommendation_id == "rec-1"
    assert event.impression == ("item-0", "item-1")


def test_a_click_that_could_not_be_recorded_can_be_followed_again() -> None:
    recorder, ledger = Recorder(fail=True), InMemoryEmailState(clock=lambda: NOW)
    with pytest.raises(ConnectionError):
        clicks(recorder, ledger).follow(token_for())
    recorder.fail = False
    assert clicks(recorder, ledger).follow(token_for())
    assert len(recorder.events) == 1


def test_wilson_intervals_match_published_values() -> None:
    # Newcombe (1998), Table I: 0/10 and 1/29, 95%.
    low, high = wilson_interval(0, 10, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.0, 0.2775)
    low, high = wilson_interval(1, 29, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.0061, 0.1718)


def test_a_positions_rate_counts_only_emails_that_had_that_position() -> None:
    sent = [SentEmail("a", "m1", 3, 0.0), SentEmail("b", "m2", 1, 0.0)]
    clicked = [Click("a", 1, 5.0), Click("a", 3, 9.0), Click("b", 1, 2.0), Click("x", 1, 1.0)]

    report = engagement_report(sent, clicked, 0.95)

    assert [(p, r.clicked, r.shown) for p, r in report.by_position] == [
        (1, 2, 2), (2, 0, 1), (3, 1, 1),
    ]  # fmt: skip
    assert [(m, r.clicked, r.shown) for m, r in report.by_model] == [("m1", 2, 3), ("m2", 1, 1)]
    assert report.delays_seconds == (2.0, 5.0, 9.0)
    assert report.clicks == 3  # the click on an email not sent is not counted


def test_a_review_from_the_shown_picks_carries_their_list() -> None:
    shown = [{"item_id": "50", "recommendation_id": "RID-1"}, {"item_id": "51"}]
    assert _list_of("50", shown) == "RID-1"
    assert _list_of("99", shown) is None


def test_a_click_in_the_training_data_never_outweighs_a_rating(tmp_path: object) -> None:
    from pathlib import Path

    folder = Path(str(tmp_path))
    (folder / "interactions.csv").write_text(
        "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n"
        "u1,a,100,RATING,2\n"
        "u1,a,200,CLICK,1\n"  # later, but a click: the rating of 2 (neutral) stands
        "u1,b,300,CLICK,1\n"  # a click alone: 0.5 of a top rating
        "u2,a,100,RATING,5\n"
        "u2,b,100,RATING,1\n"
        "u2,b,200,CLICK,1\n"  # later, but a click: the dislike stands
    )
    data = load_interactions(folder, click_weight=0.5)

    matrix = data.matrix(ConfidenceRule()).tocoo()
    weights = {
        (str(data.user_ids[u]), str(data.item_ids[i])): float(v)
        for u, i, v in zip(matrix.row, matrix.col, matrix.data, strict=True)
    }
    assert weights == pytest.approx(
        {("u1", "a"): float(SEEN), ("u1", "b"): 2.5, ("u2", "a"): 5.0, ("u2", "b"): -float(SEEN)}
    )


def test_claims_expiry_is_part_of_what_is_signed() -> None:
    claims = verify_click(token_for(), KEY, now=NOW)
    forged = sign_click(dataclasses.replace(claims, expires_at=int(time.time()) + 10**6), b"x")
    with pytest.raises(InvalidTokenError):
        verify_click(forged, KEY)
    assert isinstance(claims, ClickClaims)


def test_past_ratings_hold_every_source_the_latest_per_title_and_never_a_click_over_a_rating() -> (
    None
):
    from datetime import UTC, datetime

    from watchnext.domain.sentiment import Sentiment
    from watchnext.webapp.app import past_ratings_source

    def recorded(kind: str, item: str, value: float, source: str) -> InteractionEvent:
        return InteractionEvent(
            event_id=f"{item}-{kind}", user_id="v", item_id=item, event_type=kind,
            event_value=value, timestamp=datetime(2026, 1, 1, tzinfo=UTC), properties={},
            source=source,  # type: ignore[arg-type]
        )  # fmt: skip

    trained: dict[str, list[dict[str, object]]] = {
        "v": [{"item_id": "b", "rating": None, "at": 2}, {"item_id": "a", "rating": 4.0, "at": 1}]
    }
    events = [recorded("RATING", "a", 1.0, "api"), recorded(CLICK, "a", 1.0, "email"),
              recorded("RATING", "c", 2.0, "webapp")]  # fmt: skip
    past = past_ratings_source(trained, lambda _user: events, Sentiment())

    rows = [(r["item_id"], r["rating"], r["verdict"], r["source"]) for r in past("v")]

    assert rows == [
        ("c", "2", "neutral", "webapp"),
        ("a", "1", "disliked", "api"),  # re-rated 1 with the API; the later click hides nothing
        ("b", "", "clicked", "history"),  # a click in the training data is no rating
    ]


def test_the_report_counts_each_experiment_arms_links_and_clicks_by_pick() -> None:
    """Interleaving mixes arms in one email: a link counts for the arm that drafted it."""
    sent = [
        SentEmail("j1", None, 3, 0.0, "exp", ("als", "pop", "als")),
        SentEmail("j2", None, 2, 0.0, "exp", ("pop", "pop")),
        SentEmail("j3", "m", 2, 0.0),  # outside the experiment: in no arm
    ]
    clicks = [Click("j1", 1, 1.0), Click("j1", 3, 1.0), Click("j2", 2, 1.0), Click("j3", 1, 1.0)]

    report = engagement_report(sent, clicks)

    arms = {arm: (r.shown, r.clicked) for arm, r in report.by_arm}
    assert arms == {"exp/als": (2, 2), "exp/pop": (3, 1)}
    assert report.as_dict()["by_arm"][0]["arm"] == "exp/als"  # type: ignore[index]
