from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.functional.aws_world import AwsWorld, aws_world


@pytest.fixture
def aws() -> Iterator[AwsWorld]:
    with aws_world() as world:
        yield world
