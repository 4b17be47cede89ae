"""What a Lambda handler builds at init: built then, clients included, so a SnapStart
snapshot holds it; when the function's settings were missing at init, built again on the
first request, which then fails naming the missing setting (`SettingsError`)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Generic, TypeVar

from watchnext.settings import SettingsError

T = TypeVar("T")


class BuiltAtInit(Generic[T]):
    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None
        with suppress(SettingsError):  # the first request builds again, naming what is missing
            self._value = build()

    @classmethod
    def holding(cls, value: T) -> BuiltAtInit[T]:
        """One that holds ``value`` already (tests put their own wiring in a handler)."""
        built = cls.__new__(cls)
        built._build, built._value = (lambda: value), value
        return built

    def get(self) -> T:
        if self._value is None:
            self._value = self._build()
        return self._value
