"""One settings object on both backends: a WATCHNEXT_* variable that means something on a
laptop changes the local stack as it changes the deployed functions."""

from __future__ import annotations

import email
import email.policy
import json
import re
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.support import ORIGINAL_REVIEW
from tests.support.local import running_stack
from watchnext.adapters.local.outbox import outbox
from watchnext.bootstrap.local import local_components
from watchnext.cli import app
from watchnext.recommender import artifact
from watchnext.settings import AWS_ONLY, Settings, SettingsError

EVENTS = Path(__file__).parents[2] / "events"


def _post(url: str, body: dict[str, object], origin: str) -> tuple[int, dict[str, str], object]:
    request = urllib.request.Request(
        url + "/reviews",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "x-api-key": "k", "Origin": origin},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, dict(response.headers), json.loads(response.read())


def test_the_environment_configures_the_local_stack(
    tmp_path: Path, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "WATCHNEXT_DATA_DIR": str(tmp_path),
        "WATCHNEXT_ARTIFACT": str(trained),
        "WATCHNEXT_API_PORT": "0",
        "WATCHNEXT_SMTP_PORT": "0",
        "WATCHNEXT_API_KEY": "k",
        "WATCHNEXT_NUM_RESULTS": "3",
        "WATCHNEXT_EMAIL_SENDER": "Picks <picks@example.org>",
        "WATCHNEXT_UNSUBSCRIBE_BASE_URL": "https://watchnext.example.org",
        "WATCHNEXT_CORS_ALLOWED_ORIGINS": "https://app.example.org",
    }.items():
        monkeypatch.setenv(name, value)
    settings = Settings.from_env(web_port=None)  # an option beats its variable

    with running_stack(settings) as stack:
        status, headers, body = _post(
            stack.settings.api_url, {**ORIGINAL_REVIEW, "item_id": "B3"}, "https://app.example.org"
        )
        deadline = time.monotonic() + 10
        while not outbox(stack.state.outbox) and time.monotonic() < deadline:
            time.sleep(0.1)
        (mail,) = outbox(stack.state.outbox)

    assert status == 200
    assert len(body["recommendations"]) == 3  # type: ignore[index]
    assert headers["Access-Control-Allow-Origin"] == "https://app.example.org"
    message = email.message_from_bytes(mail.path.read_bytes(), policy=email.policy.default)
    assert message["From"] == "Picks <picks@example.org>"
    text, _ = mail.parts()
    assert re.search(r"https://watchnext\.example\.org/unsubscribe\?token=\S+", text)


def test_without_a_links_url_the_local_emails_link_to_the_local_api() -> None:
    settings = Settings(host="127.0.0.2", api_port=0, web_port=0)  # no server: URLs only
    assert settings.local_links_base_url == "http://127.0.0.2:0"
    assert settings.local_title_url == "http://127.0.0.2:0/titles/{item_id}"
    assert Settings(web_port=None).local_title_url is None
    assert Settings(title_url_template="https://t.example/{item_id}").local_title_url == (
        "https://t.example/{item_id}"
    )


def test_a_like_threshold_the_model_was_not_trained_with_is_refused(
    tmp_path: Path, trained: Path
) -> None:
    like_at = artifact.load(trained).rule.sentiment.like_at
    with pytest.raises(
        SettingsError, match=rf"WATCHNEXT_LIKE_THRESHOLD={like_at + 0.5:g}, .* trained with"
    ):
        local_components(
            Settings(data_dir=tmp_path, artifact=trained, like_threshold=like_at + 0.5)
        )
    agreeing = Settings(data_dir=tmp_path, artifact=trained, like_threshold=like_at)
    local_components(agreeing).db.close()


def test_invoke_takes_its_backend_and_state_from_the_environment(
    tmp_path: Path, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHNEXT_BACKEND", "local")
    monkeypatch.setenv("WATCHNEXT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WATCHNEXT_ARTIFACT", str(trained))
    monkeypatch.delenv("WATCHNEXT_EMAIL_QUEUE_URL", raising=False)  # AWS would need it

    result = CliRunner().invoke(app, ["invoke", str(EVENTS / "recommendations.json")])

    assert result.exit_code == 0, result.output
    response = json.loads(result.stdout)
    assert response["statusCode"] == 200
    assert len(response["body"]["recommendations"]) == 5  # the event's n


def test_every_setting_either_configures_the_local_stack_or_names_an_aws_resource() -> None:
    source = "\n".join(
        (Path(__file__).parents[2] / "src/watchnext" / module).read_text()
        for module in ("bootstrap/local.py", "entrypoints/local_stack.py", "settings.py")
    )
    fields = set(Settings.model_fields)
    read_locally = {field for field in fields if re.search(rf"(settings|self)\.{field}\b", source)}
    read_locally |= {"like_threshold", "dislike_threshold"}  # checked against the model
    read_locally |= {"backend"}  # `watchnext invoke` picks the adapters by it
    unread = fields - read_locally - AWS_ONLY
    assert not unread, f"add to bootstrap.local, or to settings.AWS_ONLY: {sorted(unread)}"
    assert not AWS_ONLY - fields
