"""Email over real SMTP: `SmtpMailer` sends with smtplib; `SmtpSink` (aiosmtpd) is the local
stack's mail server, keeping what it receives in an `Outbox`."""

from __future__ import annotations

import asyncio
import email
import email.policy
import smtplib
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from watchnext.adapters.local.listeners import bound_port
from watchnext.adapters.local.outbox import Outbox
from watchnext.domain.email import DEFAULT_SEND_CONCURRENCY, EmailJob, EmailLinks
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import template_data
from watchnext.service.delivery import Send, send_pooled
from watchnext.service.ports import EmailDone
from watchnext.settings import DEFAULT_SMTP_PORT


@dataclass
class SmtpMailer:
    """`watchnext.service.ports.Mailer` over any SMTP server (the local sink by default)."""

    renderer: HandlebarsRenderer
    sender: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_SMTP_PORT
    timeout: float = 10.0
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    @property
    def sender_domain(self) -> str:
        return parseaddr(self.sender)[1].rpartition("@")[2] or "watchnext.local"

    def message(self, job: EmailJob, links: EmailLinks) -> EmailMessage:
        rendered = self.renderer.render(template_data(job, links))
        # Long lines rather than folding: List-Unsubscribe must stay a plain <URL>.
        message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
        message["From"] = self.sender
        message["To"] = str(job.email_address)
        message["Subject"] = rendered.subject
        message["List-Unsubscribe"] = f"<{links.unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message["X-WatchNext-Job"] = job.job_id
        # One Message-ID per job: a resend after a crash is the same message to the mailbox.
        message["Message-ID"] = f"<{job.job_id}@{self.sender_domain}>"
        message.set_content(rendered.text)
        message.add_alternative(rendered.html, subtype="html")
        return message

    connections: int = DEFAULT_SEND_CONCURRENCY
    """SMTP connections `send_all` keeps open at once, each sending its share in turn."""

    def send(self, job: EmailJob, links: EmailLinks) -> None:
        with self._connect() as server:
            server.send_message(self.message(job, links))

    def send_all(self, emails: Sequence[tuple[EmailJob, EmailLinks]], done: EmailDone) -> None:
        """Every email, over at most `connections` connections, each kept open for its
        share; a connection that breaks is opened again for the next email."""
        send_pooled(self._kept_connection, emails, done, self.connections)

    @contextmanager
    def _kept_connection(self) -> Iterator[Send]:
        server: smtplib.SMTP | None = None

        def send(job: EmailJob, links: EmailLinks) -> None:
            nonlocal server
            try:
                server = server or self._connect()
                server.send_message(self.message(job, links))
            except (smtplib.SMTPServerDisconnected, OSError):
                _closed(server)
                server = None  # the next email opens a fresh one
                raise

        try:
            yield send
        finally:
            _closed(server, quit=True)

    def _connect(self) -> smtplib.SMTP:
        server = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls:
                server.starttls()
            if self.username:
                server.login(self.username, self.password or "")
        except BaseException:
            server.close()
            raise
        return server


def _closed(server: smtplib.SMTP | None, *, quit: bool = False) -> None:
    """Close ``server`` (saying QUIT first when asked), whatever state it is in."""
    if server is None:
        return
    try:
        if quit:
            server.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        server.close()
    return


class _StoreHandler:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        # Stored (and fsynced) on a thread, so several connections' messages are stored at
        # once; the 250 goes out only once this message is kept.
        raw = envelope.original_content or envelope.content
        await asyncio.get_running_loop().run_in_executor(None, self.outbox.store, raw)
        return "250 Message accepted for delivery"


class SmtpSink:
    """A local SMTP server on a bound socket that stores what it receives in ``folder``.

    aiosmtpd's protocol on an asyncio loop of its own thread; the socket comes from
    `watchnext.adapters.local.listeners.listen`, so port 0 and a taken port are handled
    before this starts.
    """

    def __init__(self, folder: Path, listener: socket.socket) -> None:
        self.outbox = Outbox(folder)
        # Accepted connections inherit it: aiosmtpd writes a multi-line reply a line at a
        # time, and with Nagle's algorithm each EHLO then waited ~40 ms for a delayed ACK.
        listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._listener = listener
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="smtp-sink", daemon=True
        )
        self._server: asyncio.AbstractServer | None = None

    @property
    def port(self) -> int:
        return bound_port(self._listener)

    def start(self) -> None:
        from aiosmtpd.smtp import SMTP

        self.outbox.recover()
        self._thread.start()
        handler = _StoreHandler(self.outbox)
        serving = self._loop.create_server(lambda: SMTP(handler), sock=self._listener)
        self._server = asyncio.run_coroutine_threadsafe(serving, self._loop).result(timeout=10)

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(self._server), self._loop).result(10)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
        self._loop.close()
        self._listener.close()
        self.outbox.close()

    @staticmethod
    async def _close(server: asyncio.AbstractServer) -> None:
        server.close()
        await server.wait_closed()
