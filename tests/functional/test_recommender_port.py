"""The `Recommender` port's contract, over every implementation the review service meets:
the local model, the Personalize adapter (through the deployed review function's role, with
`PersonalizeDouble` behind the account's checks), and the test fake. Top n, rated titles
excluded, every newcomer the same popular titles, and a reason only from the viewer's own
history."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from tests.support.deployment import deployed, publish
from tests.support.fakes import FakeEventRecorder, FakeRecommender
from tests.support.personalize_double import PersonalizeDouble
from tests.support.service_rules import columns_of
from tests.support.stack import ACCOUNT, REGION, STAGE
from watchnext.adapters.aws.parameters import SsmParameters
from watchnext.adapters.aws.personalize import PersonalizeEventRecorder, PersonalizeRecommender
from watchnext.datasets.schemas import interactions_schema
from watchnext.domain.events import InteractionEvent
from watchnext.domain.sentiment import Sentiment
from watchnext.recommender import artifact
from watchnext.service.ports import Recommender

ITEMS = [f"A{i}" for i in range(15)] + [f"B{i}" for i in range(15)]


@dataclass
class Port:
    recommender: Recommender
    record: Callable[[InteractionEvent], None]


def rating(user: str, item: str) -> InteractionEvent:
    return InteractionEvent(
        event_id=f"{user}-{item}", user_id=user, item_id=item, event_type="RATING",
        event_value=5.0, timestamp=datetime.now(UTC), properties={},
    )  # fmt: skip


@pytest.fixture(params=["local", "personalize", "fake"])
def port(request: pytest.FixtureRequest, trained: Path) -> Iterator[Port]:
    if request.param == "local":
        model = artifact.load(trained)
        yield Port(model, model.record)
    elif request.param == "fake":
        recorder = FakeEventRecorder()
        yield Port(FakeRecommender(ranking=list(ITEMS), recorder=recorder), recorder.record)
    else:
        with deployed() as account:
            yield _personalize(account)


def _personalize(account: object) -> Port:
    from tests.support.aws_account import AwsAccount

    assert isinstance(account, AwsAccount)
    account.personalize.interaction_columns = columns_of(interactions_schema(has_verified=False))
    arn = f"arn:aws:personalize:{REGION}:{ACCOUNT}"
    publish(
        account, campaign_arn=f"{arn}:campaign/watchnext-{STAGE}-campaign",
        tracking_id="tracking-1", filter_arn=f"{arn}:filter/watchnext-{STAGE}-exclude",
        event_properties="[]",
    )  # fmt: skip
    double = PersonalizeDouble(list(ITEMS))
    account.answer_with("personalize-events", double.events)
    account.answer_with("personalize-runtime", double.runtime)
    with account.acting_as("ReviewFunction"):
        session = boto3.session.Session(region_name=REGION)
        events, runtime, ssm = (
            session.client("personalize-events"), session.client("personalize-runtime"),
            session.client("ssm"),
        )  # fmt: skip
    parameters = SsmParameters(
        f"/watchnext/{STAGE}", ssm, max_age_seconds=0, retry_after_seconds=30
    )
    recorder = PersonalizeEventRecorder(
        events, parameters, session_window_seconds=1800, retry_after_seconds=30,
        sentiment=Sentiment(),
    )  # fmt: skip
    return Port(
        PersonalizeRecommender(runtime, parameters, retry_after_seconds=30), recorder.record
    )


def test_at_most_n_distinct_picks_and_n_when_there_are_enough(port: Port) -> None:
    for n in (1, 5, 10):
        picks = port.recommender.recommend("a1", n).item_ids
        assert len(picks) == n
        assert len(set(picks)) == n


def test_a_rated_title_is_never_recommended_to_its_viewer(port: Port) -> None:
    first = port.recommender.recommend("a2", 5).item_ids
    port.record(rating("a2", first[0]))

    assert first[0] not in port.recommender.recommend("a2", 10).item_ids


def test_every_newcomer_gets_the_same_popular_titles(port: Port) -> None:
    one = port.recommender.recommend("newcomer-1", 5).item_ids
    other = port.recommender.recommend("newcomer-2", 5).item_ids

    assert one == other
    assert len(one) == 5


def test_a_reason_is_only_ever_a_title_the_viewer_rated(port: Port) -> None:
    port.record(rating("reasoned", "A1"))
    port.record(rating("reasoned", "A2"))

    picks = port.recommender.recommend("reasoned", 10).items

    assert {pick.because for pick in picks} <= {None, "A1", "A2"}
