"""The embedded default: the whole product on one machine, no AWS account.

`watchnext.bootstrap.local.local_components` wires the review API and the mailer to local
adapters. This module serves them: it binds the ports first (0 picks a free one), then runs
the gateway, the web app, the SMTP sink and the mail worker until stopped.
"""

from __future__ import annotations

import os
import socket
import threading
from dataclasses import dataclass, field, fields
from typing import Any

from watchnext.adapters.local.listeners import bound_port, listen
from watchnext.adapters.local.running import DemoLock, RunningDemo
from watchnext.adapters.local.smtp import SmtpSink
from watchnext.adapters.local.state_folder import StateFolder
from watchnext.bootstrap.local import LocalComponents, local_components
from watchnext.entrypoints.gateway import LocalGateway
from watchnext.settings import Settings


@dataclass
class LocalStack(LocalComponents):
    sink: SmtpSink | None = None
    listeners: dict[str, socket.socket] = field(default_factory=dict, repr=False)
    _servers: list[Any] = field(default_factory=list, repr=False)
    _lock: DemoLock | None = field(default=None, repr=False)

    def start(self) -> None:
        if self.sink is not None:
            self.sink.start()
        self.worker.start()
        self._serve("api", LocalGateway(self.api, self.api_key, in_flight=self.in_flight))
        if "web" in self.listeners:
            from watchnext.client.api import ReviewApiClient
            from watchnext.webapp.app import (
                LOCAL_HOSTS,
                create_app,
                load_catalog,
                load_past_ratings,
                past_ratings_source,
            )

            past = past_ratings_source(
                load_past_ratings(self.settings.dataset), self.events.events_of, self.sentiment
            )
            web = create_app(
                ReviewApiClient(self.settings.api_url, self.api_key),
                load_catalog(self.settings.dataset),
                self.state.outbox,
                allowed_hosts=LOCAL_HOSTS | {self.settings.host, *self.settings.web_hosts},
                past_ratings=past,
                engagement=self.engagement.report,
                experiments=self.experiments.latest_status,
            )
            self._serve("web", web.server)

    def _serve(self, name: str, app: Any) -> None:
        """A waitress server (production WSGI, 8 threads) on its own thread."""
        from waitress import create_server

        listener = self.listeners.pop(name)
        listener.setblocking(True)
        server = create_server(app, sockets=[listener], threads=8, ident="watchnext")
        self._servers.append(server)
        threading.Thread(target=server.run, name=name, daemon=True).start()

    def stop(self) -> None:
        for server in self._servers:
            server.close()
        _close(self.listeners)  # bound, never served
        self.worker.stop()
        if self.sink is not None:
            self.sink.stop()
        self.db.close()
        if self._lock is not None:
            self._lock.release()


def build_local_stack(settings: Settings) -> LocalStack:
    """Bind the ports, take the state folder, load the model, replay every stored event into
    it, wire the adapters.

    The returned stack's settings carry the ports actually bound; `start` serves them. The
    state folder is the stack's until `stop` (`StateFolderInUseError` if another stack holds
    it, before anything in it is opened).
    """
    listeners = _bind(settings)
    state = StateFolder.of(settings.data_dir)
    lock = DemoLock(state.root)
    try:
        settings = settings.model_copy(
            update={
                "api_port": bound_port(listeners["api"]),
                "web_port": bound_port(listeners["web"]) if "web" in listeners else None,
                "smtp_port": (
                    bound_port(listeners["smtp"]) if "smtp" in listeners else settings.smtp_port
                ),
            }
        )
        web_url = settings.web_url if settings.web_port is not None else None
        lock.acquire(RunningDemo(settings.api_url, web_url, os.getpid()))
        components = local_components(settings)
    except BaseException:
        lock.release()
        _close(listeners)
        raise
    smtp = listeners.pop("smtp", None)
    return LocalStack(
        **{part.name: getattr(components, part.name) for part in fields(components)},
        sink=SmtpSink(state.outbox, smtp) if smtp is not None else None,
        listeners=listeners,
        _lock=lock,
    )


def _bind(settings: Settings) -> dict[str, socket.socket]:
    wanted = {"api": (settings.host, settings.api_port)}
    if settings.web_port is not None:
        wanted["web"] = (settings.host, settings.web_port)
    if settings.run_sink:
        wanted["smtp"] = (settings.smtp_host, settings.smtp_port)
    bound: dict[str, socket.socket] = {}
    try:
        for server, (host, port) in wanted.items():
            bound[server] = listen(server, host, port)
    except BaseException:
        _close(bound)
        raise
    return bound


def _close(listeners: dict[str, socket.socket]) -> None:
    for listener in listeners.values():
        listener.close()
