"""The recommendations email: every pick shown, hostile titles escaped, one source for SES,
Pinpoint and the local renderer."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.fakes import email_job
from watchnext.adapters.aws.channels.pinpoint import pinpoint_attributes, pinpoint_variant
from watchnext.domain.email import EmailLinks
from watchnext.domain.sentiment import Feeling
from watchnext.email.render import HandlebarsRenderer
from watchnext.email.templates import load_template, template_data

HOSTILE = ("Tom & Jerry <Classic>", 'Say "Hello", Goodbye', "<script>alert(1)</script>")
UNSUBSCRIBE = "https://api.example.com/prod/unsubscribe?token=abc.def"


@pytest.fixture(scope="module")
def renderer() -> HandlebarsRenderer:
    return HandlebarsRenderer(load_template())


@pytest.mark.parametrize("count", [1, 5, 25])
def test_every_recommendation_is_shown(renderer: HandlebarsRenderer, count: int) -> None:
    titles = tuple(f"Film number {i}" for i in range(count))
    email = renderer.render(template_data(email_job(titles=titles), EmailLinks(UNSUBSCRIBE)))

    for title in titles:
        assert f'<span class="title">{title}</span>' in email.html
    assert email.html.count('class="item"') == count
    assert f"{count}." in email.html  # ranks from 1
    assert email.subject == f"{count} picks for you after you rated Lucy (2014)"


def test_picks_stand_under_the_reason_their_recommender_computed_and_no_other(
    renderer: HandlebarsRenderer,
) -> None:
    job = email_job(titles=("Arrival (2016)", "Solaris (1972)", "Her (2013)", "Up (2009)"))
    contact = {"because_item_id": "7", "because_title": "Contact (1997)"}
    picks = (
        job.recommendations[0].model_copy(update=contact),
        job.recommendations[1].model_copy(update=contact),
        job.recommendations[2].model_copy(update={"reasons": ("exploration",)}),
        job.recommendations[3],  # the recommender gave no reason
    )
    email = renderer.render(
        template_data(job.model_copy(update={"recommendations": picks}), EmailLinks(UNSUBSCRIBE))
    )

    assert (
        "Because you liked Contact (1997):\n- Arrival (2016)\n- Solaris (1972)\n"
        "\nExploration:\n- Her (2013)\n\nMore for you:\n- Up (2009)\n"
    ) in email.text
    assert "Lucy (2014):" not in email.text  # nothing invented
    assert email.html.count('class="group"') == 3


def test_after_a_dislike_the_email_says_so(renderer: HandlebarsRenderer) -> None:
    job = email_job()
    disliked = job.rated.model_copy(update={"rating": 1, "feeling": Feeling.DISLIKE})

    email = renderer.render(
        template_data(job.model_copy(update={"rated": disliked}), EmailLinks(UNSUBSCRIBE))
    )

    assert "You rated Lucy (2014) 1/5. Not for you: fewer titles like it from now on." in (
        email.text
    )
    assert "Not for you: fewer titles like it from now on." in email.html
    assert "Here is what to watch next" not in email.text + email.html


def test_a_title_not_in_the_catalog_is_said_so(renderer: HandlebarsRenderer) -> None:
    job = email_job()
    unknown = job.model_copy(update={"rated": job.rated.model_copy(update={"known": False})})

    email = renderer.render(template_data(unknown, EmailLinks(UNSUBSCRIBE)))
    known = renderer.render(template_data(job, EmailLinks(UNSUBSCRIBE)))

    assert "We don't know this title yet" in email.text
    assert "know this title yet" in email.html
    assert "know this title yet" not in known.text + known.html
    # The picks name no liked title of the viewer's: popular titles, said so.
    assert "popular titles while we learn your taste" in email.text
    assert "from your other ratings" not in email.text


def test_a_title_not_in_the_catalog_with_picks_from_other_likes_says_that(
    renderer: HandlebarsRenderer,
) -> None:
    job = email_job()
    first = job.recommendations[0].model_copy(
        update={"because_item_id": "7", "because_title": "Contact (1997)"}
    )
    unknown = job.model_copy(
        update={
            "rated": job.rated.model_copy(update={"known": False}),
            "recommendations": (first, *job.recommendations[1:]),
        }
    )

    email = renderer.render(template_data(unknown, EmailLinks(UNSUBSCRIBE)))

    assert "these picks come from your other ratings" in email.text


def test_hostile_titles_are_escaped_in_html_and_plain_in_text(renderer: HandlebarsRenderer) -> None:
    email = renderer.render(
        template_data(email_job(titles=HOSTILE, rated=HOSTILE[0]), EmailLinks(UNSUBSCRIBE))
    )

    assert "<Classic>" not in email.html
    assert "<script>" not in email.html
    assert "Tom &amp; Jerry &lt;Classic&gt;" in email.html
    assert "Say &quot;Hello&quot;, Goodbye" in email.html
    assert "- Tom & Jerry <Classic>" in email.text
    assert email.subject.endswith("after you rated Tom & Jerry <Classic>")


def test_the_unsubscribe_link_is_in_both_parts(renderer: HandlebarsRenderer) -> None:
    email = renderer.render(template_data(email_job(), EmailLinks(UNSUBSCRIBE)))
    assert f'href="{UNSUBSCRIBE}"' in email.html
    assert f"Unsubscribe: {UNSUBSCRIBE}" in email.text


def test_the_pinpoint_variant_reads_endpoint_attributes_and_shows_every_title() -> None:
    job = email_job(titles=HOSTILE)
    variant = pinpoint_variant(load_template())
    assert "{{#each User.UserAttributes.recommended_titles}}" in variant.html
    assert "recommendations" not in variant.html

    email = HandlebarsRenderer(variant).render(
        {"User": {"UserAttributes": pinpoint_attributes(job, EmailLinks(UNSUBSCRIBE))}}
    )

    assert email.html.count('class="item"') == len(HOSTILE)
    assert "Tom &amp; Jerry &lt;Classic&gt;" in email.html
    assert "You rated <strong>Lucy (2014)</strong> 5/5" in email.html
    assert f"Unsubscribe: {UNSUBSCRIBE}" in email.text


def test_pinpoint_attributes_fit_its_100_character_values_and_render_whole() -> None:
    long_title = "A Very Long Title " * 12
    job = email_job(titles=(long_title, "Her"))
    job = job.model_copy(update={"rated": job.rated.model_copy(update={"title": long_title})})
    url = UNSUBSCRIBE + "&padding=" + "x" * 150
    attributes = pinpoint_attributes(job, EmailLinks(url))

    assert all(len(value) <= 100 for values in attributes.values() for value in values)
    email = HandlebarsRenderer(pinpoint_variant(load_template())).render(
        {"User": {"UserAttributes": attributes}}
    )
    assert f"Unsubscribe: {url}" in email.text
    assert f"You rated {long_title}" in email.text
    assert "A Very Long Title" in email.html


def test_the_content_hash_changes_with_any_part() -> None:
    template = load_template()
    changed = type(template)(template.subject + "!", template.html, template.text)
    assert len(template.content_hash) == 64
    assert changed.content_hash != template.content_hash


def test_the_templates_folder_is_a_setting_like_every_other(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """WATCHNEXT_TEMPLATES_DIR is read by Settings, not by the email package."""
    from watchnext.email.templates import templates_root
    from watchnext.settings import Settings

    folder = tmp_path / "recommendations"
    folder.mkdir()
    for part, text in {"subject": "Custom {{count}}", "html": "<p>h</p>", "text": "t"}.items():
        (folder / f"{part}.hbs").write_text(text)
    monkeypatch.setenv("WATCHNEXT_TEMPLATES_DIR", str(tmp_path))

    template = load_template(templates_root(Settings.from_env().templates_dir))

    assert template.subject == "Custom {{count}}"
