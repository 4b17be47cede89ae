"""The local model kinds; a module of its own so the CLI can check names without NumPy."""

from __future__ import annotations

from typing import Literal

ModelKind = Literal["popularity", "als", "bpr", "itemknn", "ease"]
MODEL_KINDS: tuple[ModelKind, ...] = ("popularity", "als", "bpr", "itemknn", "ease")
