from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.aws_world import AwsWorld, aws_world
from tests.functional.pipeline_world import PipelineWorld, pipeline_world


@pytest.fixture
def aws() -> Iterator[AwsWorld]:
    with aws_world() as world:
        yield world


@pytest.fixture
def pipeline(monkeypatch: pytest.MonkeyPatch) -> Iterator[PipelineWorld]:
    """The state machines' surroundings in moto (see pipeline_world)."""
    with pipeline_world(monkeypatch) as world:
        yield world
