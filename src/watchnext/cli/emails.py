"""`watchnext email`: the recommendations email rendered locally, and the local queue's
dead letters (jobs that failed `EmailJobMaxReceiveCount` deliveries, as SQS's dead-letter
queue holds them on AWS)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from watchnext.cli.errors import Command, fail, user_errors
from watchnext.cli.local_state import local_database
from watchnext.cli.options import DataDir

if TYPE_CHECKING:
    from watchnext.adapters.local.stores import SqliteEmailQueue

app = typer.Typer(help="The recommendations email and the local mail queue.", no_args_is_help=True)


@contextmanager
def _local_queue(data_dir: Path) -> Iterator[SqliteEmailQueue]:
    from watchnext.adapters.local.stores import SqliteEmailQueue

    with local_database(data_dir, "no local mail queue (run `watchnext demo` first)") as db:
        yield SqliteEmailQueue(db)


@app.command("dead-letters", cls=Command)
def dead_letters(data_dir: DataDir = Path("data")) -> None:
    """List the email jobs that failed every delivery attempt, with their last error."""
    with user_errors(), _local_queue(data_dir) as queue:
        letters = queue.dead_letters()
    for letter in letters:
        when = datetime.fromtimestamp(letter.dead_at, UTC).strftime("%Y-%m-%d %H:%M:%S")
        typer.echo(
            f"{letter.job_id[:16]}  {when}  {letter.attempts} attempts  "
            f"{letter.email_address}  {letter.last_error or ''}"
        )
    typer.echo(f"{len(letters)} dead letter(s); `watchnext email redrive` sends them back.")


@app.command("redrive", cls=Command)
def redrive(
    data_dir: DataDir = Path("data"),
    job_id: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help="Only this job (its full id); repeat for more."),
    ] = None,
) -> None:
    """Send dead letters back to the queue, their attempts counted afresh."""
    with user_errors(), _local_queue(data_dir) as queue:
        moved = queue.redrive(job_id or ())
    typer.echo(f"{moved} job(s) back in the queue; a running `watchnext demo` sends them.")


@app.command("preview", cls=Command)
def email_preview(
    user: Annotated[str, typer.Option(metavar="TEXT", help="The viewer to render the email for.")],
    out: Annotated[
        Path,
        typer.Option(metavar="PATH", help="The HTML file to write (the text part goes beside)."),
    ],
    artifact: Annotated[
        Path,
        typer.Option(metavar="PATH", help="A trained model (watchnext train) to recommend with."),
    ] = Path("artifacts/als"),
    rated: Annotated[
        str | None, typer.Option(metavar="TEXT", help="The title the viewer just rated (item id).")
    ] = None,
    n: Annotated[
        int, typer.Option(metavar="N", min=1, max=100, help="How many recommendations.")
    ] = 10,
) -> None:
    """Render the recommendations email for USER locally, exactly from the SES template files."""
    with user_errors():
        from watchnext.adapters.local.catalog import InMemoryCatalog
        from watchnext.domain.email import EmailJob, EmailLinks, RatedItem
        from watchnext.email.render import HandlebarsRenderer
        from watchnext.email.templates import load_template, template_data
        from watchnext.recommender import artifact as artifacts
        from watchnext.service.review import with_titles
        from watchnext.settings import Settings

        model = artifacts.load(artifact)
        history = model.history_of(user)
        rated_id = rated or (history[0] if history else None)
        if rated_id is None:
            raise fail(f"{user!r} has rated nothing in {artifact}; pass --rated ITEM_ID")
        catalog = InMemoryCatalog(model.titles)
        picks = with_titles(user, model.recommend(user, n), catalog)
        rated_entry = catalog.lookup([rated_id]).get(rated_id)
        job = EmailJob(
            job_id="preview",
            user_id=user,
            email_address="preview@example.com",
            rated=RatedItem(
                item_id=rated_id, title=rated_entry.title if rated_entry else rated_id, rating=5
            ),
            recommendations=picks.recommendations,
            recommendation_id=picks.recommendation_id,
            reviewed_at=datetime.now(UTC),
        )
        email = HandlebarsRenderer(load_template()).render(
            template_data(
                job, EmailLinks(f"{Settings().unsubscribe_base_url}/unsubscribe?token=preview")
            )
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(email.html, encoding="utf-8")
    out.with_suffix(".txt").write_text(
        f"Subject: {email.subject}\n\n{email.text}", encoding="utf-8"
    )
    typer.echo(f"{out} ({email.subject})")
