"""Email over real SMTP: `SmtpMailer` sends with smtplib; `SmtpSink` (aiosmtpd) is the local
stack's mail server, keeping every message it receives as an .eml file."""

from __future__ import annotations

import email
import email.policy
import os
import smtplib
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from watchnext.adapters.local.sqlite import private_folder
from watchnext.domain.email import EmailJob
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import template_data


@dataclass
class SmtpMailer:
    """`watchnext.email.ports.Mailer` over any SMTP server (the local sink by default)."""

    renderer: HandlebarsRenderer
    sender: str
    host: str = "127.0.0.1"
    port: int = 1025
    timeout: float = 10.0
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    def message(self, job: EmailJob, unsubscribe_url: str) -> EmailMessage:
        rendered = self.renderer.render(template_data(job, unsubscribe_url))
        # Long lines rather than folding: List-Unsubscribe must stay a plain <URL>.
        message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
        message["From"] = self.sender
        message["To"] = str(job.email_address)
        message["Subject"] = rendered.subject
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["X-WatchNext-Job"] = job.job_id
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, job: EmailJob, unsubscribe_url: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
            server.send_message(self.message(job, unsubscribe_url))


class _StoreHandler:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        name = f"{time.time_ns()}.eml"
        partial = self.folder / f".{name}.partial"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(envelope.original_content or envelope.content)
        partial.replace(self.folder / name)  # a reader never sees half a message
        return "250 Message accepted for delivery"


class SmtpSink:
    """A local SMTP server on ``host:port`` that stores what it receives in ``folder``."""

    def __init__(self, folder: Path, host: str = "127.0.0.1", port: int = 1025) -> None:
        from aiosmtpd.controller import Controller

        self.folder = private_folder(folder)
        self._controller = Controller(_StoreHandler(folder), hostname=host, port=port)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@dataclass(frozen=True)
class StoredEmail:
    path: Path
    subject: str
    to: str
    job_id: str
    received_at: float

    def parts(self) -> tuple[str, str]:
        """(text, html) of the stored message."""
        message = email.message_from_bytes(self.path.read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
        return (
            text.get_content() if text else "",
            html.get_content() if html else "",
        )


def outbox(folder: Path) -> list[StoredEmail]:
    """Every message the sink stored, newest first."""
    stored = []
    for path in sorted(folder.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        stored.append(
            StoredEmail(
                path=path,
                subject=str(message["Subject"] or ""),
                to=str(message["To"] or ""),
                job_id=str(message["X-WatchNext-Job"] or "").strip(),
                received_at=int(path.stem) / 1e9,
            )
        )
    return stored
