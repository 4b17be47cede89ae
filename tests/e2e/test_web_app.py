"""The web app in a real browser (Playwright driving Debian's Chromium): rate a title, see the
recommendations change, read the email in the Outbox."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import running_in_ci
from tests.support.local import running_stack
from watchnext.entrypoints.local_stack import LocalStack
from watchnext.settings import Settings

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = os.environ.get("WATCHNEXT_SCREENSHOTS")  # set to keep the page screenshots (docs/)
ROOT = Path(__file__).resolve().parents[2]

MISSING = "needs Debian's chromium: `make browser` installs it"
if CHROMIUM is None and running_in_ci():
    pytest.fail(f"CI is set, so the browser tier must run; it {MISSING}", pytrace=False)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=MISSING)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    from tests.support.models import write_clusters
    from watchnext.recommender import artifact
    from watchnext.recommender.data import load_interactions
    from watchnext.recommender.models import LocalRecommender

    folder = tmp_path_factory.mktemp("web")
    dataset = write_clusters(folder / "data")
    data = load_interactions(dataset)
    model = LocalRecommender.fit(data, "als", {"factors": 4, "iterations": 30})
    trained = artifact.save(model, folder / "als", data_checksum=data.checksum)
    config = Settings(
        data_dir=folder, artifact=trained, dataset=dataset, api_port=0,
        smtp_port=0, web_port=0, api_key="k",
    )  # fmt: skip
    with running_stack(config) as running:
        yield running


def shot(page: object, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)  # type: ignore[attr-defined]


def test_rating_a_title_changes_the_picks_and_the_email_arrives(stack: LocalStack) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(stack.settings.web_url)
        page.fill("#user-id", "newcomer")
        page.press("#user-id", "Enter")
        before = page.locator("#before tbody tr")
        expect(before.nth(1)).to_be_visible(timeout=15_000)
        page.fill("#search", "Title B3")
        page.locator("#catalog input[type=radio]").first.check()
        shot(page, "web-rate.png")
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("Rated Title B3 5/5", timeout=15_000)
        after = page.locator("#after tbody tr")
        expect(after.nth(1)).to_be_visible()
        after_rows = after.all_inner_texts()[1:]  # the first row holds the column names
        assert len(after_rows) == 10
        after_titles = [row.split("\t")[1] for row in after_rows]
        assert "Title B3" not in after_titles
        assert sum(title.startswith("Title B") for title in after_titles[:5]) >= 4  # B cluster
        assert all("because you liked" in row or "popular" in row for row in after_rows)
        shot(page, "web-after-rating.png")

        page.click("#tabs >> text=Outbox")
        for _ in range(50):  # the mailer sends within a second or so
            page.click("#outbox-refresh")
            if page.locator("#outbox tbody tr").filter(has_text="after you rated Title B3").count():
                break
            page.wait_for_timeout(300)
        page.locator("#outbox tbody tr").filter(has_text="after you rated Title B3").locator(
            "input[type=radio]"
        ).check()
        frame = page.frame_locator("#email-view")
        expect(frame.locator("h1")).to_contain_text("picks for you", timeout=10_000)
        first_pick = after_rows[0].split("\t")[1]
        expect(frame.locator(".title").first).to_have_text(
            first_pick
        )  # the email shows the API's picks
        expect(frame.locator(".title")).to_have_count(10)
        shot(page, "web-outbox.png")
        browser.close()


def test_an_api_error_is_shown_not_success(stack: LocalStack) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        page = browser.new_page()
        page.goto(stack.settings.web_url)
        page.fill("#email", "not-an-address")
        page.locator("#catalog input[type=radio]").first.check()
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("email_address", timeout=15_000)
        expect(page.locator("#status")).not_to_contain_text("Rated")
        browser.close()


def launch(playwright: object) -> object:
    return playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
    )


def rate_as(page: Any, stack: LocalStack, viewer: str, search: str) -> None:
    """Open the app as ``viewer``, select the first title ``search`` finds."""
    page.goto(stack.settings.web_url)
    page.fill("#user-id", viewer)
    page.press("#user-id", "Enter")
    page.fill("#search", search)
    page.locator("#catalog input[type=radio]").first.check()


def test_a_rating_goes_to_the_selected_title_even_after_the_search_changes(
    stack: LocalStack,
) -> None:
    """The catalog selects by row position: a new search used to move the selection onto
    another title, and the rating went to that one."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()  # type: ignore[attr-defined]
        rate_as(page, stack, "searcher", "Title B3")
        page.fill("#search", "Title B")  # B3 is now the fourth row, not the first
        expect(page.locator("#catalog tbody tr").nth(5)).to_be_visible()
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("Rated Title B3", timeout=15_000)

        page.fill("#search", "Title A")  # hides B3: nothing is selected any more
        expect(page.locator("#catalog tbody tr").nth(5)).to_be_visible()
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("Select a title to rate first")
        browser.close()  # type: ignore[attr-defined]


def test_another_viewer_does_not_see_the_previous_viewers_after_list(stack: LocalStack) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()  # type: ignore[attr-defined]
        rate_as(page, stack, "first-viewer", "Title B3")
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("Rated Title B3", timeout=15_000)
        expect(page.locator("#after tbody tr").nth(1)).to_be_visible()
        expect(page.locator("#history")).to_contain_text("Title B3")
        expect(page.locator("#after")).to_contain_text("because you liked Title B3")

        page.fill("#user-id", "second-viewer")
        page.press("#user-id", "Enter")

        expect(page.locator("#after tbody tr")).to_have_count(1, timeout=15_000)  # header only
        expect(page.locator("#history")).not_to_contain_text("Title B3")
        browser.close()  # type: ignore[attr-defined]


def test_a_followed_link_lands_on_the_title_and_the_engagement_tab_shows_the_clicks(
    stack: LocalStack,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from watchnext.adapters.local.outbox import outbox
    from watchnext.client.simulate import PICK_LINK, simulate
    from watchnext.domain.engagement import ClickModel
    from watchnext.recommender.artifact import artifact_id

    result = simulate(
        stack.settings.api_url, "k", stack.state.outbox,
        viewers=120, model=ClickModel(top=0.5, decay=0.75), seed=3,
    )  # fmt: skip
    assert set(result.answers) == {302}
    unclicked = next(
        link
        for mail in outbox(stack.state.outbox)
        for position, link in enumerate(PICK_LINK.findall(mail.parts()[0]), start=1)
        if position == 10
    )  # few viewers follow the tenth pick; a followed one would be a 409 page

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
        page.goto(unclicked)
        expect(page.locator("h1")).to_contain_text("Title ")
        assert page.url.startswith(f"{stack.settings.web_url}/titles/")

        page.goto(stack.settings.web_url)
        page.click("#tabs >> text=Engagement")
        summary = page.locator("#engagement-summary")
        expect(summary).to_contain_text("emails sent", timeout=15_000)
        expect(summary).to_contain_text("95% Wilson score intervals")
        expect(page.locator("#ctr-by-position .main-svg").first).to_be_visible()
        expect(page.locator("#ctr-by-model")).to_contain_text(artifact_id(stack.settings.artifact))
        page.wait_for_timeout(500)  # the figures finish drawing
        shot(page, "web-engagement.png")
        browser.close()  # type: ignore[attr-defined]


def post_like_curl(stack: LocalStack, body: dict[str, Any]) -> int:
    """A review posted outside the web app, as `curl -H x-api-key … -d …` would."""
    import json
    import urllib.request

    request = urllib.request.Request(
        f"{stack.settings.api_url}/reviews", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", "x-api-key": "k"},
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=30) as answer:
        return int(answer.status)


def test_past_ratings_come_from_the_store_survive_a_reload_and_say_liked_or_disliked(
    stack: LocalStack,
) -> None:
    from playwright.sync_api import expect, sync_playwright

    review = {
        "user_id": "history-viewer", "item_id": "A7", "event_rating": 1,
        "event_verified_purchase": "Y", "event_type": "RATING",
        "email_address": "viewer@example.com",
    }  # fmt: skip
    assert post_like_curl(stack, review) == 200

    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1200, "height": 900})  # type: ignore[attr-defined]
        rate_as(page, stack, "history-viewer", "Title B3")
        history = page.locator("#history")
        expect(history).to_contain_text("Title A7", timeout=15_000)  # rated with curl
        expect(history.locator("tbody tr").filter(has_text="Title A7")).to_contain_text("disliked")
        page.click("#rate")
        expect(page.locator("#status")).to_contain_text("Rated Title B3", timeout=15_000)
        expect(history.locator("tbody tr").filter(has_text="Title B3")).to_contain_text("liked")

        page.reload()
        page.fill("#user-id", "history-viewer")
        page.press("#user-id", "Enter")
        expect(history).to_contain_text("Title B3", timeout=15_000)
        expect(history).to_contain_text("Title A7")
        rows = history.locator("tbody tr").all_inner_texts()[1:]
        assert [row.split("\t")[:4] for row in rows[:2]] == [
            ["Title B3", "5", "liked", "webapp"],
            ["Title A7", "1", "disliked", "api"],
        ]
        shot(page, "web-history.png")
        browser.close()  # type: ignore[attr-defined]
