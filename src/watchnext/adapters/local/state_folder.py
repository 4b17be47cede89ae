"""The local stack's state folder, laid out once: the bootstrap, the running stack and every
CLI command that reads it use these paths."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FOLDER_NAME = "local"


@dataclass(frozen=True)
class StateFolder:
    root: Path

    @classmethod
    def of(cls, data_dir: Path) -> StateFolder:
        """The state folder of a data folder (``DATA_DIR/local``)."""
        return cls(data_dir / FOLDER_NAME)

    @property
    def database(self) -> Path:
        """Events, the mail queue and its dead letters, email state, idempotency records."""
        return self.root / "watchnext.db"

    @property
    def api_key(self) -> Path:
        return self.root / "api-key"

    @property
    def unsubscribe_key(self) -> Path:
        return self.root / "unsubscribe.key"

    @property
    def outbox(self) -> Path:
        """What the SMTP sink received."""
        return self.root / "outbox"

    @property
    def lock(self) -> Path:
        """Held by the running stack (`watchnext.adapters.local.running`)."""
        return self.root / "demo.lock"

    @property
    def running(self) -> Path:
        """The running stack's URLs."""
        return self.root / "running.json"
