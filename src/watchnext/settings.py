"""Every setting WatchNext reads from the environment, in one place, with local defaults.

`Settings` is a pydantic-settings model: each field is read from ``WATCHNEXT_<FIELD>``
(template.yaml sets them on the functions, and a test checks the names against it), and
validated as it is read. Explicit arguments beat the environment: build a `Settings`
directly in tests and tools.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from watchnext.domain.email import (
    DEFAULT_ADDRESS_LIMIT,
    DEFAULT_ADDRESS_WINDOW_SECONDS,
    DEFAULT_MAX_RECEIVE_COUNT,
    DEFAULT_SEND_CONCURRENCY,
    SEND_CLAIM_LEASE_SECONDS,
)
from watchnext.domain.events import DEFAULT_CLICK_WEIGHT
from watchnext.domain.sentiment import DEFAULT_DISLIKE_BELOW, DEFAULT_LIKE_AT, Sentiment
from watchnext.email.channels import check_channel
from watchnext.errors import WatchNextError

ENV_PREFIX = "WATCHNEXT_"

NOT_CONFIGURED = "NOT_CONFIGURED"
"""Placeholder value of an SSM parameter that the training pipeline has not published yet."""


class SettingsError(WatchNextError):
    """An environment variable is missing, or holds a value WatchNext cannot use."""


LOCAL_HOST = "127.0.0.1"
DEFAULT_API_PORT = 3000
DEFAULT_WEB_PORT = 8080
DEFAULT_SMTP_PORT = 1025
"""The local stack's ports when none is given: `watchnext demo`, `make demo` and the local
configuration all take them from here."""
LOCAL_SENDER = "WatchNext <picks@watchnext.local>"

AWS_ONLY = frozenset(
    {
        "parameter_path", "parameters_max_age_seconds", "email_queue_url",
        "idempotency_table", "email_state_table", "email_template_name",
        "ses_configuration_set", "pinpoint_application_id", "unsubscribe_secret",
        "catalog_table", "email_channel", "session_window_seconds", "dislike_demotion",
        "experiment_emails_table",
    }
)  # fmt: skip
"""Settings that name an AWS resource, or stand in for what Personalize cannot do (sessions,
dislikes): the local stack has no use for them. Every other one works on both backends."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True
    )

    # The review API
    parameter_path: str = Field("/watchnext/dev", description="SSM path of the pipeline's ARNs")
    parameters_max_age_seconds: int = Field(60, ge=0)
    num_results: int = Field(10, ge=1, le=500)
    email_queue_url: str | None = None
    idempotency_table: str | None = None
    idempotency_expiry_seconds: int = Field(3600, ge=1)
    session_window_seconds: int = Field(1800, ge=1)
    retry_after_seconds: int = Field(30, ge=0)
    cors_allowed_origins: Annotated[tuple[str, ...], NoDecode] = ()
    title_url_template: str | None = Field(
        None, description="Where a followed pick link leads, with {item_id}; none: a page"
    )
    like_threshold: float = Field(
        DEFAULT_LIKE_AT, ge=0, description="A rating at or above this is a like"
    )
    dislike_threshold: float = Field(
        DEFAULT_DISLIKE_BELOW,
        ge=0,
        description="A rating below this is a dislike (sent to Personalize as DISLIKE); "
        "between the two, a rating is neutral",
    )
    # The mailer
    email_channel: str = Field("ses", description="A name of watchnext.email.channels")
    email_sender: str | None = None
    email_template_name: str = "watchnext-recommendations"
    templates_dir: Path | None = Field(
        None,
        description="The email template's folder; unset: the Lambda layer, else the checkout's",
    )
    ses_configuration_set: str | None = None
    pinpoint_application_id: str | None = None
    email_state_table: str | None = None
    experiment_emails_table: str | None = Field(
        None, description="Where experiment emails and their clicks are kept, for the status"
    )
    email_cooldown_seconds: int = Field(0, ge=0)
    email_address_limit: int = Field(
        DEFAULT_ADDRESS_LIMIT, ge=0, description="Emails per address per window; 0: no limit"
    )
    email_address_window_seconds: int = Field(DEFAULT_ADDRESS_WINDOW_SECONDS, ge=60, le=86_400)
    email_send_concurrency: int = Field(
        DEFAULT_SEND_CONCURRENCY, ge=1, le=32, description="Emails one mailer sends at once"
    )
    unsubscribe_base_url: str = f"http://{LOCAL_HOST}:{DEFAULT_API_PORT}"
    unsubscribe_secret: str | None = None
    # The pipeline steps function
    catalog_table: str | None = Field(None, description="The DynamoDB table items load into")
    # Which adapters `watchnext invoke` builds; template.yaml sets "aws" on the functions
    backend: Literal["aws", "local"] = "aws"
    # The local stack (`watchnext demo`)
    data_dir: Path = Field(Path("data"), description="Datasets and the local state folder")
    artifact: Path = Field(Path("artifacts/als"), description="The trained model to serve")
    dataset: Path = Field(Path("data/ml100k"), description="The prepared dataset's titles")
    host: str = LOCAL_HOST
    api_port: int = Field(DEFAULT_API_PORT, ge=0, le=65_535, description="0: a free port")
    web_port: int | None = Field(DEFAULT_WEB_PORT, ge=0, le=65_535, description="None: no app")
    web_hosts: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="Host names the web app answers to besides the local ones"
    )
    smtp_host: str = LOCAL_HOST
    smtp_port: int = Field(DEFAULT_SMTP_PORT, ge=0, le=65_535)
    run_sink: bool = Field(True, description="Run the SMTP sink at smtp_host:smtp_port")
    api_key: str | None = Field(None, description="None: generated once, kept in the state")
    email_job_max_receive_count: int = Field(DEFAULT_MAX_RECEIVE_COUNT, ge=1, le=1000)
    send_claim_lease_seconds: float = Field(
        SEND_CLAIM_LEASE_SECONDS,
        ge=1,
        description="After a crash mid-send, how long until the email is sent again",
    )
    click_weight: float = Field(
        DEFAULT_CLICK_WEIGHT, ge=0, description="What a followed pick link weighs in the model"
    )

    @field_validator("email_channel")
    @classmethod
    def _a_channel(cls, name: str) -> str:
        return check_channel(name)

    @field_validator("parameter_path")
    @classmethod
    def _without_trailing_slash(cls, path: str) -> str:
        return path.rstrip("/")

    @field_validator("cors_allowed_origins", "web_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value

    dislike_demotion: float = Field(
        0.5,
        ge=0,
        description="After a dislike, how far picks that share the disliked title's genres "
        "are pushed down (Personalize cannot be told of a dislike); 0: not at all",
    )

    @property
    def sentiment(self) -> Sentiment:
        return Sentiment(like_at=self.like_threshold, dislike_below=self.dislike_threshold)

    @property
    def api_url(self) -> str:
        """The local review API."""
        return f"http://{self.host}:{self.api_port}"

    @property
    def web_url(self) -> str:
        """The local web app."""
        return f"http://{self.host}:{self.web_port}"

    @property
    def local_links_base_url(self) -> str:
        """Where the local stack's email links point: the local API unless one is set."""
        if "unsubscribe_base_url" in self.model_fields_set:
            return self.unsubscribe_base_url
        return self.api_url

    @property
    def local_title_url(self) -> str | None:
        """Where a followed pick link leads locally: the template if set, else the web app's
        title page (without a web app, a short page)."""
        if self.title_url_template or self.web_port is None:
            return self.title_url_template
        return f"{self.web_url}/titles/{{item_id}}"

    @field_validator("dislike_threshold")
    @classmethod
    def _a_dislike_is_below_a_like(cls, value: float, info: ValidationInfo) -> float:
        # A field's error names its variable; a model-level one has none to name.
        like = info.data.get("like_threshold")
        if like is not None and value > like:
            raise ValueError(f"must not be above the like threshold ({like:g})")
        return value

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """The settings in the environment, ``overrides`` first (a CLI's options), or one
        `SettingsError` naming every bad variable."""
        try:
            return cls(**overrides)  # type: ignore[arg-type]
        except ValidationError as error:
            problems = "; ".join(
                f"{env_name(str(detail['loc'][0]))} {detail['msg'].lower()}, got "
                f"{detail.get('input')!r}"
                for detail in error.errors()
            )
            raise SettingsError(problems) from None

    @classmethod
    def env_names(cls) -> frozenset[str]:
        return frozenset(env_name(field) for field in cls.model_fields)


def env_name(field: str) -> str:
    """The environment variable a setting is read from: ``num_results`` → WATCHNEXT_NUM_RESULTS."""
    return f"{ENV_PREFIX}{field.upper()}"


def require(value: str | None, field: str, why: str) -> str:
    """A setting this function cannot run without."""
    if not value:
        raise SettingsError(f"{env_name(field)} is not set: {why}.")
    return value
