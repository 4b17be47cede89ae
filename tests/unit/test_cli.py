"""`watchnext invoke` runs the Lambda handler in-process on the sample events."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.support import EVENTS
from tests.support.fakes import FakeCatalog, FakeEmailQueue, FakeEventRecorder, FakeRecommender
from watchnext.adapters.http.review_api import ReviewApi
from watchnext.bootstrap.aws import aws_review_api
from watchnext.bootstrap.lambda_init import BuiltAtInit
from watchnext.cli import app
from watchnext.entrypoints import api as api_module
from watchnext.service.review import ReviewService
from watchnext.settings import Settings

runner = CliRunner()


@pytest.fixture(autouse=True)
def fake_backed_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = FakeEventRecorder()
    service = ReviewService(
        recorder, FakeRecommender(recorder=recorder), FakeCatalog(), FakeEmailQueue()
    )
    monkeypatch.setattr(api_module, "api", BuiltAtInit.holding(ReviewApi(service)))


def last_json_document(output: str) -> dict[str, object]:
    start = output.rindex("\n{\n") + 1 if "\n{\n" in output else output.index("{")
    return dict(json.loads(output[start:]))


@pytest.mark.parametrize(
    ("event", "status"),
    [("review.json", 200), ("review-invalid.json", 422), ("recommendations.json", 200)],
)
def test_invoke_prints_the_handlers_response_for_each_sample_event(event: str, status: int) -> None:
    result = runner.invoke(app, ["invoke", str(EVENTS / event)])

    assert result.exit_code == 0, result.output
    assert last_json_document(result.stdout)["statusCode"] == status


def test_invoke_explains_a_missing_event_file() -> None:
    result = runner.invoke(app, ["invoke", "events/nope.json"])
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_invoke_explains_a_file_that_is_not_an_event(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "x.json"
    path.write_text('{"user_id": "1"}')
    result = runner.invoke(app, ["invoke", str(path)])
    assert result.exit_code == 2
    assert "not an API Gateway proxy event" in result.stderr


def test_invoke_without_aws_settings_says_which_variable_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("WATCHNEXT_EMAIL_QUEUE_URL", raising=False)
    monkeypatch.setattr(api_module, "api", BuiltAtInit(lambda: aws_review_api(Settings.from_env())))
    result = runner.invoke(app, ["invoke", str(EVENTS / "review.json")])
    assert result.exit_code == 2
    assert "WATCHNEXT_EMAIL_QUEUE_URL" in result.stderr
