"""Retention of local events: old ones move into the training data, and leave the store only
once a model trained on them is served, so no accepted review stops counting on the way."""

from __future__ import annotations

import csv
import time
from pathlib import Path

from typer.testing import CliRunner

from tests.support import ORIGINAL_REVIEW
from tests.support.local import config_for
from tests.support.models import write_clusters
from watchnext.bootstrap.local import local_components
from watchnext.cli import app
from watchnext.domain.events import interaction_from
from watchnext.domain.review import Review
from watchnext.recommender import artifact
from watchnext.recommender.data import dataset_checksum, load_interactions
from watchnext.recommender.models import LocalRecommender


def train(dataset: Path, folder: Path) -> Path:
    data = load_interactions(dataset)
    model = LocalRecommender.fit(data, "als", {"factors": 4, "iterations": 10})
    return artifact.save(model, folder, data_checksum=data.checksum)


def review(user: str, item: str, at: int) -> Review:
    return Review.model_validate(
        {**ORIGINAL_REVIEW, "user_id": user, "item_id": item, "timestamp": at}
    )


def test_compacted_events_stay_until_a_model_trained_on_them_is_served(tmp_path: Path) -> None:
    dataset = write_clusters(tmp_path / "data")
    before = dataset_checksum(dataset)
    config = config_for(tmp_path / "state", train(dataset, tmp_path / "old-model"))
    stack = local_components(config)
    for n, item in enumerate(("B1", "B2", "NEW-TITLE")):
        stack.events.record(interaction_from(review("a1", item, 1_700_000_000 + n)))

    compacted = stack.events.compact(dataset, recorded_before=time.time() + 1)
    again = stack.events.compact(dataset, recorded_before=time.time() + 1)
    stack.db.close()

    assert (compacted.events, compacted.appended, again.events) == (3, 3, 0)
    assert compacted.checksum == dataset_checksum(dataset) != before
    with (dataset / "interactions.csv").open() as rows:
        assert sum(1 for row in csv.DictReader(rows) if row["USER_ID"] == "a1") == 8 + 3

    served_old = local_components(config)  # trained before the compaction: still replayed
    assert served_old.events.count() == 3
    assert "B1" not in served_old.api.service.recommender.recommend("a1", 30).item_ids
    served_old.db.close()

    config = config.model_copy(update={"artifact": train(dataset, tmp_path / "new-model")})
    served_new = local_components(config)  # trained on them: the store lets them go
    assert served_new.events.count() == 0
    assert "B1" not in served_new.api.service.recommender.recommend("a1", 30).item_ids
    served_new.db.close()


def test_the_cli_compacts_and_says_what_to_do_next(tmp_path: Path) -> None:
    dataset = write_clusters(tmp_path / "data")
    missing = CliRunner().invoke(
        app, ["events", "compact", "--older-than-days", "30", "--data-dir", str(tmp_path)]
    )
    assert missing.exit_code == 2
    assert "no local events" in missing.output

    config = config_for(tmp_path, train(dataset, tmp_path / "model"))
    local_components(config).db.close()
    result = CliRunner().invoke(
        app,
        ["events", "compact", "--older-than-days", "30", "--data-dir", str(tmp_path),
         "--dataset", str(dataset)],
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "0 events older than 30 days" in result.output
