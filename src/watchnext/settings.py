"""Every environment variable WatchNext reads, in one place, with local-development defaults.

Explicit arguments beat the environment: build a `Settings` directly in tests and tools.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from watchnext.errors import WatchNextError

PARAMETER_PATH = "WATCHNEXT_PARAMETER_PATH"
PARAMETERS_MAX_AGE_SECONDS = "WATCHNEXT_PARAMETERS_MAX_AGE_SECONDS"
NUM_RESULTS = "WATCHNEXT_NUM_RESULTS"
EMAIL_QUEUE_URL = "WATCHNEXT_EMAIL_QUEUE_URL"
IDEMPOTENCY_TABLE = "WATCHNEXT_IDEMPOTENCY_TABLE"
IDEMPOTENCY_EXPIRY_SECONDS = "WATCHNEXT_IDEMPOTENCY_EXPIRY_SECONDS"
SESSION_WINDOW_SECONDS = "WATCHNEXT_SESSION_WINDOW_SECONDS"
RETRY_AFTER_SECONDS = "WATCHNEXT_RETRY_AFTER_SECONDS"
CORS_ALLOWED_ORIGINS = "WATCHNEXT_CORS_ALLOWED_ORIGINS"
EMAIL_CHANNEL = "WATCHNEXT_EMAIL_CHANNEL"
EMAIL_SENDER = "WATCHNEXT_EMAIL_SENDER"
EMAIL_TEMPLATE_NAME = "WATCHNEXT_EMAIL_TEMPLATE_NAME"
SES_CONFIGURATION_SET = "WATCHNEXT_SES_CONFIGURATION_SET"
PINPOINT_APPLICATION_ID = "WATCHNEXT_PINPOINT_APPLICATION_ID"
EMAIL_STATE_TABLE = "WATCHNEXT_EMAIL_STATE_TABLE"
EMAIL_COOLDOWN_SECONDS = "EMAIL_COOLDOWN_SECONDS"  # the name the issue and the docs use
UNSUBSCRIBE_BASE_URL = "WATCHNEXT_UNSUBSCRIBE_BASE_URL"
CATALOG_TABLE = "WATCHNEXT_CATALOG_TABLE"  # the pipeline steps Lambda loads items into it
UNSUBSCRIBE_SECRET = "WATCHNEXT_UNSUBSCRIBE_SECRET"  # noqa: S105 - a variable name, not a secret

NOT_CONFIGURED = "NOT_CONFIGURED"
"""Placeholder value of an SSM parameter that the training pipeline has not published yet."""


class SettingsError(WatchNextError):
    """An environment variable holds a value WatchNext cannot use."""


@dataclass(frozen=True, slots=True)
class Settings:
    parameter_path: str = "/watchnext/dev"
    parameters_max_age_seconds: int = 60
    num_results: int = 10
    email_queue_url: str | None = None
    idempotency_table: str | None = None
    idempotency_expiry_seconds: int = 3600
    session_window_seconds: int = 1800
    retry_after_seconds: int = 30
    cors_allowed_origins: tuple[str, ...] = ()
    email_channel: str = "ses"
    email_sender: str | None = None
    email_template_name: str = "watchnext-recommendations"
    ses_configuration_set: str | None = None
    pinpoint_application_id: str | None = None
    email_state_table: str | None = None
    email_cooldown_seconds: int = 0
    unsubscribe_base_url: str = "http://127.0.0.1:3000"
    unsubscribe_secret: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        defaults = cls()
        return cls(
            parameter_path=env.get(PARAMETER_PATH, defaults.parameter_path).rstrip("/"),
            parameters_max_age_seconds=_int(
                env, PARAMETERS_MAX_AGE_SECONDS, defaults.parameters_max_age_seconds
            ),
            num_results=_int(env, NUM_RESULTS, defaults.num_results, low=1, high=500),
            email_queue_url=env.get(EMAIL_QUEUE_URL) or None,
            idempotency_table=env.get(IDEMPOTENCY_TABLE) or None,
            idempotency_expiry_seconds=_int(
                env, IDEMPOTENCY_EXPIRY_SECONDS, defaults.idempotency_expiry_seconds, low=1
            ),
            session_window_seconds=_int(
                env, SESSION_WINDOW_SECONDS, defaults.session_window_seconds, low=1
            ),
            retry_after_seconds=_int(env, RETRY_AFTER_SECONDS, defaults.retry_after_seconds),
            cors_allowed_origins=tuple(
                origin.strip()
                for origin in env.get(CORS_ALLOWED_ORIGINS, "").split(",")
                if origin.strip()
            ),
            email_channel=_choice(env, EMAIL_CHANNEL, defaults.email_channel, ("ses", "pinpoint")),
            email_sender=env.get(EMAIL_SENDER) or None,
            email_template_name=env.get(EMAIL_TEMPLATE_NAME) or defaults.email_template_name,
            ses_configuration_set=env.get(SES_CONFIGURATION_SET) or None,
            pinpoint_application_id=env.get(PINPOINT_APPLICATION_ID) or None,
            email_state_table=env.get(EMAIL_STATE_TABLE) or None,
            email_cooldown_seconds=_int(env, EMAIL_COOLDOWN_SECONDS, 0),
            unsubscribe_base_url=env.get(UNSUBSCRIBE_BASE_URL) or defaults.unsubscribe_base_url,
            unsubscribe_secret=env.get(UNSUBSCRIBE_SECRET) or None,
        )


def _choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name) or default
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, low: int = 0, high: int = 10**9) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value
