"""Renders the Handlebars templates locally with pybars3, as SES would."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchnext.email.templates import EmailTemplate


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


class HandlebarsRenderer:
    """Compiles each part once; `render` is then cheap."""

    def __init__(self, template: EmailTemplate) -> None:
        from pybars import Compiler

        compiler = Compiler()
        self._subject = compiler.compile(template.subject)
        self._html = compiler.compile(template.html)
        self._text = compiler.compile(template.text)

    def render(self, data: dict[str, Any]) -> RenderedEmail:
        return RenderedEmail(
            subject=" ".join(str(self._subject(data)).split()),
            html=str(self._html(data)),
            text=str(self._text(data)),
        )
