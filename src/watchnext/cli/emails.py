"""`watchnext email preview`: the recommendations email, rendered locally."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from watchnext.cli.errors import Command, fail, user_errors

app = typer.Typer(help="The recommendations email.", no_args_is_help=True)


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
        from datetime import UTC, datetime

        from watchnext.adapters.local.catalog import InMemoryCatalog
        from watchnext.domain.email import EmailJob, EmailLinks, RatedItem
        from watchnext.email.render import HandlebarsRenderer
        from watchnext.email.templates import load_template, template_data
        from watchnext.recommender import artifact as artifacts
        from watchnext.service.review import with_titles

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
            template_data(job, EmailLinks("http://127.0.0.1:3000/unsubscribe?token=preview"))
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(email.html, encoding="utf-8")
    out.with_suffix(".txt").write_text(
        f"Subject: {email.subject}\n\n{email.text}", encoding="utf-8"
    )
    typer.echo(f"{out} ({email.subject})")
