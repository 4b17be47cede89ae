"""Experiments on the local stack: their state in the database (`SqliteExperiments`), and the
recommender that serves each viewer from their arm (`ExperimentRouter`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from watchnext.adapters.local.sqlite import Database
from watchnext.domain.events import InteractionEvent
from watchnext.domain.experiment import Arm, Experiment, ExperimentError, served_list
from watchnext.domain.recommendation import RecommendationList
from watchnext.recommender.models import LocalRecommender
from watchnext.service.experiments import ExperimentEmail, ExperimentStatus, experiment_status


class SqliteExperiments:
    """At most one experiment runs at a time; a promoted arm's artifact stays served after
    it stops, until another is promoted."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def start(self, experiment: Experiment) -> None:
        with self._db.transaction() as tx:
            running = tx.execute("SELECT name FROM experiments WHERE stopped_at IS NULL")
            if (row := running.fetchone()) is not None:
                raise ExperimentError(
                    f"experiment {row[0]!r} is running: stop it first (watchnext experiment "
                    f"stop {row[0]})"
                )
            known = tx.execute("SELECT 1 FROM experiments WHERE name = ?", (experiment.name,))
            if known.fetchone():
                raise ExperimentError(f"there was already an experiment {experiment.name!r}")
            tx.execute(
                "INSERT INTO experiments (name, body, started_at) VALUES (?, ?, ?)",
                (experiment.name, experiment.to_json(), experiment.started_at.timestamp()),
            )

    def running(self) -> Experiment | None:
        rows = self._db.query("SELECT body FROM experiments WHERE stopped_at IS NULL")
        return Experiment.from_json(str(rows[0][0])) if rows else None

    def named(self, name: str) -> Experiment:
        rows = self._db.query("SELECT body FROM experiments WHERE name = ?", (name,))
        if not rows:
            known = [str(row[0]) for row in self._db.query("SELECT name FROM experiments")]
            raise ExperimentError(
                f"no experiment {name!r}; there are: {', '.join(known) or 'none yet'}"
            )
        return Experiment.from_json(str(rows[0][0]))

    def stop(self, name: str) -> None:
        self.named(name)
        with self._db.transaction() as tx:
            tx.execute(
                "UPDATE experiments SET stopped_at = ? WHERE name = ? AND stopped_at IS NULL",
                (time.time(), name),
            )

    def promote(self, name: str, arm: Arm) -> None:
        """Serve ``arm``'s artifact from now on, and stop the experiment."""
        with self._db.transaction() as tx:
            now = time.time()
            tx.execute(
                "UPDATE experiments SET stopped_at = coalesce(stopped_at, ?), winner = ? "
                "WHERE name = ?",
                (now, arm.name, name),
            )
            tx.execute(
                "INSERT INTO served_model (id, artifact, experiment, at) VALUES (1, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET artifact = excluded.artifact, "
                "experiment = excluded.experiment, at = excluded.at",
                (arm.recommender, name, now),
            )

    def served_artifact(self) -> Path | None:
        rows = self._db.query("SELECT artifact FROM served_model WHERE id = 1")
        return Path(str(rows[0][0])) if rows else None

    def latest_status(self) -> ExperimentStatus | None:
        """The running experiment's status, else the latest one's (the web app's tab)."""
        rows = self._db.query("SELECT name FROM experiments ORDER BY stopped_at IS NULL DESC, "
                              "started_at DESC LIMIT 1")  # fmt: skip
        if not rows:
            return None
        return self.status(str(rows[0][0]))

    def status(self, name: str) -> ExperimentStatus:
        return experiment_status(self.named(name), self.emails(name), self.clicked(name))

    def emails(self, name: str) -> Iterator[ExperimentEmail]:
        for job_id, user_id, arms in self._db.query(
            "SELECT job_id, user_id, arms FROM sent_emails WHERE experiment = ?", (name,)
        ):
            yield ExperimentEmail(str(job_id), str(user_id), tuple(json.loads(str(arms))))

    def clicked(self, name: str) -> dict[str, frozenset[int]]:
        positions: dict[str, set[int]] = {}
        for job_id, position in self._db.query(
            "SELECT c.job_id, c.position FROM clicks c JOIN sent_emails s USING (job_id) "
            "WHERE s.experiment = ?",
            (name,),
        ):
            positions.setdefault(str(job_id), set()).add(int(str(position)))
        return {job: frozenset(found) for job, found in positions.items()}


class ExperimentRouter:
    """`watchnext.service.ports.Recommender` and `EventRecorder` for the local stack: the
    served model, or, while an experiment runs, each viewer's arm (A/B) or a team-draft mix
    of the two arms (interleaving). Every loaded model records every event, and a model
    loaded later rebuilds a viewer's row from the event store, so each arm knows each
    viewer's history."""

    def __init__(
        self,
        served: LocalRecommender,
        served_path: Path,
        experiments: SqliteExperiments,
        load: Callable[[Path], LocalRecommender],
    ) -> None:
        self._experiments = experiments
        self._load = load
        self._models: dict[Path, LocalRecommender] = {served_path.resolve(): served}
        self._default = served_path.resolve()
        self._lock = threading.Lock()

    def recommend(self, user_id: str, n: int) -> RecommendationList:
        experiment = self._experiments.running()
        if experiment is None:
            return self._model(self._experiments.served_artifact()).recommend(user_id, n)

        def ask(artifact: str) -> RecommendationList:
            return self._model(Path(artifact)).recommend(user_id, n)

        return served_list(experiment, user_id, n, ask)

    def record(self, event: InteractionEvent) -> None:
        for model in list(self._models.values()):
            model.record(event)

    def _model(self, artifact: Path | None) -> LocalRecommender:
        """The model at ``artifact`` (absolute, as `start` keeps arms), loaded once."""
        path = artifact or self._default
        with self._lock:
            if path not in self._models:
                self._models[path] = self._load(path)
            return self._models[path]
