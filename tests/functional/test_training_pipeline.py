"""The training state machine, executed: data_pipeline/training.asl.yaml runs in moto's ASL
interpreter; Personalize answers from named mocked-response cases (pipeline_mocks.json); S3,
SSM, SNS, CloudWatch and DynamoDB are moto's; the Lambda steps run in-process."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import boto3

from tests.support.pipeline_world import (
    BUCKET,
    DATA_PREFIX,
    FAST,
    PERSONALIZE_ARN,
    PREFIX,
    PipelineWorld,
)
from tests.support.stack import REGION
from tests.support.step_functions import Run, model_errors, unused_responses
from watchnext.adapters.aws import parameters
from watchnext.pipeline.config import PipelineConfig, SolutionSpec

RECIPES = "arn:aws:personalize:::recipe"
SOLUTION_V2 = f"{PERSONALIZE_ARN}:solution/{PREFIX}-user-personalization-v2"
POPULARITY = f"{PERSONALIZE_ARN}:solution/{PREFIX}-popularity-count"
POLLING_STATES = (
    "DescribeDatasetGroup",
    "DescribeDataset",
    "DescribeImportJob",
    "DescribeSolution",
    "DescribeSolutionVersion",
    "DescribeCampaign",
    "DescribeEventTracker",
    "DescribeFilter",
)


def personalize_calls(run: Run, action: str) -> list[dict[str, Any]]:
    return [params for name, params in run.calls("personalize") if name == action]


def assert_calls_match_the_api(run: Run) -> None:
    for action, params in run.calls("personalize"):
        assert model_errors("personalize", action, params) == "", (action, params)


def test_happy_path_imports_trains_deploys_and_publishes(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST)

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    entered = Counter(run.entered())
    assert all(entered[state] >= 2 for state in POLLING_STATES), entered
    assert_calls_match_the_api(run)
    assert run.output is not None
    assert run.output["best"]["solutionVersionArn"] == f"{SOLUTION_V2}/v1"
    assert [d["name"] for d in run.output["datasets"] if d["present"]] == ["interactions", "items"]
    published = {
        name: pipeline.parameter(name)
        for name in (
            parameters.CAMPAIGN_ARN,
            parameters.TRACKING_ID,
            parameters.FILTER_ARN,
            parameters.EVENT_PROPERTIES,
        )
    }  # the names the review function reads
    assert published == {
        parameters.CAMPAIGN_ARN: f"{PERSONALIZE_ARN}:campaign/{PREFIX}-campaign",
        parameters.TRACKING_ID: "7e1d5c3b-0a2f-4c6e-9b8d-1f2e3d4c5b6a",
        parameters.FILTER_ARN: f"{PERSONALIZE_ARN}:filter/{PREFIX}-exclude-interacted",
        parameters.EVENT_PROPERTIES: "[]",  # the layout's MovieLens-like schema has none
    }


def test_solutions_are_created_with_auto_training_off_and_the_best_is_deployed(
    pipeline: PipelineWorld,
) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST)

    solutions = personalize_calls(run, "createSolution")
    assert [s["RecipeArn"] for s in solutions] == [
        "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        "arn:aws:personalize:::recipe/aws-popularity-count",
    ]
    assert all(s["PerformAutoTraining"] is False for s in solutions)
    [campaign] = personalize_calls(run, "createCampaign")
    assert campaign == {
        "Name": f"{PREFIX}-campaign",
        "SolutionVersionArn": f"{SOLUTION_V2}/v1",
        "MinProvisionedTPS": 1,
    }
    assert personalize_calls(run, "updateCampaign") == []


def test_every_import_reads_its_own_file_with_the_configured_mode(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST | {"importMode": "INCREMENTAL"})

    jobs = personalize_calls(run, "createDatasetImportJob")
    assert [job["DataSource"] for job in jobs] == [
        {"DataLocation": f"s3://{BUCKET}/{DATA_PREFIX}/interactions/interactions.csv"},
        {"DataLocation": f"s3://{BUCKET}/{DATA_PREFIX}/items/items.csv"},
    ]
    assert {job["ImportMode"] for job in jobs} == {"INCREMENTAL"}
    assert [d["DatasetType"] for d in personalize_calls(run, "createDataset")] == [
        "Interactions",
        "Items",
    ]


def test_the_catalog_is_loaded_with_quoted_titles(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST)

    assert run.output is not None

    assert run.output["catalog"] == {"loaded": 3}
    table = boto3.resource("dynamodb", region_name=REGION).Table(pipeline.catalog_table)
    items = {item["item_id"]: item for item in table.scan()["Items"]}
    assert items["1"]["title"] == "Lucy, the movie"
    assert items["2"]["title"] == 'The "Quoted" One'
    assert "title" not in items["3"]


def test_offline_metrics_reach_cloudwatch_per_solution(pipeline: PipelineWorld) -> None:
    pipeline.run("TrainingPipeline", "HappyPath", FAST)

    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    metrics = cloudwatch.list_metrics(
        Namespace="WatchNext", MetricName="normalized_discounted_cumulative_gain_at_10"
    )["Metrics"]
    solutions = {d["Value"] for m in metrics for d in m["Dimensions"] if d["Name"] == "Solution"}
    assert solutions == {"user-personalization-v2", "popularity-count"}


def test_a_rerun_reuses_every_resource_and_updates_the_campaign_in_place(
    pipeline: PipelineWorld,
) -> None:
    first = pipeline.run("TrainingPipeline", "HappyPath", FAST)
    run = pipeline.run("TrainingPipeline", "RerunWithEverythingInPlace", FAST)

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert_calls_match_the_api(run)
    assert "UseExistingDatasetGroup" in run.entered()
    assert Counter(run.entered())["UseExistingSolution"] == 2
    assert "FindEventTracker" in run.entered()
    assert personalize_calls(run, "createCampaign") == []
    [update] = personalize_calls(run, "updateCampaign")
    assert update["SolutionVersionArn"] == f"{POPULARITY}/v2"  # the better NDCG@10 this time
    first_jobs = {job["JobName"] for job in personalize_calls(first, "createDatasetImportJob")}
    jobs = {job["JobName"] for job in personalize_calls(run, "createDatasetImportJob")}
    versions = {v["Name"] for v in personalize_calls(run, "createSolutionVersion")}
    assert len(jobs) == 2
    assert not jobs & first_jobs  # unique names per execution
    assert len(versions) == 2
    assert all(len(name) <= 63 for name in jobs | versions)


def test_the_selection_metric_comes_from_the_config(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST | {"selectionMetric": "coverage"})

    assert run.output is not None
    assert run.output["best"] == {
        "name": "user-personalization-v2",
        "solutionArn": SOLUTION_V2,
        "solutionVersionArn": f"{SOLUTION_V2}/v1",
        "metric": "coverage",
        "score": 0.42,
    }


def test_a_failed_solution_version_ends_in_the_fail_state_with_its_reason(
    pipeline: PipelineWorld,
) -> None:
    run = pipeline.run("TrainingPipeline", "SolutionVersionFails", FAST)

    assert run.status == "FAILED"
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert run.error == "WatchNext.SolutionVersionFailed"
    assert run.cause is not None
    assert run.cause.startswith("TrainSolutions: ")
    assert "at least 25 users with 2 or more interactions" in run.cause
    assert run.entered()[-1] == "PipelineFailed"
    [notice] = pipeline.notifications()
    assert notice["subject"] == "WatchNext training pipeline failed"
    assert "WatchNext.SolutionVersionFailed" in notice["message"]
    assert "at least 25 users" in notice["message"]
    assert pipeline.parameter(parameters.CAMPAIGN_ARN) == "NOT_CONFIGURED"  # nothing half-published


def test_an_uploaded_config_json_starts_a_run_with_its_settings(pipeline: PipelineWorld) -> None:
    pipeline.put(f"{DATA_PREFIX}/config.json", json.dumps(FAST | {"minProvisionedTPS": 3}))
    s3_event = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": BUCKET},
            "object": {"key": f"{DATA_PREFIX}/config.json"},
        },
    }

    run = pipeline.run("TrainingPipeline", "HappyPath", s3_event)

    assert run.status == "SUCCEEDED", run.cause
    [campaign] = personalize_calls(run, "createCampaign")
    assert campaign["MinProvisionedTPS"] == 3


def test_a_schedule_retrains_with_its_mode_over_the_uploaded_config(
    pipeline: PipelineWorld,
) -> None:
    pipeline.put(f"{DATA_PREFIX}/config.json", json.dumps(FAST | {"trainingMode": "FULL"}))

    run = pipeline.run("TrainingPipeline", "HappyPath", {"schedule": {"trainingMode": "FULL"}})

    assert run.status == "SUCCEEDED", run.cause
    modes = {v["TrainingMode"] for v in personalize_calls(run, "createSolutionVersion")}
    assert modes == {"FULL"}


def test_a_scheduled_update_trains_full_where_the_recipe_refuses_update(
    pipeline: PipelineWorld,
) -> None:
    """The default recipes (User-Personalization-v2, Popularity-Count) refuse UPDATE, and the
    fake Personalize refuses it as the service does. No config.json: the defaults apply."""
    schedule = {"trainingMode": "UPDATE"} | FAST
    run = pipeline.run("TrainingPipeline", "HappyPath", {"schedule": schedule})

    assert run.status == "SUCCEEDED", run.cause
    modes = {v["TrainingMode"] for v in personalize_calls(run, "createSolutionVersion")}
    assert modes == {"FULL"}


def test_a_scheduled_update_updates_a_user_personalization_solution_with_an_active_version(
    pipeline: PipelineWorld,
) -> None:
    solutions = [
        {"name": "user-personalization", "recipeArn": f"{RECIPES}/aws-user-personalization"},
        {"name": "popularity-count", "recipeArn": f"{RECIPES}/aws-popularity-count"},
    ]
    pipeline.put(f"{DATA_PREFIX}/config.json", json.dumps(FAST | {"solutions": solutions}))

    run = pipeline.run(
        "TrainingPipeline", "ScheduledUpdate", {"schedule": {"trainingMode": "UPDATE"}}
    )

    assert run.status == "SUCCEEDED", run.cause
    modes = {
        v["SolutionArn"].rsplit("/", 1)[1]: v["TrainingMode"]
        for v in personalize_calls(run, "createSolutionVersion")
    }
    assert modes == {
        f"{PREFIX}-user-personalization": "UPDATE",
        f"{PREFIX}-popularity-count": "FULL",
    }


def test_an_unreadable_config_fails_in_configure_and_creates_nothing(
    pipeline: PipelineWorld,
) -> None:
    pipeline.put(f"{DATA_PREFIX}/config.json", "{not json")
    s3_event = {
        "detail": {
            "bucket": {"name": BUCKET},
            "object": {"key": f"{DATA_PREFIX}/config.json"},
        }
    }

    run = pipeline.run("TrainingPipeline", "HappyPath", s3_event)

    assert run.status == "FAILED"
    assert run.error == "PipelineError"
    assert run.cause is not None
    assert run.cause.startswith("Configure: cannot read the pipeline config")
    assert "training/config.json is not JSON" in run.cause
    assert run.calls("personalize") == []
    assert pipeline.notifications()[0]["subject"] == "WatchNext training pipeline failed"


def test_a_config_with_a_bad_field_fails_naming_the_field(pipeline: PipelineWorld) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST | {"selectionMetric": "ndcg"})

    assert run.status == "FAILED"
    assert run.cause is not None
    assert "selectionMetric: Input should be" in run.cause
    assert run.calls("personalize") == []


METRIC_ATTRIBUTION = f"{PERSONALIZE_ARN}:metric-attribution/{PREFIX}-engagement"


def test_a_metric_attribution_is_created_when_asked_and_published(
    pipeline: PipelineWorld,
) -> None:
    off = pipeline.run("TrainingPipeline", "HappyPath", FAST)
    assert personalize_calls(off, "createMetricAttribution") == []

    run = pipeline.run(
        "TrainingPipeline", "HappyPathWithMetricAttribution", FAST | {"metricAttribution": True}
    )

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert_calls_match_the_api(run)
    [created] = personalize_calls(run, "createMetricAttribution")
    assert created["Name"] == f"{PREFIX}-engagement"
    assert created["DatasetGroupArn"] == f"{PERSONALIZE_ARN}:dataset-group/{PREFIX}"
    assert {(m["EventType"], m["Expression"]) for m in created["Metrics"]} == {
        ("CLICK", "SAMPLECOUNT()"),
        ("RATING", "SAMPLECOUNT()"),
    }
    output = created["MetricsOutputConfig"]
    assert output["S3DataDestination"] == {"Path": f"s3://{BUCKET}/{DATA_PREFIX}/metrics/"}
    assert output["RoleArn"] == pipeline.substitutions()["PersonalizeRoleArn"]
    assert Counter(run.entered())["DescribeMetricAttribution"] >= 2  # waited for ACTIVE
    assert pipeline.parameter(parameters.METRIC_ATTRIBUTION_ARN) == METRIC_ATTRIBUTION


def test_a_rerun_reuses_the_metric_attribution(pipeline: PipelineWorld) -> None:
    config = FAST | {"metricAttribution": True}
    pipeline.run("TrainingPipeline", "HappyPathWithMetricAttribution", config)

    run = pipeline.run("TrainingPipeline", "RerunWithMetricAttributionInPlace", config)

    assert run.status == "SUCCEEDED", run.cause
    assert unused_responses(pipeline.interpreter.test_case) == {}  # type: ignore[arg-type]
    assert "FindMetricAttribution" in run.entered()
    assert pipeline.parameter(parameters.METRIC_ATTRIBUTION_ARN) == METRIC_ATTRIBUTION


def test_the_solutions_weigh_clicks_as_configured_where_the_recipe_allows(
    pipeline: PipelineWorld,
) -> None:
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST | {"clickWeight": 0.2})

    v2, popularity = personalize_calls(run, "createSolution")
    weights = {
        p["EventType"]: p["Weight"]
        for p in v2["SolutionConfig"]["EventsConfig"]["EventParametersList"]
    }
    assert weights == {
        "RATING": 1.0, "REVIEW": 1.0, "WATCH": 1.0, "PURCHASE": 1.0, "CLICK": 0.2, "DISLIKE": 0.0,
    }  # fmt: skip
    assert "EventsConfig" not in popularity["SolutionConfig"]  # Popularity-Count takes none


def test_training_reads_only_likes_and_never_a_dislike(pipeline: PipelineWorld) -> None:
    """The v2 solution keeps every rated type's events below the like threshold out of
    training, and a DISLIKE event (its value is below the dislike threshold, so below this
    one) is never trained on; the parameters are valid in botocore's model."""
    run = pipeline.run("TrainingPipeline", "HappyPath", FAST | {"likeThreshold": 3.5})

    v2, _ = personalize_calls(run, "createSolution")
    thresholds = {
        p["EventType"]: p.get("EventValueThreshold")
        for p in v2["SolutionConfig"]["EventsConfig"]["EventParametersList"]
    }
    assert thresholds == {
        "RATING": 3.5, "REVIEW": 3.5, "WATCH": 3.5, "PURCHASE": 3.5, "CLICK": None, "DISLIKE": 3.5,
    }  # fmt: skip
    assert model_errors("personalize", "createSolution", v2) == ""


def test_a_v1_solution_gets_the_one_threshold_its_config_takes() -> None:
    v1 = SolutionSpec(name="up", recipe_arn="arn:aws:personalize:::recipe/aws-user-personalization")
    config = PipelineConfig(like_threshold=4, solutions=(v1,))

    solution = config.as_run_input([])["solutions"][0]

    assert solution["solutionConfig"] == {"EventValueThreshold": "4"}
    request = {
        "Name": "x", "DatasetGroupArn": "arn:aws:personalize:us-east-1:1:dataset-group/x",
        "RecipeArn": v1.recipe_arn, "SolutionConfig": solution["solutionConfig"],
    }  # fmt: skip
    assert model_errors("personalize", "createSolution", request) == ""
