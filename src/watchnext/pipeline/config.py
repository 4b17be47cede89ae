"""The training pipeline's config: execution input, or ``config.json`` under the data prefix.

Field names are camelCase, as in the state machine. Its first step (a Lambda, because ASL
cannot validate a document, and a JSON parse error inside ASL is an uncatchable States.Runtime)
turns whatever started the run into a complete, checked config with `resolve_config`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel

from watchnext.domain.events import CLICK, DEFAULT_CLICK_WEIGHT
from watchnext.domain.review import EventType
from watchnext.domain.sentiment import DEFAULT_LIKE_AT, DISLIKE
from watchnext.pipeline.errors import PipelineError

# GetSolutionMetrics' names (a test keeps them equal to watchnext.recommender.metrics').
SelectionMetric = Literal[
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
]


class _Model(BaseModel):
    # Python names in snake_case; the JSON the state machine reads in camelCase.
    model_config = ConfigDict(
        extra="forbid", frozen=True, alias_generator=to_camel, populate_by_name=True
    )


class SolutionSpec(_Model):
    """One Personalize solution: a recipe, optionally with HPO and a solution config."""

    # Becomes part of resource names (`watchnext-<stage>-<name>-<run id>` ≤ 63 characters).
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,23}$")
    recipe_arn: str = Field(pattern=r"^arn:aws[a-z-]*:personalize:::recipe/[A-Za-z0-9-]+$")
    perform_hpo: bool = Field(default=False, alias="performHPO")
    solution_config: dict[str, Any] = Field(default_factory=dict)


UPDATE_RECIPES = frozenset(
    {
        "arn:aws:personalize:::recipe/aws-user-personalization",
        "arn:aws:personalize:::recipe/aws-hrnn-coldstart",
    }
)
"""The only recipes whose solutions accept ``trainingMode`` UPDATE (CreateSolutionVersion's
API reference); the others, User-Personalization-v2 and Popularity-Count among them, refuse
it. User-Personalization-v2 updates itself about every two hours instead."""

EVENTS_CONFIG_RECIPES = frozenset(
    {
        "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        "arn:aws:personalize:::recipe/aws-personalized-ranking-v2",
    }
)
"""The recipes whose solutions take an events configuration (event types and their weights;
"Optimizing a solution with events configuration" in the developer guide)."""

THRESHOLD_RECIPES = frozenset({"arn:aws:personalize:::recipe/aws-user-personalization"})
"""The recipe whose solution config takes one ``eventValueThreshold`` for every event type
(SolutionConfig in botocore's model; the v2 recipes take it per type in EventsConfig)."""

DEFAULT_SOLUTIONS = (
    SolutionSpec(
        name="user-personalization-v2",
        recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization-v2",
    ),
    SolutionSpec(
        name="popularity-count", recipe_arn="arn:aws:personalize:::recipe/aws-popularity-count"
    ),
)


class PipelineConfig(_Model):
    import_mode: Literal["FULL", "INCREMENTAL"] = "FULL"
    training_mode: Literal["FULL", "UPDATE"] = "FULL"
    # Personalize's own default is true: a billed retraining every 7 days.
    perform_auto_training: bool = False
    selection_metric: SelectionMetric = "normalized_discounted_cumulative_gain_at_10"
    min_provisioned_tps: int = Field(default=1, ge=1, alias="minProvisionedTPS")
    poll_seconds: int = Field(default=60, ge=0, le=3600)
    max_concurrency: int = Field(default=0, ge=0, description="0: no limit")
    solutions: tuple[SolutionSpec, ...] = Field(default=DEFAULT_SOLUTIONS, min_length=1)
    click_weight: float = Field(
        default=DEFAULT_CLICK_WEIGHT,
        ge=0,
        le=1,
        description="A CLICK's weight against a rating's 1.0 (events configuration, 0 to 1)",
    )
    like_threshold: float = Field(
        default=DEFAULT_LIKE_AT,
        ge=0,
        description="Ratings below this are not likes: training leaves them out "
        "(eventValueThreshold), and a review below the dislike threshold is sent as DISLIKE",
    )
    metric_attribution: bool = Field(
        default=False,
        description="Create a metric attribution: CLICK and RATING counts per event source, "
        "to CloudWatch and the data bucket (billed per metric; docs/deploy.md)",
    )

    def as_input(self) -> dict[str, Any]:
        """The execution input: every field spelled out, so nothing depends on merging."""
        return self.model_dump(mode="json", by_alias=True)

    def as_run_input(self, event_properties: list[str]) -> dict[str, Any]:
        """`as_input` plus what the run derives: each solution's ``trainingMode`` (UPDATE only
        where its recipe accepts it; the state machine still trains FULL while no ACTIVE
        version exists) and the ``eventProperties`` the review function may send."""
        run = self.as_input()
        for solution, spec in zip(run["solutions"], self.solutions, strict=True):
            solution["trainingMode"] = self.training_mode_for(spec)
            solution["solutionConfig"] = self.solution_config_for(spec)
        run["eventProperties"] = event_properties
        return run

    def solution_config_for(self, solution: SolutionSpec) -> dict[str, Any]:
        """The solution's config where the config sets none of its own: for the v2 recipes an
        events configuration (every rated type at 1.0 from ``like_threshold`` up, a click at
        ``click_weight``, a DISLIKE at weight 0 and a threshold no dislike reaches); for
        User-Personalization (v1) the one ``eventValueThreshold`` it takes, over every event
        type (docs/deploy.md, "What a dislike does on AWS")."""
        config = dict(solution.solution_config)
        if solution.recipe_arn in EVENTS_CONFIG_RECIPES and "EventsConfig" not in config:
            config["EventsConfig"] = {"EventParametersList": self._event_parameters()}
        if solution.recipe_arn in THRESHOLD_RECIPES and "EventValueThreshold" not in config:
            config["EventValueThreshold"] = f"{self.like_threshold:g}"  # a string in the API
        return config

    def _event_parameters(self) -> list[dict[str, Any]]:
        threshold = self.like_threshold
        rated = [
            {"EventType": kind.value, "EventValueThreshold": threshold, "Weight": 1.0}
            for kind in EventType
        ]
        return [
            *rated,
            {"EventType": CLICK, "Weight": self.click_weight},
            # A dislike's value is below the dislike threshold, so below this one too: no
            # DISLIKE event is ever trained on, whatever Personalize does with weight 0.
            {"EventType": DISLIKE, "EventValueThreshold": threshold, "Weight": 0.0},
        ]

    def training_mode_for(self, solution: SolutionSpec) -> str:
        return self.training_mode if solution.recipe_arn in UPDATE_RECIPES else "FULL"


# Interactions columns that PutEvents carries as fields of its own, not as properties.
EVENT_FIELD_COLUMNS = frozenset(
    {
        "USER_ID",
        "ITEM_ID",
        "TIMESTAMP",
        "EVENT_TYPE",
        "EVENT_VALUE",
        "IMPRESSION",
        "RECOMMENDATION_ID",
        "EVENT_ATTRIBUTION_SOURCE",
    }
)


def event_properties(interactions_schema: str) -> list[str]:
    """The ``properties`` keys PutEvents may send for this Avro interactions schema: its other
    columns in camelCase (EVENT_VERIFIED_PURCHASE → eventVerifiedPurchase)."""
    try:
        fields = json.loads(interactions_schema)["fields"]
        names = [str(field["name"]) for field in fields]
    except (json.JSONDecodeError, KeyError, TypeError) as error:
        raise PipelineError(f"the interactions schema is not an Avro record: {error}") from None
    return sorted(_camel(name) for name in names if name.upper() not in EVENT_FIELD_COLUMNS)


def _camel(column: str) -> str:
    head, *rest = column.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def parse_config(text: str, source: str, **overrides: Any) -> PipelineConfig:
    """Check a config document; a bad one is a `PipelineError` naming ``source`` and fields."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise PipelineError(f"{source} is not JSON: {error}") from None
    if not isinstance(raw, dict):
        raise PipelineError(f"{source} must be a JSON object, not {type(raw).__name__}")
    return validate_config(raw | overrides, source)


def validate_config(raw: Mapping[str, Any], source: str) -> PipelineConfig:
    try:
        return PipelineConfig.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(top)'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise PipelineError(f"{source}: {problems}") from None


def load_config(path: Path) -> PipelineConfig:
    """Read and check a config file."""
    try:
        text = path.read_text()
    except OSError as error:
        raise PipelineError(f"cannot read {path}: {error.strerror}") from None
    return parse_config(text, str(path))


ReadObject = Callable[[str, str], "str | None"]
"""(bucket, key) → the object's text, or None when there is no such object."""


def resolve_config(
    execution_input: Mapping[str, Any], read: ReadObject, bucket: str, config_key: str
) -> PipelineConfig:
    """The config of a run, from what started it.

    * an S3 "Object Created" event (EventBridge): the uploaded file;
    * ``{"schedule": {"trainingMode": ...}}``: ``config.json`` under the data prefix (or the
      defaults when there is none) with the schedule's training mode;
    * anything else is the config itself (``watchnext pipeline start``).
    """
    detail = execution_input.get("detail")
    if isinstance(detail, Mapping) and "object" in detail:
        event_bucket, key = str(detail["bucket"]["name"]), str(detail["object"]["key"])
        text = read(event_bucket, key)
        if text is None:
            raise PipelineError(f"s3://{event_bucket}/{key} is gone")
        return parse_config(text, f"s3://{event_bucket}/{key}")
    if "schedule" in execution_input:
        schedule = dict(execution_input["schedule"] or {})
        text = read(bucket, config_key)
        if text is None:
            return validate_config(schedule, "the schedule's input")
        return parse_config(text, f"s3://{bucket}/{config_key}", **schedule)
    return validate_config(execution_input, "the execution input")
