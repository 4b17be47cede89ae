"""The local stack's state is its user's alone on a shared machine, and its API key gives
nothing away through timing."""

from __future__ import annotations

import hmac
import smtplib
import stat
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from wsgiref.util import setup_testing_defaults

import pytest

from tests.support.local import config_for, state_of
from watchnext.bootstrap.local import local_components
from watchnext.entrypoints import gateway
from watchnext.entrypoints.local_stack import build_local_stack


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_state_keys_and_emails_are_readable_by_their_owner_only(
    tmp_path: Path, trained: Path
) -> None:
    config = config_for(tmp_path, trained)
    stack = build_local_stack(config)
    stack.start()
    try:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@b.co", "c@d.co", "picks"
        message.set_content("hello")
        with smtplib.SMTP("127.0.0.1", stack.settings.smtp_port, timeout=5) as smtp:
            smtp.send_message(message)
        deadline = time.monotonic() + 5
        while not list(state_of(config).outbox.glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stack.stop()

    [stored] = state_of(config).outbox.glob("*.eml")
    assert mode(state_of(config).root) == 0o700
    assert mode(state_of(config).outbox) == 0o700
    assert mode(state_of(config).root / "watchnext.db") == 0o600
    assert mode(state_of(config).root / "unsubscribe.key") == 0o600
    assert mode(stored) == 0o600


def test_the_api_key_is_compared_in_constant_time(
    tmp_path: Path, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[Any, Any]] = []
    real = hmac.compare_digest

    def spy(given: Any, expected: Any) -> bool:
        compared.append((given, expected))
        return bool(real(given, expected))

    monkeypatch.setattr(hmac, "compare_digest", spy)
    stack = local_components(config_for(tmp_path, trained))
    api = gateway.LocalGateway(stack.api, "the-key")
    statuses: list[str] = []
    try:
        for key in ("the-kez", "the-key"):
            environ: dict[str, Any] = {"HTTP_X_API_KEY": key}
            setup_testing_defaults(environ)
            environ["PATH_INFO"] = "/users/u1/recommendations"
            api(environ, lambda status, _headers: statuses.append(status))
    finally:
        stack.db.close()

    assert compared == [(b"the-kez", b"the-key"), (b"the-key", b"the-key")]
    assert statuses[0].startswith("403")
    assert not statuses[1].startswith("403")
