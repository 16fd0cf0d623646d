"""Publishing (issue 28) in the browser, the issue's walk: an author builds a course whose
videos become ready while everything is a draft, and learners (anonymous, and another
signed-in user) see nothing; a lesson published in a draft course is still hidden; the course
published shows that lesson only; a lesson made public before its video appears by itself
when the video is ready; an unpublish takes it away at once, and a learner's open lesson page
says it is no longer available. "Preview as a learner" shows what learners see, without
signing out. Keyboard-operable controls, 0 serious axe issues, 390 px."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from demo.web import WEB
from service.database.pool import Database
from tests.test_admin_browser import CHROMIUM
from tests.test_web_browser import (
    SAMPLE,
    WebStack,
    _axe,
    _choose_file,
    _lesson_id,
    _look,
    _player_state,
    app_context,
    browser,  # noqa: F401 (fixture)
    expect_said,
    web_stack,  # noqa: F401 (fixture)
)

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make test`"
    ),
    pytest.mark.skipif(
        not (WEB / ".next" / "BUILD_ID").exists(), reason="`make test` builds the web app first"
    ),
]


async def _learner_finds(page: Page, web: str, course: str) -> list[str]:
    """What a learner finds at the course's page, read afresh: its lessons' titles, or [] when
    the course is not found; and the catalog must agree."""
    await page.goto(f"{web}/")
    card = page.locator(f"[data-testid=catalog] [data-course='{course}']")
    loaded = page.get_by_test_id("catalog").or_(page.get_by_text("No course is published yet."))
    await expect(loaded).to_be_visible()
    in_catalog = await card.count() > 0
    await page.goto(f"{web}/courses/{course}")
    found = page.get_by_test_id("learner-course").or_(page.get_by_test_id("not-found"))
    await expect(found).to_be_visible()
    if await page.get_by_test_id("not-found").count():
        assert not in_catalog
        return []
    assert in_catalog
    titles = await page.locator("[data-testid=lesson-list] .lesson-title").all_inner_texts()
    return [t.strip() for t in titles]


async def test_an_author_publishes_when_ready_and_learners_see_only_that(
    db: Database,
    web_stack: WebStack,  # noqa: F811
    browser: Browser,  # noqa: F811
) -> None:
    author = await web_stack.author(db)
    other = await web_stack.author(db)
    web = web_stack.web
    async with (
        app_context(browser, web_stack, axe=True) as as_author,
        app_context(browser, web_stack, axe=True) as as_anonymous,
        app_context(browser, web_stack, axe=True) as as_other,
    ):
        page = await as_author.new_page()
        await page.goto(web_stack.signed_in_url(author, "/"))
        await expect(page.get_by_test_id("account")).to_contain_text("@example.test")
        course_form = page.get_by_test_id("course-form")
        await course_form.get_by_label("Title").fill("Launch")
        await course_form.get_by_role("button", name="Create course").click()
        await expect(page).to_have_title("Launch — Lessons")
        course = page.url.rsplit("/", 1)[1]
        course_badge = page.locator(".page-actions [data-testid=visibility]")
        await expect(course_badge).to_have_text("Draft")

        # Two lessons with videos: ready, and said to be only "ready" (both drafts).
        lesson_form = page.get_by_test_id("lesson-form")
        for title in ("One", "Two"):
            await lesson_form.get_by_label("Title").fill(title)
            await lesson_form.get_by_label("Video").set_input_files(str(SAMPLE))
            await lesson_form.get_by_role("button", name="Add lesson").click()
            await expect_said(page, f"«{title}» added")
        one, two = await _lesson_id(page, "One"), await _lesson_id(page, "Two")
        for lesson, title in ((one, "One"), (two, "Two")):
            toast = page.locator(f"[data-testid=toast][data-toast-lesson='{lesson}']")
            await expect(toast).to_contain_text(f"«{title}» is ready.", timeout=30_000)
            await expect(toast).not_to_contain_text("visible to learners")
            row_badge = page.locator(f"[data-lesson='{lesson}'] [data-testid=visibility]")
            await expect(row_badge).to_have_text("Draft")

        # Learners: nothing at all.
        anonymous, signed_in = await as_anonymous.new_page(), await as_other.new_page()
        await signed_in.goto(web_stack.signed_in_url(other, "/"))
        await expect(signed_in.get_by_test_id("account")).to_contain_text("@example.test")
        for learner in (anonymous, signed_in):
            assert await _learner_finds(learner, web, course) == []
            await learner.goto(f"{web}/lessons/{one}")
            await expect(learner.get_by_test_id("not-found")).to_contain_text("Lesson not found")
            await expect(learner.get_by_test_id("not-found")).not_to_contain_text("ask them")

        # One lesson published, by keyboard: still nothing, the course is a draft.
        publish_one = page.get_by_role("button", name="Publish «One»")
        await publish_one.focus()
        await page.keyboard.press("Enter")
        await expect_said(page, "«One» is public: learners will see it once the course is public.")
        await expect(page.locator(f"[data-lesson='{one}'] [data-testid=visibility]")).to_have_text(
            "Public"
        )
        await expect(page.get_by_role("button", name="Unpublish «One»")).to_be_visible()
        for learner in (anonymous, signed_in):
            assert await _learner_finds(learner, web, course) == []

        # The course published: that lesson only.
        await page.get_by_role("button", name="Publish course").click()
        await expect(course_badge).to_have_text("Public")
        await expect_said(page, "«Launch» is public")
        await _axe(page, "course page with publishing controls")
        await _look(page, "publishing-course-author")
        for learner in (anonymous, signed_in):
            assert await _learner_finds(learner, web, course) == ["One"]

        # Preview as a learner, without signing out: the same.
        await page.get_by_role("link", name="Preview as a learner").click()
        await expect(page.get_by_test_id("preview-banner")).to_be_visible()
        await expect(page.get_by_test_id("learner-course")).to_be_visible()
        titles = await page.locator("[data-testid=lesson-list] .lesson-title").all_inner_texts()
        assert [t.strip() for t in titles] == ["One"]
        await expect(page.get_by_test_id("account")).to_contain_text("@example.test")
        await _axe(page, "course preview")
        await _look(page, "publishing-course-preview")
        await page.get_by_role("link", name="Back to editing").click()
        await expect(page.get_by_test_id("course-workspace")).to_be_visible()

        # A third lesson made public before its video: learners see it appear when ready,
        # on their open course page, without a reload.
        learner_course = anonymous
        await learner_course.goto(f"{web}/courses/{course}")
        await expect(learner_course.get_by_test_id("lesson-list").locator("li")).to_have_count(1)
        await learner_course.evaluate("window.loadedOnce = true")
        await lesson_form.get_by_label("Title").fill("Three")
        await lesson_form.get_by_role("button", name="Add lesson").click()
        three = await _lesson_id(page, "Three")
        await page.get_by_role("button", name="Publish «Three»").click()
        await expect(
            page.locator(f"[data-lesson='{three}'] [data-testid=visibility]")
        ).to_have_text("Public — appears when its video is ready")
        await page.goto(f"{web}/lessons/{three}")
        await expect(page.locator(".lesson-header [data-testid=visibility]")).to_have_text(
            "Public — appears when its video is ready"
        )
        await _axe(page, "lesson page with publishing controls")
        await _look(page, "publishing-lesson-author")
        await _choose_file(page, SAMPLE)
        told = page.locator(f"[data-testid=toast][data-toast-lesson='{three}']")
        await expect(told).to_contain_text(
            "«Three» is ready and now visible to learners.", timeout=30_000
        )
        await expect(page.get_by_test_id("notice")).to_contain_text(
            "ready and now visible to learners"
        )
        await expect(learner_course.get_by_test_id("lesson-list")).to_contain_text("Three")
        assert await learner_course.evaluate("window.loadedOnce") is True

        # Unpublish: gone at once; a learner on its page is told.
        await signed_in.goto(f"{web}/lessons/{one}")
        await expect(signed_in).to_have_title("One — Lessons")
        await signed_in.get_by_test_id("play").click()  # the player loads only now
        assert (await _player_state(signed_in))["readyState"] >= 2
        await page.goto(f"{web}/courses/{course}")
        await page.get_by_role("button", name="Unpublish «One»").click()
        await expect_said(page, "«One» is a draft again: learners no longer see it.")
        gone = signed_in.get_by_test_id("not-found")
        await expect(gone).to_contain_text("Lesson no longer available")
        await expect_said(signed_in, "This lesson is no longer available.")
        assert await signed_in.locator("mux-player").count() == 0
        listing = learner_course.get_by_test_id("lesson-list")
        await expect(listing.locator("li")).to_have_count(1)
        await expect(listing).to_contain_text("Three")
        await _axe(signed_in, "lesson no longer available")
        await _look(signed_in, "publishing-lesson-gone")
        assert await _learner_finds(anonymous, web, course) == ["Three"]

        # The home page says how many lessons each course has public.
        await page.goto(f"{web}/")
        summary = page.locator(f"[data-course='{course}'] [data-testid=course-public]")
        await expect(summary).to_contain_text("1 of 3 lessons public")
        await expect(summary.get_by_test_id("visibility")).to_have_text("Public")
        await _look(page, "publishing-home")

        # The course made draft: learners lose it, their open page is told.
        await anonymous.goto(f"{web}/courses/{course}")
        await expect(anonymous.get_by_test_id("lesson-list")).to_contain_text("Three")
        await page.goto(f"{web}/courses/{course}")
        await page.get_by_role("button", name="Unpublish course").click()
        await expect(anonymous.get_by_test_id("not-found")).to_contain_text(
            "Course no longer available"
        )
        assert await _learner_finds(signed_in, web, course) == []
    rows = await db.call_all(
        "select title, visibility from lessons where course_id = %s order by position",
        (uuid.UUID(course),),
    )
    assert [(r["title"], r["visibility"]) for r in rows] == [
        ("One", "draft"),
        ("Two", "draft"),
        ("Three", "public"),
    ]
