from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.aws_world import AwsWorld, aws_world
from tests.support.models import write_clusters
from tests.support.pipeline_world import PipelineWorld, pipeline_world
from watchnext.recommender import artifact
from watchnext.recommender.data import load_interactions
from watchnext.recommender.models import LocalRecommender


@pytest.fixture
def aws() -> Iterator[AwsWorld]:
    with aws_world() as world:
        yield world


@pytest.fixture
def pipeline() -> Iterator[PipelineWorld]:
    """The state machines' surroundings in moto (see pipeline_world)."""
    with pipeline_world() as world:
        yield world


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small ALS artifact on two clusters of viewers, for the local stack's tests."""
    folder = tmp_path_factory.mktemp("model")
    data = load_interactions(write_clusters(folder / "data"))
    model = LocalRecommender.fit(data, "als", {"factors": 4, "iterations": 10})
    return artifact.save(model, folder / "als", data_checksum=data.checksum)
