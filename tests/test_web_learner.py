"""The learner's pages of the Next.js app (issue 30), on the whole stack as `make web` runs it.

First as a crawler or a link preview gets them, with no JavaScript at all (httpx): the
catalog, a course and a lesson arrive with their titles, descriptions (paragraphs kept, no
raw HTML), lesson lists, Previous/Next links, canonical URLs and `og:` tags; a lesson or
course the viewer may not see is a 404 in HTML too, and taking a lesson down takes effect on
the next request; a signed-in learner (the session in cookies, as `@supabase/ssr` keeps it)
gets their progress in the HTML; sitemap.xml and robots.txt. Then in Chromium: a learner plays
a lesson behind its poster, leaves it, comes back and resumes where they left off; marks a
lesson complete; the outline and the course page say so.
"""

from __future__ import annotations

import asyncio
import base64
import html
import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from demo.stack import ROOT
from service.database.pool import Database
from tests import test_web_browser as browser_tests
from tests.factories import create_course, create_lesson, lesson_row
from tests.test_web_browser import (
    CHROMIUM,
    WEB,
    WebStack,
    _axe,
    _look,
    _player_state,
    app_context,
)
from tests.tokens import hs256

SAMPLE = ROOT / "demo" / "sample.mp4"
# The browser tests' stack and browser (one stack for this module).
web_stack = browser_tests.web_stack
browser = browser_tests.browser

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium"),
    pytest.mark.skipif(
        not (WEB / ".next" / "BUILD_ID").exists(), reason="`make test` builds the web app first"
    ),
]


async def _publish(web_stack: WebStack, db: Database, author: uuid.UUID, lesson: uuid.UUID) -> None:
    """Through the service and the emulator, as a browser's upload goes."""
    async with httpx.AsyncClient(base_url=web_stack.stack.service, timeout=20) as http:
        issued = await http.post(
            "/api/mux/upload",
            json={"lessonId": str(lesson)},
            headers={"Authorization": f"Bearer {hs256(author)}", "Origin": web_stack.web},
        )
        assert issued.status_code == 201, issued.text
        put = await http.put(issued.json()["url"], content=SAMPLE.read_bytes())
        assert put.status_code == 200
    for _ in range(200):
        if (await lesson_row(db, lesson))["status"] == "published":
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the lesson was never published")


async def _describe(db: Database, lesson_or_course: str, table: str, text: str) -> None:
    async with db.service_session() as conn:
        await conn.execute(
            f"update {table} set description = %s where id = %s",
            (text, lesson_or_course),
        )


def session_cookie(web_stack: WebStack, user: uuid.UUID) -> dict[str, str]:
    """The cookie `@supabase/ssr` keeps a session in: `sb-<project ref>-auth-token`, its value
    `base64-` and the session's JSON in base64url (one chunk: short enough)."""
    known = next(u for u in web_stack.auth.users.values() if u.id == user)
    session = web_stack.auth.session(known)
    encoded = base64.urlsafe_b64encode(json.dumps(session).encode()).decode().rstrip("=")
    ref = httpx.URL(web_stack.auth.public_url).host.split(".")[0]
    return {f"sb-{ref}-auth-token": f"base64-{encoded}"}


def _meta(page: str, key: str) -> str | None:
    """The content of `<meta name|property=key>`."""
    for tag in re.findall(r"<meta\b[^>]*>", page):
        if re.search(rf'(?:name|property)="{re.escape(key)}"', tag):
            found = re.search(r'content="([^"]*)"', tag)
            return html.unescape(found.group(1)) if found else None
    return None


def _title(page: str) -> str:
    titles = re.findall(r"<title>(.*?)</title>", page, re.S)
    assert len(titles) == 1, titles
    return html.unescape(titles[0])


def _has_link(page: str, href: str, attribute: str) -> bool:
    """An `<a>` to `href` carrying `attribute` (e.g. `rel="next"`), in any order."""
    return any(
        f'href="{href}"' in tag and attribute in tag for tag in re.findall(r"<a\b[^>]*>", page)
    )


def _canonical(page: str) -> str | None:
    found = re.search(r'<link rel="canonical" href="([^"]+)"', page)
    return found.group(1) if found else None


class Course:
    """A published course: two public lessons and a draft, with descriptions."""

    def __init__(self, course: uuid.UUID, lessons: list[uuid.UUID], draft: uuid.UUID) -> None:
        self.id = course
        self.lessons = lessons
        self.draft = draft


async def _course(web_stack: WebStack, db: Database, author: uuid.UUID, title: str) -> Course:
    course = await create_course(db, author, title)
    await _describe(
        db,
        str(course),
        "courses",
        "Bread from flour, water and salt.\n\nNo machine needed: <b>just</b> hands.",
    )
    first = await create_lesson(db, author, course, "Starter")
    second = await create_lesson(db, author, course, "Mixing")
    draft = await create_lesson(db, author, course, "Baking")
    await _describe(db, str(first), "lessons", "Feed it daily.\nKeep it warm.\n\nThen wait.")
    await _describe(db, str(second), "lessons", "<script>alert(1)</script> by hand")
    for lesson in (first, second):
        await _publish(web_stack, db, author, lesson)
    return Course(course, [first, second], draft)


async def test_pages_arrive_with_their_content_and_tags_without_javascript(
    db: Database, web_stack: WebStack
) -> None:
    await web_stack.stack.wait_until_up()
    await web_stack.stack.wait_for("web", f"{web_stack.web}/sign-in")
    author = await web_stack.author(db)
    course = await _course(web_stack, db, author, "Sourdough")
    first, second = course.lessons
    hidden_course = await create_course(db, author, "Secret recipes")
    await create_lesson(db, author, hidden_course, "Not yet")

    async with httpx.AsyncClient(base_url=web_stack.web, timeout=30) as http:
        home = await http.get("/")
        assert home.status_code == 200
        assert _title(home.text) == "Courses — Lessons"
        assert _meta(home.text, "og:title") == "Courses"
        assert "Sourdough" in home.text and "Secret recipes" not in home.text
        assert (_canonical(home.text) or "").rstrip("/") == web_stack.web

        page = await http.get(f"/courses/{course.id}")
        assert page.status_code == 200
        text = page.text
        assert _title(text) == "Sourdough — Lessons"
        assert _meta(text, "description") == (
            "Bread from flour, water and salt. No machine needed: <b>just</b> hands."
        )
        assert _meta(text, "og:title") == "Sourdough"
        assert _meta(text, "og:description") == _meta(text, "description")
        image = _meta(text, "og:image") or ""
        assert image.startswith(web_stack.stack.emulator) and image.endswith("/thumbnail.jpg")
        assert _canonical(text) == f"{web_stack.web}/courses/{course.id}"
        # Paragraphs kept, the author's markup shown as text, never as HTML.
        assert "<p>Bread from flour, water and salt.</p>" in text
        assert "&lt;b&gt;just&lt;/b&gt; hands." in text and "<b>just</b>" not in text
        listed = re.findall(r'data-lesson="([^"]+)"', text)
        assert listed == [str(first), str(second)]  # the draft is not there
        assert "Baking" not in text and "0:03" in text
        assert "Feed it daily.<br/>Keep it warm." in text
        assert f'href="/lessons/{first}"' in text  # "Start the course"

        lesson = await http.get(f"/lessons/{first}")
        assert lesson.status_code == 200
        text = lesson.text
        assert _title(text) == "Starter — Lessons"
        assert _meta(text, "description") == "Feed it daily. Keep it warm. Then wait."
        assert _meta(text, "og:title") == "Starter" and _meta(text, "og:type") == "article"
        assert (_meta(text, "og:image") or "").endswith("/thumbnail.jpg")
        assert _canonical(text) == f"{web_stack.web}/lessons/{first}"
        assert _has_link(text, f"/lessons/{second}", 'rel="next"')
        assert 'rel="prev"' not in text  # the first lesson
        assert _has_link(text, f"/lessons/{first}", 'aria-current="page"')
        assert "<p>Then wait.</p>" in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; by hand" in text  # the outline's
        assert "<script>alert(1)" not in text
        assert "Lesson 1 of 2" in text
        assert "<mux-player" not in text  # the poster and a play button, not the player

        last = await http.get(f"/lessons/{second}")
        assert _has_link(last.text, f"/lessons/{first}", 'rel="prev"')

        # What a viewer may not see is a 404, in HTML too, for anyone but its author.
        for path in (
            f"/lessons/{course.draft}",
            f"/courses/{hidden_course}",
            f"/lessons/{uuid.uuid4()}",
            "/lessons/not-an-id",
        ):
            hidden = await http.get(path)
            assert hidden.status_code == 404, path
            assert "not found" in _title(hidden.text)
            assert "Baking" not in hidden.text and "Secret recipes" not in hidden.text
        async with httpx.AsyncClient(
            base_url=web_stack.web, timeout=30, cookies=session_cookie(web_stack, author)
        ) as as_author:
            own = await as_author.get(f"/lessons/{course.draft}")
            # "Preview as a learner", signed in as the author: the learner's pages exactly
            # as anyone gets them (the draft lesson not listed, and not found on its own).
            preview = await as_author.get(f"/courses/{course.id}/preview")
            lesson_preview = await as_author.get(f"/lessons/{first}/preview")
            draft_preview = await as_author.get(f"/lessons/{course.draft}/preview")
        assert own.status_code == 200  # its author's editor
        assert 'data-testid="preview-banner"' in preview.text
        assert _title(preview.text) == "Preview: Sourdough — Lessons"
        assert _title(lesson_preview.text) == "Preview: Starter — Lessons"
        assert re.findall(r'data-lesson="([^"]+)"', preview.text) == [str(first), str(second)]
        assert "Baking" not in preview.text and 'data-testid="learner-course"' in preview.text
        # Its links stay in the preview.
        assert _has_link(lesson_preview.text, f"/lessons/{second}/preview", 'rel="next"')
        assert f'href="/lessons/{first}/preview"' in preview.text
        assert "Lesson 1 of 2" in lesson_preview.text
        assert 'data-testid="preview-banner"' in draft_preview.text
        assert "not found" in draft_preview.text.lower() and "Baking" not in draft_preview.text

        sitemap = await http.get("/sitemap.xml")
        assert sitemap.status_code == 200
        urls = re.findall(r"<loc>([^<]+)</loc>", sitemap.text)
        for public in (f"/courses/{course.id}", f"/lessons/{first}", f"/lessons/{second}"):
            assert f"{web_stack.web}{public}" in urls
        assert not any(str(course.draft) in u or str(hidden_course) in u for u in urls)
        robots = await http.get("/robots.txt")
        assert f"Sitemap: {web_stack.web}/sitemap.xml" in robots.text

        # Taken down: gone on the very next request (nothing cached keeps serving it).
        removed = await http.request(
            "DELETE",
            f"{web_stack.stack.service}/api/lessons/{second}/video",
            headers={"Authorization": f"Bearer {hs256(author)}"},
        )
        assert removed.status_code == 202
        assert (await http.get(f"/lessons/{second}")).status_code == 404
        page = await http.get(f"/courses/{course.id}")
        assert re.findall(r'data-lesson="([^"]+)"', page.text) == [str(first)]
        assert f"/lessons/{second}" not in (await http.get("/sitemap.xml")).text


async def test_a_signed_in_learner_gets_their_progress_in_the_html(
    db: Database, web_stack: WebStack
) -> None:
    await web_stack.stack.wait_until_up()
    await web_stack.stack.wait_for("web", f"{web_stack.web}/sign-in")
    author, learner = await web_stack.author(db), await web_stack.author(db)
    course = await _course(web_stack, db, author, "Rye")
    first, second = course.lessons
    async with httpx.AsyncClient(base_url=web_stack.web, timeout=30) as http:
        saved = await http.put(
            f"{web_stack.stack.service}/api/lessons/{first}/progress",
            json={"positionSeconds": 3, "completed": True},
            headers={"Authorization": f"Bearer {hs256(learner)}"},
        )
        assert saved.status_code == 200
        saved = await http.put(
            f"{web_stack.stack.service}/api/lessons/{second}/progress",
            json={"positionSeconds": 1.5, "completed": False},
            headers={"Authorization": f"Bearer {hs256(learner)}"},
        )
        http.cookies.update(session_cookie(web_stack, learner))
        page = await http.get(f"/courses/{course.id}")
        assert page.status_code == 200
        assert "1<!-- --> of <!-- -->2<!-- --> complete" in page.text
        continues = re.search(r'<a\b[^>]*data-testid="continue"[^>]*>([^<]*)', page.text)
        assert continues and f'href="/lessons/{second}"' in continues.group(0)
        assert continues.group(1) == "Continue where you left off"
        lesson = await http.get(f"/lessons/{second}")
        assert re.search(r"Resume from (<!-- -->)?0:02", lesson.text)
        # Anyone else sees no one's progress.
        http.cookies.clear()
        anonymous = await http.get(f"/courses/{course.id}")
        assert "complete" not in re.sub(r"<script.*?</script>", "", anonymous.text, flags=re.S)


async def _position(page: Page) -> float:
    return float(await page.evaluate("document.querySelector('mux-player').currentTime"))


async def test_a_learner_resumes_a_lesson_where_they_left_it(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author, learner = await web_stack.author(db), await web_stack.author(db)
    course = await _course(web_stack, db, author, "Pastry")
    first = course.lessons[0]
    async with app_context(browser, web_stack, axe=True) as context:
        page = await context.new_page()
        await page.goto(web_stack.signed_in_url(learner, f"/courses/{course.id}"))
        await expect(page.get_by_test_id("course-progress")).to_have_text("0 of 2 complete")
        await expect(page).to_have_title("Pastry — Lessons")
        await expect(page.get_by_test_id("continue")).to_contain_text("Start the course")
        await _axe(page, "course page (learner with progress)")
        await page.get_by_test_id("continue").click()
        await expect(page).to_have_title("Starter — Lessons")
        assert await page.locator("mux-player").count() == 0  # the facade only
        await _axe(page, "lesson page before play")
        await _look(page, "lesson-learner-outline")

        # Play by keyboard, stop at about 2 s: pausing saves the place.
        await page.get_by_test_id("play").focus()
        await page.keyboard.press("Enter")
        await _player_state(page)
        await page.evaluate(
            """() => { const p = document.querySelector('mux-player');
                       p.pause(); p.currentTime = 2; }"""
        )
        await page.wait_for_function(
            "() => Math.abs(document.querySelector('mux-player').currentTime - 2) < 0.1"
        )
        async with page.expect_request(
            lambda r: r.method == "PUT" and r.url.endswith(f"/lessons/{first}/progress")
        ):
            await page.evaluate(
                """() => { const p = document.querySelector('mux-player');
                           p.play().then(() => p.pause()); }"""
            )

        # Leave for the next lesson; coming back resumes at 2 s.
        await page.get_by_test_id("next-lesson").click()
        await expect(page).to_have_title("Mixing — Lessons")
        await page.get_by_test_id("previous-lesson").click()
        await expect(page).to_have_title("Starter — Lessons")
        await expect(page.get_by_test_id("play")).to_contain_text("Resume from 0:02")
        await page.get_by_test_id("play").click()
        await _player_state(page)
        assert 1.8 <= await _position(page) <= 3.0

        # Mark complete: said, ticked in the outline, counted there and on the course page.
        await page.get_by_test_id("mark-complete").click()
        await expect(page.get_by_test_id("progress-said")).to_contain_text("marked complete")
        await expect(page.get_by_test_id("outline-progress")).to_have_text("1 of 2 complete")
        await expect(page.get_by_test_id("mark-complete")).to_have_attribute("aria-pressed", "true")
        for _ in range(50):
            row = await db.call(
                "select completed from lesson_progress where user_id = %s and lesson_id = %s",
                (learner, first),
            )
            if row and row["completed"]:
                break
            await asyncio.sleep(0.1)
        assert row and row["completed"]

        # The second lesson plays to its end: completed by itself.
        await page.get_by_test_id("next-lesson").click()
        await page.get_by_test_id("play").click()
        await expect(page.get_by_test_id("progress-said")).to_contain_text(
            "marked complete", timeout=20_000
        )
        await expect(page.get_by_test_id("outline-progress")).to_have_text("2 of 2 complete")

        await page.goto(f"{web_stack.web}/courses/{course.id}")
        await expect(page.get_by_test_id("course-progress")).to_have_text("2 of 2 complete")
        await expect(page.locator(f"[data-lesson='{first}']")).to_contain_text("(complete)")
