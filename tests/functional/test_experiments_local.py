"""An experiment on the running local stack, over HTTP: viewers review, get their email,
follow the picks they like; `status` names the winner; `promote` makes it the served model,
and the next review's picks come from it. Viewers never see an arm."""

from __future__ import annotations

import json
import random
import time
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from tests.support import ORIGINAL_REVIEW
from tests.support.local import config_for, running_stack
from tests.support.models import write_clusters
from watchnext.adapters.local.outbox import Outbox
from watchnext.cli import app
from watchnext.client.api import ReviewApiClient
from watchnext.client.simulate import PICK_LINK
from watchnext.domain.engagement import ClickModel
from watchnext.email.click_links import verify_click
from watchnext.entrypoints.local_stack import LocalStack
from watchnext.recommender import artifact
from watchnext.recommender.data import load_interactions
from watchnext.recommender.models import LocalRecommender
from watchnext.webapp.app import create_app

CLICKS = ClickModel(top=0.3, decay=0.8)


@pytest.fixture(scope="module")
def popularity(tmp_path_factory: pytest.TempPathFactory, trained: Path) -> Path:
    """A popularity model on the same data as ``trained`` (ALS)."""
    folder = tmp_path_factory.mktemp("popularity")
    data = load_interactions(write_clusters(folder / "data"))
    model = LocalRecommender.fit(data, "popularity", {})
    return artifact.save(model, folder / "popularity", data_checksum=data.checksum)


def post(stack: LocalStack, path: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        stack.settings.api_url + path, data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "x-api-key": "k"}, method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, object] = json.loads(response.read())
        return answer


def review(stack: LocalStack, viewer: str, item: str) -> dict[str, object]:
    return post(stack, "/reviews", {
        **ORIGINAL_REVIEW, "user_id": viewer, "item_id": item,
        "email_address": f"{viewer}@example.com", "timestamp": "2026-12-01T10:00:00Z",
    })  # fmt: skip


def follow_the_picks_they_like(stack: LocalStack, viewers: list[str], rng: random.Random) -> None:
    """Viewers of cluster A like titles A*: each such pick at position p is followed with
    probability CLICKS.rate(p)."""
    key = stack.state.unsubscribe_key.read_text().strip().encode()
    outbox, pending = Outbox(stack.state.outbox), {f"{v}@example.com" for v in viewers}
    client = ReviewApiClient(stack.settings.api_url, "k")
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        for email in outbox.page():
            if email.to not in pending:
                continue
            pending.discard(email.to)
            for link in PICK_LINK.findall(email.parts()[0]):
                claims = verify_click(unquote(link.rsplit("/r/", 1)[1]), key)
                if claims.item_id.startswith("A") and rng.random() < CLICKS.rate(claims.position):
                    assert client.follow(link) == 302
        time.sleep(0.1)
    assert not pending, f"no email for {sorted(pending)[:3]}"


def experiments_tab(stack: LocalStack) -> str:
    """The web app's Experiments tab as its callback answers it: the verdict line."""
    web = create_app(
        ReviewApiClient(stack.settings.api_url, "k"), [], stack.state.outbox,
        experiments=stack.experiments.latest_status,
    ).server  # fmt: skip
    payload = {
        "output": "..experiment-name.children...experiment-arms.data..."
        "experiment-verdict.children..",
        "outputs": [
            {"id": "experiment-name", "property": "children"},
            {"id": "experiment-arms", "property": "data"},
            {"id": "experiment-verdict", "property": "children"},
        ],
        "inputs": [
            {"id": "experiments-refresh", "property": "n_clicks", "value": None},
            {"id": "tabs", "property": "value", "value": "experiments"},
        ],
        "changedPropIds": ["tabs.value"],
        "state": [],
    }
    answer = web.test_client().post(
        "/_dash-update-component", json=payload, base_url="http://127.0.0.1"
    )
    assert answer.status_code == 200, answer.data
    shown = json.loads(answer.data)["response"]
    assert len(shown["experiment-arms"]["data"]) == 2
    return str(shown["experiment-verdict"]["children"]).lower()


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, ["experiment", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize("design", ["interleaving", "ab"])
def test_an_experiment_finds_the_better_model_and_promote_serves_it(
    tmp_path: Path, trained: Path, popularity: Path, design: str
) -> None:
    rng = random.Random(1)
    settings = config_for(tmp_path, popularity)  # popularity is served before the experiment
    with running_stack(settings) as stack:
        cli("start", "als-vs-pop", "--arm", f"pop={popularity}", "--arm", f"als={trained}",
            "--design", design, "--data-dir", str(tmp_path))  # fmt: skip
        status = ""
        for batch in range(20):
            viewers = [f"a{batch}-{n}" for n in range(20)]
            for viewer in viewers:
                answer = review(stack, viewer, "A1")
                assert "arm" not in json.dumps(answer)  # the viewer never sees an arm
            follow_the_picks_they_like(stack, viewers, rng)
            status = cli("status", "--data-dir", str(tmp_path))
            if "verdict: winner" in status:
                break

        assert "verdict: winner (als)" in status, status
        rows = {line.split()[0] for line in status.splitlines()[2:4]}
        assert rows == {"pop", "als"}  # a row of figures per arm
        assert "verdict: winner: als" in experiments_tab(stack)
        by_arm = dict(stack.engagement.report(0.95).by_arm)
        assert set(by_arm) == {"als-vs-pop/pop", "als-vs-pop/als"}
        assert by_arm["als-vs-pop/als"].value > by_arm["als-vs-pop/pop"].value
        cli("promote", "als-vs-pop", "--data-dir", str(tmp_path))

        answer = review(stack, "after-promotion", "A1")
        picks = [str(r["item_id"]) for r in answer["recommendations"]]  # type: ignore[attr-defined]
        als = artifact.load(trained)
        als.record(
            next(iter(stack.events.events_of("after-promotion")))  # the review just made
        )
        assert picks == als.recommend("after-promotion", len(picks)).item_ids


def test_experiment_commands_say_what_to_change(
    tmp_path: Path, trained: Path, popularity: Path
) -> None:
    with running_stack(config_for(tmp_path, trained)):
        pass  # the state folder and its database exist from here on
    runner, where = CliRunner(), ["--data-dir", str(tmp_path)]

    def run(*args: str) -> str:
        result = runner.invoke(app, ["experiment", *args, *where])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        return result.stderr.strip()

    assert "--arm takes NAME=ARTIFACT" in run("start", "x", "--arm", "als", "--arm", "b=c")
    assert "not a model artifact" in run(
        "start", "x", "--arm", f"a={trained}", "--arm", f"b={tmp_path}"
    )
    assert "--design is ab or interleaving" in run(
        "start", "x", "--arm", f"a={trained}", "--arm", f"b={popularity}", "--design", "bandit"
    )
    cli("start", "first", "--arm", f"a={trained}", "--arm", f"b={popularity}", *where)
    assert "experiment 'first' is running: stop it first" in run(
        "start", "second", "--arm", f"a={trained}", "--arm", f"b={popularity}"
    )
    assert "has no winner (not yet): wait, or choose with --arm ARM" in run("promote", "first")
    assert "no experiment 'nope'; there are: first" in run("status", "nope")
