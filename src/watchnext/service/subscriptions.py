"""The unsubscribe link's use case: confirm, opt out, opt back in, by the signed token."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from watchnext.domain.email import Recipient
from watchnext.email.unsubscribe import verify
from watchnext.service.ports import OptOutStore


@dataclass(frozen=True)
class Subscriptions:
    store: OptOutStore
    signing_key: Callable[[], bytes]

    def recipient(self, token: str) -> Recipient:
        """Whom the token names; `InvalidTokenError` if it is malformed, forged or expired."""
        return verify(token, self.signing_key())

    def unsubscribe(self, token: str) -> Recipient:
        recipient = self.recipient(token)
        self.store.opt_out(recipient)
        return recipient

    def resubscribe(self, token: str) -> Recipient:
        recipient = self.recipient(token)
        self.store.opt_in(recipient)
        return recipient
