"""Every web-app callback's inputs, typed and bounded.

Dash calls a callback with whatever the browser posts to ``/_dash-update-component``; a crafted
post once got 500s (a page of 10¹⁹, a list for a count, a row that is not there) and made the
app post any text as an item id. Each callback is wrapped in `typed`: its parameters'
annotations are checked with pydantic before it runs, and a value outside them is a 400 that
names the input. The callback then runs with the values as sent.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Annotated, Any, NotRequired, TypeVar, get_type_hints

from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from watchnext.errors import WatchNextError

MAX_LIST = 500
"""The longest list a callback takes (a recommendations list is at most 500 picks)."""

Text = Annotated[str, StringConstraints(max_length=1024)] | None
"""What a viewer types: the API validates it further and answers with a message."""
ItemId = Annotated[str, StringConstraints(min_length=1, max_length=256)]
Count = Annotated[int, Field(ge=0, le=2**31)] | None
Page = Annotated[int, Field(ge=0, le=100_000)] | None
Stars = Annotated[int, Field(ge=1, le=5)]
Positions = Annotated[list[Annotated[int, Field(ge=0, le=100_000)]], Field(max_length=1)] | None
SelectedIds = Annotated[list[ItemId], Field(max_length=1)] | None


class PickRow(TypedDict):
    """A recommendations table row, as the app made it (`_recommendation_rows`)."""

    item_id: ItemId
    title: Annotated[str, StringConstraints(max_length=1024)]
    recommendation_id: NotRequired[Annotated[str, StringConstraints(max_length=40)] | None]


class OutboxRow(TypedDict):
    id: NotRequired[Annotated[str, StringConstraints(max_length=64)]]


PickRows = Annotated[list[PickRow], Field(max_length=MAX_LIST)] | None
OutboxRows = Annotated[list[OutboxRow], Field(max_length=MAX_LIST)] | None

_STRICT_TYPES = ConfigDict(strict=True)
F = TypeVar("F", bound=Callable[..., Any])


class CallbackInputError(WatchNextError, ValueError):
    """A callback input outside its type; answered 400 (`watchnext.webapp.app`)."""


def typed(callback: F) -> F:
    hints = get_type_hints(callback, include_extras=True)
    names = list(inspect.signature(callback).parameters)
    checks = {
        name: TypeAdapter(hints[name], config=_STRICT_TYPES) for name in names if name in hints
    }

    @functools.wraps(callback)
    def checked(*args: Any) -> Any:
        for name, value in zip(names, args, strict=False):
            check = checks.get(name)
            if check is None:
                continue
            try:
                check.validate_python(value)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first["loc"])
                raise CallbackInputError(
                    f"{callback.__name__}: input {name}{'.' + where if where else ''}: "
                    f"{first['msg']}"
                ) from None
        return callback(*args)

    return checked  # type: ignore[return-value]
