"""The Next.js app in Debian's Chromium: `next start` + the real service (with worker) + the Mux
emulator + PostgreSQL, as `make web` runs them. Users sign in through supabase-js against the
local Supabase Auth stand-in (a magic-link URL, or the sign-in page). Every request to an
address outside 127.0.0.1 is blocked and counted: the app must need none. The one such request
seen is MuxPlayer asking Chromium for Google's Cast SDK (an optional extra, for casting); it
is refused like any other and everything still works, which is what these tests show.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import struct
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from demo.stack import ROOT, Stack, running_stack
from demo.supabase_auth import AuthStandIn
from demo.web import WEB, next_start, web_env
from devstack.ports import free_port
from mux_emulator.server import BackgroundServer
from service.database.pool import Database
from tests.factories import create_course, create_lesson, create_user, lesson_row
from tests.test_admin_browser import ARTIFACTS, CHROMIUM, CHROMIUM_FLAGS, expect_not_framed
from tests.tokens import JWT_SECRET, hs256

SAMPLE = ROOT / "demo" / "sample.mp4"
OPTIONAL_OUTSIDE = ("https://www.gstatic.com/cv/js/sender/v1/cast_sender.js",)
CHUNK_KB = 256
UPLOAD_LIMIT = 5

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make test`"
    ),
    pytest.mark.skipif(
        not (WEB / ".next" / "BUILD_ID").exists(), reason="`make test` builds the web app first"
    ),
]


class WebStack:
    def __init__(self, stack: Stack, web: str, auth: AuthStandIn) -> None:
        self.stack = stack
        self.web = web
        self.auth = auth
        self.outside_requests: list[str] = []

    async def author(self, db: Database) -> uuid.UUID:
        """A user in the database and in the auth stand-in (password: their email)."""
        user = await create_user(db)
        self.auth.add_user(user, f"{user.hex[:8]}@example.test", f"{user.hex[:8]}@example.test")
        return user

    def signed_in_url(self, user: uuid.UUID, path: str) -> str:
        """A magic-link URL: supabase-js reads the session from it, as after an email link."""
        known = next(u for u in self.auth.users.values() if u.id == user)
        return f"{self.web}{path}{self.auth.magic_link_fragment(known)}"

    async def upload_puts(self) -> int:
        async with httpx.AsyncClient() as http:
            stats = (await http.get(f"{self.stack.emulator}/_emulator/stats")).json()
        return int(stats["requests"].get("upload_put", 0))


@pytest.fixture(scope="module")
def web_stack(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebStack]:
    logs = tmp_path_factory.mktemp("web-stack-logs")
    web_port, auth_port = free_port(), free_port()
    web = f"http://127.0.0.1:{web_port}"
    auth = AuthStandIn(
        JWT_SECRET, public_url=f"http://127.0.0.1:{auth_port}", database_url=database_url
    )
    auth_server = BackgroundServer(auth.app(), port=auth_port).start()
    try:
        with running_stack(
            logs,
            front_end_origin=web,
            database=(database_url, False),
            jwt_secret=JWT_SECRET,
            service_settings={"UPLOAD_RATE_LIMIT_PER_MINUTE": str(UPLOAD_LIMIT)},
        ) as stack:
            env = web_env(
                service=stack.service,
                supabase=auth.public_url,
                emulator=stack.emulator,
                chunk_kb=CHUNK_KB,
            )
            stack.start("web", next_start(web_port), env, cwd=WEB)
            yield WebStack(stack, web, auth)
    finally:
        auth_server.stop()


@pytest.fixture
async def browser(web_stack: WebStack) -> AsyncIterator[Browser]:
    await web_stack.stack.wait_until_up()
    await web_stack.stack.wait_for("web", f"{web_stack.web}/sign-in")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield launched
        await launched.close()
    needed = [u for u in web_stack.outside_requests if not u.startswith(OPTIONAL_OUTSIDE)]
    assert needed == [], "the app asked for something outside 127.0.0.1"


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob") or parts.hostname in ("127.0.0.1", "localhost")


CSP_RECORDER = """(() => {
  const seen = JSON.parse(sessionStorage.getItem('cspViolations') || '[]');
  window.__cspViolations = seen;
  document.addEventListener('securitypolicyviolation', (e) => {
    seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
    try { sessionStorage.setItem('cspViolations', JSON.stringify(seen)); } catch {}
  });
})()"""


# Everything the page's status line said, in order: a message may be replaced by the next at
# once (a small file is "added", then "uploaded" a moment later), faster than a loaded machine
# lets Playwright look, so tests ask what was said rather than what is showing.
SAID_RECORDER = """(() => {
  window.__said = [];
  const record = () => {
    const text = document.querySelector('[data-testid=page-status]')?.textContent?.trim();
    if (text && window.__said[window.__said.length - 1] !== text) window.__said.push(text);
  };
  new MutationObserver(record).observe(document, {
    subtree: true, childList: true, characterData: true,
  });
})()"""


async def expect_said(page: Page, text: str, timeout: float = 20_000) -> None:
    """Waits until the page's status line has said `text` (since the page was loaded)."""
    try:
        await page.wait_for_function(
            "(text) => (window.__said || []).some((said) => said.includes(text))",
            arg=text,
            timeout=timeout,
        )
    except PlaywrightTimeout:
        said = await page.evaluate("window.__said || []")
        raise AssertionError(f"the status line never said {text!r}; it said {said!r}") from None


def _directives(csp: str) -> dict[str, list[str]]:
    pairs = (d.strip().split() for d in csp.split(";") if d.strip())
    return {name: values for name, *values in pairs}


def page_header_problems(url: str, headers: dict[str, str]) -> list[str]:
    """What is missing from a page's security headers (W4, W5)."""
    csp = _directives(headers.get("content-security-policy", ""))
    script = csp.get("script-src", [])
    checks = {
        "frame-ancestors 'none'": csp.get("frame-ancestors") == ["'none'"],
        "a nonce and 'strict-dynamic' for scripts": "'strict-dynamic'" in script
        and any(s.startswith("'nonce-") for s in script),
        "no 'unsafe-inline' or 'unsafe-eval' for scripts": not {
            "'unsafe-inline'",
            "'unsafe-eval'",
        }
        & set(script),
        "object-src 'none'": csp.get("object-src") == ["'none'"],
        "X-Frame-Options DENY": headers.get("x-frame-options") == "DENY",
        "nosniff": headers.get("x-content-type-options") == "nosniff",
        "Referrer-Policy": headers.get("referrer-policy")
        in ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"),
    }
    return [f"{url}: {name}" for name, ok in checks.items() if not ok]


@contextlib.asynccontextmanager
async def app_context(
    browser: Browser, web_stack: WebStack, *, axe: bool = False
) -> AsyncIterator[BrowserContext]:
    """A fresh browser profile (nothing stored) in which every non-local request is refused.
    Every page of the app it loads must come with its security headers, and nothing it does
    may violate their Content-Security-Policy: both are checked when it closes (the pages
    still open then). `axe`: axe-core is in every page, as an init script (which the policy
    does not govern), for `_axe`."""
    ctx = await browser.new_context(viewport={"width": 1100, "height": 900})
    problems: list[str] = []
    console: list[str] = []

    async def refuse(route: Any) -> None:
        web_stack.outside_requests.append(route.request.url)
        await route.abort()

    def check_document(response: Any) -> None:
        request = response.request
        if request.resource_type == "document" and response.url.startswith(web_stack.web):
            problems.extend(page_header_problems(response.url, response.headers))

    def watch(page: Page) -> None:
        page.on("response", check_document)
        page.on(
            "console",
            lambda m: console.append(m.text) if "Content Security Policy" in m.text else None,
        )

    await ctx.route(lambda url: not _is_local(url), refuse)
    await ctx.add_init_script(CSP_RECORDER)
    await ctx.add_init_script(SAID_RECORDER)
    if axe:
        await ctx.add_init_script(path=str(AXE))
    ctx.on("page", watch)
    try:
        yield ctx
        violations: list[str] = []
        for page in ctx.pages:
            for frame in page.frames:
                with contextlib.suppress(Exception):  # a frame of another origin, or gone
                    violations += await frame.evaluate("window.__cspViolations || []")
    finally:
        await ctx.close()
    assert problems == [], problems
    assert violations + console == [], "Content-Security-Policy violations"


@pytest.fixture
async def context(browser: Browser, web_stack: WebStack) -> AsyncIterator[BrowserContext]:
    async with app_context(browser, web_stack) as ctx:
        yield ctx


async def _open_editor(
    context: BrowserContext, web_stack: WebStack, user: uuid.UUID, lesson: uuid.UUID
) -> Page:
    page = await context.new_page()
    await page.goto(web_stack.signed_in_url(user, f"/lessons/{lesson}"))
    await expect(page.get_by_test_id("account")).to_contain_text("@example.test")
    await expect(page.get_by_test_id("status")).to_be_visible()
    await page.evaluate(
        """() => {
          window.seen = [];
          const record = () => {
            const badge = document.querySelector('[data-testid=status]');
            const player = document.querySelector('[data-testid=player]');
            const entry = [badge?.dataset.status ?? null, player?.dataset.playbackId ?? null];
            const last = window.seen[window.seen.length - 1];
            if (!last || last[0] !== entry[0] || last[1] !== entry[1]) window.seen.push(entry);
          };
          record();
          new MutationObserver(record).observe(document.body, {
            subtree: true, childList: true, attributes: true,
            attributeFilter: ['data-status', 'data-playback-id'],
          });
        }"""
    )
    return page


async def _choose_file(page: Page, path: Path) -> None:
    await page.locator("mux-uploader").locator("#hidden-file-input").set_input_files(str(path))


async def _expect_status(page: Page, status: str, timeout: float = 20_000) -> None:
    await expect(page.get_by_test_id("status")).to_have_attribute(
        "data-status", status, timeout=timeout
    )


async def _player_state(page: Page) -> dict[str, Any]:
    """Waits until the player has decoded a frame; its readiness, duration and source."""
    await page.wait_for_function(
        "() => { const p = document.querySelector('mux-player'); return p && p.readyState >= 2; }",
        timeout=20_000,
    )
    state: dict[str, Any] = await page.evaluate(
        """() => { const p = document.querySelector('mux-player');
                   return {readyState: p.readyState, duration: p.duration,
                           src: p.getAttribute('src') ?? p.src ?? ''}; }"""
    )
    return state


def _padded_video(path: Path, size: int) -> Path:
    """The sample with an ISO `free` box appended: still a valid MP4, `size` bytes long."""
    data = SAMPLE.read_bytes()
    pad = size - len(data)
    path.write_bytes(data + struct.pack(">I4s", pad, b"free") + bytes(pad - 8))
    return path


async def _seen(page: Page) -> list[tuple[str | None, str | None]]:
    return [tuple(entry) for entry in await page.evaluate("window.seen")]


async def test_an_author_uploads_a_video_and_watches_it_publish_and_play(
    db: Database, web_stack: WebStack, context: BrowserContext
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Browser course")
    lesson = await create_lesson(db, author, course, title="Uploading in a browser")
    page = await _open_editor(context, web_stack, author, lesson)
    await _expect_status(page, "draft")
    await expect(page.get_by_role("heading", name="Uploading in a browser")).to_be_visible()
    # The course page, open in another tab, follows the lesson on its one course stream.
    course_page = await context.new_page()
    await course_page.goto(f"{web_stack.web}/courses/{course}")
    badge = course_page.locator(f"[data-lesson='{lesson}'] [data-testid=status]")
    await expect(badge).to_have_attribute("data-status", "draft")
    await course_page.evaluate("window.loadedOnce = true")

    await _choose_file(page, SAMPLE)
    await _expect_status(page, "published")
    await expect(page.get_by_test_id("notice")).to_contain_text("ready")
    row = await lesson_row(db, lesson)
    player = page.get_by_test_id("player")
    await expect(player).to_have_attribute("data-playback-id", row["mux_playback_id"])
    state = await _player_state(page)
    assert state["readyState"] >= 2 and abs(state["duration"] - 3.0) < 0.2
    assert row["mux_playback_id"] in state["src"]
    statuses = [status for status, _ in await _seen(page)]
    assert statuses == ["draft", "uploading", "processing", "published"], statuses
    await expect(badge).to_have_attribute("data-status", "published")
    assert await course_page.evaluate("window.loadedOnce") is True  # live, not reloaded
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "web-lesson-published.png"), full_page=True)


async def test_a_large_file_goes_up_in_resumable_chunks(
    db: Database, web_stack: WebStack, context: BrowserContext, tmp_path: Path
) -> None:
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    large = _padded_video(tmp_path / "large.mp4", 2 * CHUNK_KB * 1024 + 100_000)
    page = await _open_editor(context, web_stack, author, lesson)
    await _expect_status(page, "draft")
    before = await web_stack.upload_puts()
    await _choose_file(page, large)
    await _expect_status(page, "published")
    assert await web_stack.upload_puts() - before == 3
    assert (await lesson_row(db, lesson))["status"] == "published"


async def test_a_file_that_is_not_a_video_shows_what_mux_said_and_others_see_nothing(
    db: Database, web_stack: WebStack, context: BrowserContext, tmp_path: Path
) -> None:
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    notes = tmp_path / "notes.mp4"
    notes.write_text("these are lecture notes, not a video\n" * 50)
    page = await _open_editor(context, web_stack, author, lesson)
    await _expect_status(page, "draft")
    await _choose_file(page, notes)
    await _expect_status(page, "errored")
    mux_said = (await lesson_row(db, lesson))["video_error"]
    assert mux_said
    await expect(page.get_by_test_id("notice")).to_contain_text(mux_said)

    # Another author signs in on the sign-in page and opens that lesson: not found.
    other = await web_stack.author(db)
    email = f"{other.hex[:8]}@example.test"
    stranger = await context.browser.new_context()  # type: ignore[union-attr]
    try:
        await stranger.route(lambda url: not _is_local(url), lambda route: route.abort())
        page = await stranger.new_page()
        await page.goto(f"{web_stack.web}/sign-in?next=/lessons/{lesson}")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill("wrong password")
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_test_id("sign-in-error")).to_contain_text("Invalid login")
        await page.get_by_label("Password").fill(email)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_test_id("not-found")).to_contain_text("Lesson not found")
        await expect(page.get_by_test_id("account")).to_contain_text(email)
        assert await page.locator("mux-uploader, mux-player").count() == 0
        assert await page.get_by_test_id("status").count() == 0
    finally:
        await stranger.close()


async def test_the_page_says_when_the_service_or_mux_is_gone_and_recovers(
    db: Database, web_stack: WebStack, context: BrowserContext
) -> None:
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    page = await _open_editor(context, web_stack, author, lesson)
    await _expect_status(page, "draft")
    connection = page.get_by_test_id("connection")
    await expect(connection).to_have_attribute("data-state", "live")

    web_stack.stack.kill("service")
    try:
        await expect(connection).to_have_attribute("data-state", "reconnecting", timeout=10_000)
        await expect(connection).to_contain_text("cannot be reached")
        # An upload tried meanwhile says why it cannot start, instead of spinning.
        await _choose_file(page, SAMPLE)
        await expect(page.get_by_test_id("upload-error")).to_contain_text("cannot be reached")
    finally:
        web_stack.stack.restart("service")
    await expect(connection).to_have_attribute("data-state", "live", timeout=20_000)
    # Mux itself failing is said as plainly (502 `mux_unavailable`), and the lesson is unchanged.
    async with httpx.AsyncClient() as http:
        await http.post(f"{web_stack.stack.emulator}/_emulator/faults", json={"count": 1})
    await page.get_by_role("button", name="Retry").click()  # the same file again
    await expect(page.get_by_test_id("upload-error")).to_contain_text("Mux could not be reached")
    await _expect_status(page, "draft")

    await page.get_by_role("button", name="Retry").click()
    await _expect_status(page, "published")
    await expect(page.get_by_test_id("upload-error")).to_have_count(0)


async def test_replacing_a_video_keeps_the_old_one_playing_until_the_new_one_is_published(
    db: Database, web_stack: WebStack, context: BrowserContext, tmp_path: Path
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Replacements")
    lesson = await create_lesson(db, author, course, title="Replace me")
    page = await _open_editor(context, web_stack, author, lesson)
    await _choose_file(page, SAMPLE)
    await _expect_status(page, "published")
    old = (await lesson_row(db, lesson))["mux_playback_id"]
    await _player_state(page)

    await page.get_by_test_id("replace-video").click()
    assert (await _player_state(page))["readyState"] >= 2  # still playing the old video
    await page.evaluate("window.seen = []")
    await _choose_file(page, _padded_video(tmp_path / "second-take.mp4", 200_000))
    await _expect_status(page, "processing")
    await expect(page.get_by_test_id("player")).to_have_attribute("data-playback-id", old)
    await _expect_status(page, "published")
    new = (await lesson_row(db, lesson))["mux_playback_id"]
    assert new != old
    await expect(page.get_by_test_id("player")).to_have_attribute("data-playback-id", new)
    state = await _player_state(page)
    assert new in state["src"]
    seen = await _seen(page)
    assert all(playback == old for status, playback in seen if status != "published"), seen
    assert seen[-1] == ("published", new)
    assert ("uploading", old) in seen and ("processing", old) in seen

    # The course page shows the lesson's live badge.
    course_page = await context.new_page()
    await course_page.goto(f"{web_stack.web}/courses/{course}")
    badge = course_page.locator(f"[data-lesson='{lesson}'] [data-testid=status]")
    await expect(badge).to_have_attribute("data-status", "published")


async def test_too_many_uploads_say_when_to_try_again(
    db: Database, web_stack: WebStack, context: BrowserContext
) -> None:
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    async with httpx.AsyncClient(base_url=web_stack.stack.service) as http:
        for _ in range(UPLOAD_LIMIT):  # the author's uploads this minute, made elsewhere
            made = await http.post(
                "/api/mux/upload",
                json={"lessonId": str(lesson)},
                headers={"Authorization": f"Bearer {hs256(author)}", "Origin": web_stack.web},
            )
            assert made.status_code == 201, made.text
    page = await _open_editor(context, web_stack, author, lesson)
    await _choose_file(page, SAMPLE)
    error = page.get_by_test_id("upload-error")
    await expect(error).to_contain_text(f"At most {UPLOAD_LIMIT} upload")
    await expect(error).to_contain_text(re.compile(r"try again in \d+ s"))
    await _expect_status(page, "uploading")  # the last upload issued, unchanged


async def _at_emulator(web_stack: WebStack, path: str) -> httpx.Response:
    auth = ("emulator-token-id", "emulator-token-secret")
    async with httpx.AsyncClient(base_url=web_stack.stack.emulator, auth=auth) as http:
        return await http.get(path)


async def test_an_author_cancels_an_upload_and_removes_a_video(
    db: Database, web_stack: WebStack, context: BrowserContext
) -> None:
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    async with httpx.AsyncClient(base_url=web_stack.stack.service) as http:
        made = await http.post(  # an upload issued, its file never sent (a closed tab)
            "/api/mux/upload",
            json={"lessonId": str(lesson)},
            headers={"Authorization": f"Bearer {hs256(author)}", "Origin": web_stack.web},
        )
    assert made.status_code == 201, made.text
    page = await _open_editor(context, web_stack, author, lesson)
    await _expect_status(page, "uploading")
    await page.get_by_test_id("cancel-upload").click()
    await _expect_status(page, "draft")
    said = page.get_by_test_id("action-message")
    await expect(said).to_contain_text("Upload cancelled")
    await expect(said).to_be_focused()  # not the page's body: the button is gone
    upload = f"/video/v1/uploads/{made.json()['uploadId']}"
    for _ in range(100):  # cancelled at Mux (the emulator)
        if (await _at_emulator(web_stack, upload)).json()["data"]["status"] == "cancelled":
            break
        await asyncio.sleep(0.2)
    assert (await _at_emulator(web_stack, upload)).json()["data"]["status"] == "cancelled"

    await _choose_file(page, SAMPLE)
    await _expect_status(page, "published")
    asset = (await lesson_row(db, lesson))["mux_asset_id"]
    await page.get_by_test_id("remove-video").click()
    await page.get_by_test_id("confirm-remove").click()
    await _expect_status(page, "draft")
    await expect(page.get_by_test_id("player")).to_have_count(0)
    await expect(said).to_contain_text("Video removed")
    await expect(said).to_be_focused()
    for _ in range(100):  # and the asset is deleted at Mux by the service's worker
        if (await _at_emulator(web_stack, f"/video/v1/assets/{asset}")).status_code == 404:
            break
        await asyncio.sleep(0.2)
    assert (await _at_emulator(web_stack, f"/video/v1/assets/{asset}")).status_code == 404


# ---------------------------------------------------------------------------------------------
# The author's workspace (issue 19): courses and lessons from sign-up to a learner watching.

AXE = WEB / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (390, 1280)


async def _axe(page: Page, where: str) -> None:
    """axe-core (in every page of an `app_context(axe=True)`) on the page once loaded: no
    critical or serious violation (printed if any). A page with a player is audited once the
    player has loaded its video. One node inside MuxPlayer is left out while it is closed:
    Media Chrome's error dialog, invisible until the player fails, which axe can catch being
    rebuilt by the player's theme for a moment (unnamed; it is named when it opens)."""
    if await page.locator("mux-player").count() > 0:
        await _player_state(page)
    found: list[dict[str, Any]] = await page.evaluate(
        """async () => {
          const closedErrorDialog = {
            fromShadowDom: ['mux-player', 'media-theme', 'media-error-dialog:not([open])'],
          };
          const result = await axe.run(
            {exclude: [closedErrorDialog]}, {resultTypes: ['violations']});
          return result.violations
            .filter((v) => v.impact === 'critical' || v.impact === 'serious')
            .map((v) => ({id: v.id, impact: v.impact, help: v.help,
                          nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' '))}));
        }"""
    )
    for violation in found:
        print(f"axe on {where}: {violation}")
    assert found == [], f"axe-core found critical or serious violations on {where}"


async def _look(page: Page, name: str) -> None:
    """Screenshots at 390 and 1280 px (into test-artifacts/); nothing overflows sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r(null)))")
        overflow = await page.evaluate("document.documentElement.scrollWidth - innerWidth")
        assert overflow <= 0, f"{name} at {width} px is {overflow} px too wide"
        await page.screenshot(path=str(ARTIFACTS / f"web-{name}-{width}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def _order(page: Page) -> list[str]:
    """The lessons in the list, in the order shown (their ids)."""
    return list(
        await page.locator("[data-testid=lesson-list] > li").evaluate_all(
            "rows => rows.map((row) => row.dataset.lesson)"
        )
    )


async def _lesson_id(page: Page, title: str) -> str:
    row = page.locator("[data-testid=lesson-list] > li").filter(
        has=page.get_by_role("link", name=title, exact=True)
    )
    lesson = await row.get_attribute("data-lesson")
    assert lesson
    return lesson


async def _wait_until_gone_at_emulator(web_stack: WebStack, asset: str) -> None:
    for _ in range(100):  # the service's worker deletes it at Mux (the emulator)
        if (await _at_emulator(web_stack, f"/video/v1/assets/{asset}")).status_code == 404:
            return
        await asyncio.sleep(0.2)
    assert (await _at_emulator(web_stack, f"/video/v1/assets/{asset}")).status_code == 404


class HeldUploads:
    """Holds the browser's upload PUTs to Mux (the emulator) until released, so a test can see
    several uploads in flight at once, or cancel one mid-way."""

    def __init__(self, expected: int) -> None:
        self.routes: list[Any] = []
        self.expected = expected
        self.all_held = asyncio.Event()
        self.released = asyncio.Event()

    async def handle(self, route: Any) -> None:
        if route.request.method != "PUT":
            await route.fallback()
            return
        self.routes.append(route)
        if len(self.routes) >= self.expected:
            self.all_held.set()
        await self.released.wait()
        with contextlib.suppress(PlaywrightError):  # the page may be gone meanwhile
            await route.continue_()


NOTIFICATION_STAND_IN = """
  // The browser's Notification API, recorded: permission is asked for by the page's own
  // control, and the tab counts as hidden once the test says so.
  window.notified = [];
  let permission = 'default';
  window.Notification = class {
    constructor(title) { window.notified.push(title); }
    static get permission() { return permission; }
    static async requestPermission() { permission = 'granted'; return permission; }
  };
  Object.defineProperty(document, 'visibilityState', {
    configurable: true, get: () => (window.tabHidden ? 'hidden' : 'visible'),
  });
"""


async def test_a_new_author_builds_a_course_and_learners_watch_it(
    db: Database, web_stack: WebStack, browser: Browser, tmp_path: Path
) -> None:
    existing = await web_stack.author(db)
    taken = f"{existing.hex[:8]}@example.test"
    email = f"new-{uuid.uuid4().hex[:8]}@example.test"
    async with app_context(browser, web_stack, axe=True) as author:
        page = await author.new_page()
        # Sign up on the sign-in page: a weak password and a taken email are said plainly.
        await page.goto(f"{web_stack.web}/sign-in")
        await expect(page).to_have_title("Sign in — Lessons")
        # The live regions are in the page, empty, before anything is said in them.
        await expect(page.get_by_test_id("page-status")).to_have_attribute("role", "status")
        await expect(page.get_by_test_id("page-status")).to_be_empty()
        await expect(page.get_by_test_id("toasts")).to_have_attribute("aria-live", "polite")
        await expect(page.get_by_test_id("toasts")).to_be_empty()
        await page.get_by_role("link", name="Create an account").last.click()
        await expect(page).to_have_title("Create an account — Lessons")
        await page.get_by_label("Email").fill(taken)
        await page.get_by_label("Password").fill("correct horse")
        await page.get_by_role("button", name="Create account").click()
        error = page.get_by_test_id("sign-in-error")
        await expect(error).to_contain_text("already registered")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill("abc")
        await page.get_by_role("button", name="Create account").click()
        await expect(error).to_contain_text("at least 6 characters")
        await _axe(page, "sign-up")
        await _look(page, "sign-up")
        await page.get_by_label("Password").fill("correct horse")
        await page.get_by_role("button", name="Create account").click()
        await expect(page.get_by_test_id("account")).to_contain_text(email)
        await expect(page).to_have_title("Your courses — Lessons")
        await expect(page.get_by_test_id("no-courses")).to_be_visible()

        # A course: the title is required (said next to it), then it opens.
        course_form = page.get_by_test_id("course-form")
        await course_form.get_by_role("button", name="Create course").click()
        await expect(course_form.get_by_test_id("title-error")).to_have_text("Give it a title.")
        await expect(course_form.get_by_label("Title")).to_be_focused()
        await course_form.get_by_label("Title").fill("Baking")
        await course_form.get_by_label("Description").fill("Bread, then cakes.")
        await course_form.get_by_role("button", name="Create course").click()
        await expect(page).to_have_title("Baking — Lessons")
        await expect_said(page, "Course «Baking» created")
        course = page.url.rsplit("/", 1)[1]

        # Another tab, on another page, told of each video "ready" while the tab is hidden.
        other_tab = await author.new_page()
        await other_tab.add_init_script(NOTIFICATION_STAND_IN)
        await other_tab.goto(f"{web_stack.web}/")
        await expect(other_tab.get_by_test_id("course-list")).to_contain_text("Baking")
        counts = other_tab.locator(f"[data-course='{course}'] [data-testid=course-counts]")
        await expect(counts).to_have_text("No lessons yet")
        await other_tab.get_by_role("button", name="Turn on desktop notifications").click()
        await expect(other_tab.get_by_test_id("notification-toggle")).to_contain_text(
            "Desktop notifications are on"
        )
        await other_tab.evaluate("window.tabHidden = true")
        # Back to the course page's tab: a tab in the background has its animation frames
        # throttled, which slows every click Playwright makes there.
        await page.bring_to_front()

        # Two lessons with videos, both uploading at once.
        held = HeldUploads(expected=2)
        await author.route(f"{web_stack.stack.emulator}/upload/**", held.handle)
        lesson_form = page.get_by_test_id("lesson-form")
        for title in ("Kneading", "Proofing"):
            await lesson_form.get_by_label("Title").fill(title)
            await lesson_form.get_by_label("Video").set_input_files(str(SAMPLE))
            await lesson_form.get_by_role("button", name="Add lesson").click()
            await expect_said(page, f"«{title}» added")
        await asyncio.wait_for(held.all_held.wait(), 20)
        kneading, proofing = await _lesson_id(page, "Kneading"), await _lesson_id(page, "Proofing")
        for lesson in (kneading, proofing):
            badge = page.locator(f"[data-lesson='{lesson}'] [data-testid=status]")
            await expect(badge).to_have_attribute("data-status", "uploading")
        await expect(page.get_by_test_id("started-upload")).to_have_count(2)
        await expect(counts).to_have_text("2 lessons: 2 uploading")
        await _look(page, "course-uploading")
        held.released.set()
        for tab in (page, other_tab):
            for lesson, title in ((kneading, "Kneading"), (proofing, "Proofing")):
                toast = tab.locator(f"[data-testid=toast][data-toast-lesson='{lesson}']")
                # Only "ready": the lessons are drafts, learners do not see them (issue 28).
                await expect(toast).to_contain_text(f"«{title}» is ready.", timeout=20_000)
        for lesson in (kneading, proofing):
            badge = page.locator(f"[data-lesson='{lesson}'] [data-testid=status]")
            await expect(badge).to_have_attribute("data-status", "published")
            await expect(badge).to_have_text("Video ready")
        await expect(page.locator(f"li[data-lesson='{kneading}'] img")).to_have_attribute(
            "src", re.compile(r"/thumbnail\.jpg")
        )
        await expect(page.locator(f"li[data-lesson='{kneading}']")).to_contain_text("0:03")
        # The home page in the other tab kept its counts current without being reloaded.
        await expect(counts).to_have_text("2 lessons: 2 ready")
        notified = await other_tab.evaluate("window.notified")
        assert sorted(notified) == ["«Kneading» is ready.", "«Proofing» is ready."]
        await _axe(other_tab, "home with notifications")
        await _axe(page, "course page (author)")
        await _look(page, "course-author")
        # Success toasts go by themselves (a hidden tab keeps them until it is seen), and the
        # header's list keeps them.
        await expect(page.get_by_test_id("toast")).to_have_count(0, timeout=15_000)
        await expect(other_tab.get_by_test_id("toast")).to_have_count(2)
        await page.get_by_test_id("notifications-button").click()
        listed = page.get_by_test_id("notifications-list")
        await expect(listed.get_by_test_id("notification")).to_have_count(2)
        await expect(listed).to_contain_text("«Kneading» is ready.")
        await page.keyboard.press("Escape")
        await expect(page.get_by_test_id("notifications-button")).to_be_focused()

        # Reorder: by dragging once, by keyboard once.
        assert await _order(page) == [kneading, proofing]
        await page.locator(f"li[data-lesson='{proofing}']").drag_to(
            page.locator(f"li[data-lesson='{kneading}']")
        )
        await expect_said(page, "«Proofing» moved to position 1 of 2")
        assert await _order(page) == [proofing, kneading]
        await page.get_by_role("button", name="Move «Proofing» down").focus()
        await page.keyboard.press("Enter")
        await expect_said(page, "«Proofing» moved to position 2 of 2")
        await expect(page.get_by_role("button", name="Move «Proofing» up")).to_be_focused()
        assert await _order(page) == [kneading, proofing]
        rows = await db.call_all(
            "select id from lessons where course_id = %s order by position", (course,)
        )
        assert [str(row["id"]) for row in rows] == [kneading, proofing]

        # Rename one.
        await page.get_by_role("button", name="Edit «Kneading»").click()
        row = page.locator(f"li[data-lesson='{kneading}']")
        await row.get_by_label("Title").fill("Kneading dough")
        await row.get_by_role("button", name="Save changes").click()
        await expect(page.get_by_role("link", name="Kneading dough", exact=True)).to_be_visible()
        await expect(page.get_by_role("button", name="Edit «Kneading dough»")).to_be_focused()

        # Delete the other: its video goes at Mux too.
        asset = (await lesson_row(db, uuid.UUID(proofing)))["mux_asset_id"]
        await page.get_by_role("button", name="Delete «Proofing»").click()
        await expect(page.get_by_test_id("confirm-delete-lesson")).to_contain_text(
            "Its video is deleted at Mux too"
        )
        await page.get_by_role("button", name="Delete the lesson").click()
        await expect(page.locator(f"li[data-lesson='{proofing}']")).to_have_count(0)
        await expect_said(page, "Deleted «Proofing»")
        await _wait_until_gone_at_emulator(web_stack, asset)

        # A lesson without a video yet: learners must not see it.
        await lesson_form.get_by_label("Title").fill("Shaping")
        await lesson_form.get_by_role("button", name="Add lesson").click()
        await expect(page.get_by_role("link", name="Shaping", exact=True)).to_be_visible()
        # Published by the author (issue 28): the lesson with its video, and the course.
        await page.get_by_role("button", name="Publish «Kneading dough»").click()
        await page.get_by_role("button", name="Publish «Shaping»").click()
        await page.get_by_role("button", name="Publish course").click()
        await expect_said(page, "«Baking» is public")
        await page.get_by_role("button", name="Sign out").click()
        await expect_said(page, "You are signed out")
        await expect(page.get_by_test_id("account")).to_contain_text("Sign in")

    # Learners, anonymous and signed in, see the published lesson only, and play it.
    other = await web_stack.author(db)
    for who in ("anonymous", "signed-in"):
        async with app_context(browser, web_stack, axe=True) as learner:
            page = await learner.new_page()
            if who == "anonymous":
                await page.goto(f"{web_stack.web}/")
                card = page.locator(f"[data-testid=catalog] [data-course='{course}']")
                await expect(card).to_contain_text("Baking")
                await expect(card).to_contain_text("1 lesson")
                await expect(card.locator("img")).to_have_attribute(
                    "src", re.compile(r"/thumbnail\.jpg")
                )
                await _axe(page, "home (signed out)")
                await _look(page, "home-signed-out")
                await card.get_by_role("link").click()
            else:
                await page.goto(web_stack.signed_in_url(other, f"/courses/{course}"))
            await expect(page).to_have_title("Baking — Lessons")
            listing = page.get_by_test_id("lesson-list")
            await expect(listing.locator("li")).to_have_count(1)
            await expect(listing).to_contain_text("Kneading dough")
            await expect(listing).to_contain_text("0:03")
            assert await page.get_by_test_id("status").count() == 0
            assert await page.get_by_text("Live", exact=True).count() == 0
            await _axe(page, f"course page ({who} learner)")
            if who == "anonymous":
                await _look(page, "course-learner")
            await listing.get_by_role("link").click()
            await expect(page).to_have_title("Kneading dough — Lessons")
            await page.get_by_test_id("play").click()  # the player loads only now
            assert (await _player_state(page))["readyState"] >= 2
            assert await page.get_by_test_id("status").count() == 0
            assert await page.get_by_text("Live", exact=True).count() == 0
            assert await page.locator("mux-uploader").count() == 0
            await _axe(page, f"lesson page ({who} learner)")
            if who == "anonymous":
                await _look(page, "lesson-learner")

    # A learner's course page follows the course's lessons: the author renames one, and the
    # page shows it without being reloaded.
    async with app_context(browser, web_stack) as learner:
        page = await learner.new_page()
        await page.goto(f"{web_stack.web}/courses/{course}")
        listing = page.get_by_test_id("lesson-list")
        await expect(listing).to_contain_text("Kneading dough")
        async with db.service_session() as conn:
            await conn.execute(
                "update lessons set title = 'Kneading by hand' where id = %s", (kneading,)
            )
        await expect(listing).to_contain_text("Kneading by hand")
        await expect(listing.locator("li")).to_have_count(1)
        assert await page.get_by_text("Live", exact=True).count() == 0


async def _tab_to(page: Page, selector: str, key: str = "Tab", most: int = 60) -> None:
    """Presses Tab (or Shift+Tab) until the element `selector` names has the focus; then its
    focus must be visible (`:focus-visible`, an outline at least 2 px wide)."""
    for _ in range(most):
        await page.keyboard.press(key)
        if await page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            break
    else:
        raise AssertionError(f"{selector} never took the focus by {key}")
    ring = await page.evaluate(
        """() => { const el = document.activeElement; const style = getComputedStyle(el);
                   return {visible: el.matches(':focus-visible'), style: style.outlineStyle,
                           width: parseFloat(style.outlineWidth)}; }"""
    )
    assert ring["visible"] and ring["style"] != "none" and ring["width"] >= 2, ring


async def test_an_author_works_by_keyboard_two_tabs_collide_and_an_upload_is_cancelled(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Keyboard course")
    first = await create_lesson(db, author, course, title="First")
    async with app_context(browser, web_stack, axe=True) as ctx:
        page = await ctx.new_page()
        await page.goto(web_stack.signed_in_url(author, "/"))
        await expect(page.get_by_test_id("course-list")).to_contain_text("Keyboard course")
        await page.get_by_role("button", name="Rename «Keyboard course»").click()
        row = page.locator(f"[data-course='{course}']")
        await row.get_by_label("Title").fill("Keys only")
        await row.get_by_role("button", name="Save changes").click()
        await expect_said(page, "Saved «Keys only»")
        await expect(page.get_by_role("button", name="Rename «Keys only»")).to_be_focused()
        await expect(row).to_contain_text("1 lesson: 1 without a video yet")
        await _axe(page, "home (author)")
        await _look(page, "home-author")

        # By keyboard alone: open the course, add a lesson, move it up, open it, rename it.
        await _tab_to(page, f"a[href='/courses/{course}']")
        await page.keyboard.press("Enter")
        await expect(page).to_have_title("Keys only — Lessons")
        await _tab_to(page, "[data-testid=lesson-form] input[name=title]")
        await page.keyboard.type("Second")
        await page.keyboard.press("Enter")
        await expect_said(page, "«Second» added")
        await expect(page.locator("[data-testid=lesson-list] > li")).to_have_count(2)
        second = await _lesson_id(page, "Second")
        await _tab_to(page, "button[aria-label='Move «Second» up']", key="Shift+Tab")
        await page.keyboard.press("Space")
        await expect_said(page, "«Second» moved to position 1 of 2")
        assert await _order(page) == [second, str(first)]
        focused = await page.evaluate("document.activeElement.getAttribute('aria-label')")
        assert focused == "Move «Second» down"  # the focus stayed with the lesson it moved

        # A lesson added elsewhere while a move is on its way: the service refuses the move
        # (409 order_mismatch) and the page shows the current order and says so.
        order_url = f"{web_stack.stack.service}/api/courses/{course}/lesson-order"

        async def add_one_first(route: Any) -> None:
            async with httpx.AsyncClient(base_url=web_stack.stack.service) as http:
                added = await http.post(
                    f"/api/courses/{course}/lessons",
                    json={"title": "Added elsewhere"},
                    headers={"Authorization": f"Bearer {hs256(author)}"},
                )
            assert added.status_code == 201, added.text
            await route.continue_()

        await page.route(order_url, add_one_first)
        await page.keyboard.press("Enter")  # "Move «Second» down" still has the focus
        await expect(page.get_by_test_id("order-problem")).to_contain_text(
            "The list now shows their current order"
        )
        await page.unroute(order_url)
        await expect(page.locator("[data-testid=lesson-list] > li")).to_have_count(3)
        await expect(page.locator("[data-testid=lesson-list] > li").last).to_contain_text(
            "Added elsewhere"
        )
        assert (await _order(page))[:2] == [second, str(first)]
        await _tab_to(page, f"a[href='/lessons/{second}']", key="Shift+Tab")
        await page.keyboard.press("Enter")
        await expect(page).to_have_title("Second — Lessons")
        await _tab_to(page, "[data-testid=lesson-form] input[name=title]")
        await page.keyboard.press("ControlOrMeta+A")
        await page.keyboard.type("Second, by keyboard")
        await page.keyboard.press("Enter")
        await expect_said(page, "Saved «Second, by keyboard»")
        await expect(page).to_have_title("Second, by keyboard — Lessons")

        # The service's 422 is said next to the field it names.
        async def refuse_description(route: Any) -> None:
            if route.request.method != "PATCH":
                await route.fallback()
                return
            await route.fulfill(
                status=422,
                json={
                    "error": {
                        "code": "invalid_request",
                        "field": "description",
                        "message": "description must be at most 2000 characters.",
                    }
                },
            )

        lesson_url = f"{web_stack.stack.service}/api/lessons/{second}"
        await page.route(lesson_url, refuse_description)
        await page.get_by_role("button", name="Save changes").click()
        description = page.get_by_label("Description")
        await expect(page.get_by_test_id("description-error")).to_have_text(
            "description must be at most 2000 characters."
        )
        await expect(description).to_have_attribute("aria-invalid", "true")
        await expect(description).to_be_focused()
        await page.unroute(lesson_url)

        # Two tabs edit the same lesson: the stale save is told so, sees the current version,
        # and may save its own over it.
        other = await ctx.new_page()
        await other.goto(f"{web_stack.web}/lessons/{second}")
        await expect(other.get_by_label("Title")).to_have_value("Second, by keyboard")
        await other.get_by_label("Title").fill("Second, from tab two")  # tab two is editing
        await page.bring_to_front()  # (a background tab's frames are throttled)
        await page.get_by_label("Title").fill("Second, from tab one")
        await page.get_by_role("button", name="Save changes").click()
        await expect_said(page, "Saved «Second, from tab one»")
        await other.bring_to_front()
        await expect(other.get_by_test_id("newer-version")).to_be_visible()
        await other.get_by_role("button", name="Save changes").click()
        conflict = other.get_by_test_id("edit-conflict")
        await expect(conflict).to_contain_text("changed elsewhere since you opened it")
        await expect(other.get_by_test_id("current-title")).to_have_text("Second, from tab one")
        await expect(conflict).to_be_focused()
        await _axe(other, "lesson page with an edit conflict")
        assert (await lesson_row(db, uuid.UUID(second)))["title"] == "Second, from tab one"
        await other.get_by_role("button", name="Save my changes over it").click()
        await expect_said(other, "Saved «Second, from tab two»")
        await expect(conflict).to_have_count(0)
        assert (await lesson_row(db, uuid.UUID(second)))["title"] == "Second, from tab two"

        # Publish a video, then replace it and cancel the replacement mid-upload: the browser
        # stops sending, the service cancels, the old video stays, the panel closes.
        await page.bring_to_front()
        await page.goto(f"{web_stack.web}/lessons/{first}")
        await _choose_file(page, SAMPLE)
        await _expect_status(page, "published")
        old = (await lesson_row(db, first))["mux_playback_id"]
        await _axe(page, "lesson page (author, published)")
        await _look(page, "lesson-author")
        held = HeldUploads(expected=1)
        await ctx.route(f"{web_stack.stack.emulator}/upload/**", held.handle)
        aborted: list[str] = []  # upload requests the browser gave up
        page.on(
            "requestfailed",
            lambda r: aborted.append(r.failure or "") if r.method == "PUT" else None,
        )
        await page.get_by_test_id("replace-video").click()
        chooser = page.get_by_role("button", name="Choose a video file")
        await expect(chooser).to_be_focused()
        await _choose_file(page, SAMPLE)
        await expect(page.get_by_test_id("upload-progress")).to_be_focused()
        await asyncio.wait_for(held.all_held.wait(), 20)
        await _expect_status(page, "uploading")
        upload_id = (await lesson_row(db, first))["mux_upload_id"]
        # Moving inside the app does not ask, and the upload goes on (the uploads tray).
        asked: list[str] = []
        page.on("dialog", lambda dialog: asked.append(dialog.message))
        await page.get_by_role("link", name="Back to the course").click()
        await expect(page).to_have_title("Keys only — Lessons")
        await expect(page.get_by_test_id("upload-tray")).to_contain_text("First")
        await page.go_back()
        await expect(page).to_have_url(re.compile(f"/lessons/{first}$"))
        assert asked == []
        await page.get_by_test_id("cancel-upload").click()
        message = page.get_by_test_id("action-message")
        await expect(message).to_have_text(
            "Upload cancelled. The lesson keeps the video it had before."
        )
        await expect(message).to_be_focused()
        assert aborted == ["net::ERR_ABORTED"]  # the browser stopped sending it first
        await _expect_status(page, "published")
        await expect(page.get_by_test_id("replace-video")).to_be_visible()
        held.released.set()
        upload = f"/video/v1/uploads/{upload_id}"
        for _ in range(100):  # cancelled at Mux (the emulator)
            if (await _at_emulator(web_stack, upload)).json()["data"]["status"] == "cancelled":
                break
            await asyncio.sleep(0.2)
        assert (await _at_emulator(web_stack, upload)).json()["data"]["status"] == "cancelled"
        await expect(page.get_by_test_id("upload-error")).to_have_count(0)
        await expect(page.get_by_test_id("player")).to_have_attribute("data-playback-id", old)
        assert (await lesson_row(db, first))["mux_playback_id"] == old
        # Told once that the video was ready; not again when the cancelled replacement left
        # the lesson with the video it had.
        told = page.locator(f"[data-testid=notification][data-notification-lesson='{first}']")
        await expect(told).to_have_count(1)
        await expect(told).to_contain_text("«First» is ready and now visible to learners.")

        # The course goes from the home page, its lessons with it, its video at Mux too.
        asset = (await lesson_row(db, first))["mux_asset_id"]
        await page.get_by_role("link", name="Lessons", exact=True).click()
        await page.get_by_role("button", name="Delete «Keys only»").click()
        confirm = page.get_by_test_id("confirm-delete-course")
        await expect(confirm).to_contain_text("and its 3 lessons? Their videos are deleted at Mux")
        await expect(confirm.locator("p")).to_be_focused()
        await _look(page, "home-confirm-delete")
        await expect(told).to_have_count(1)
        await confirm.get_by_role("button", name="Delete the course").click()
        await expect_said(page, "Deleted «Keys only»")
        await expect(page.get_by_test_id("no-courses")).to_be_visible()
        await _wait_until_gone_at_emulator(web_stack, asset)


async def test_every_page_sends_its_security_headers(web_stack: WebStack) -> None:
    """W4: every page, the not-found one included, with a policy built for this deployment at
    request time (its service, Supabase and emulator, nothing else) and a fresh nonce that
    every script Next.js renders carries."""
    await web_stack.stack.wait_for("web", f"{web_stack.web}/sign-in")
    pages = ["/", "/sign-in", f"/lessons/{uuid.uuid4()}", f"/courses/{uuid.uuid4()}", "/nowhere"]
    nonces = set()
    async with httpx.AsyncClient(base_url=web_stack.web, timeout=20) as http:
        for path in pages:
            response = await http.get(path)
            assert response.status_code in (200, 404), path
            assert page_header_problems(path, dict(response.headers)) == []
            csp = _directives(response.headers["content-security-policy"])
            [nonce] = [s[7:-1] for s in csp["script-src"] if s.startswith("'nonce-")]
            nonces.add(nonce)
            scripts = re.findall(r"<script\b[^>]*>", response.text)
            assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
            for origin in (web_stack.stack.service, web_stack.auth.public_url):
                assert origin in csp["connect-src"]
            assert web_stack.stack.emulator in csp["media-src"]
            policy = response.headers["content-security-policy"]
            assert "mux.com" not in policy and "litix" not in policy  # the emulator instead
        asset = re.search(r'src="(/_next/static/[^"]+\.js)"', response.text)
        assert asset is not None
        static = await http.get(asset.group(1))
        assert static.headers["x-content-type-options"] == "nosniff"
    assert len(nonces) == len(pages)  # one per request


def _evil_targets(evil: str) -> list[str]:
    """`next=` values that must never leave the site (W1), `evil` being another origin's
    host:port. As they appear in the sign-in URL (percent-encoded where a browser would)."""
    return [
        f"/%5C{evil}/",  # /\host: a backslash is a slash to the URL parser
        f"/%5C%5C{evil}/",
        f"/%09/{evil}/",  # a tab is dropped by the URL parser: //host
        f"/%0A/{evil}/",
        f"/%0D%0A/{evil}/",
        f"//{evil}/",
        f"%2F%2F{evil}/",
        f"/%2F{evil}/",
        f"http://{evil}/",
        f"https:{evil}/",
        "javascript:alert(document.domain)",
        f"/%E3%80%80/{evil}",  # not a separator, but not the site's path either
    ]


async def test_sign_in_never_sends_anyone_to_another_origin(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    user = await web_stack.author(db)
    email = f"{user.hex[:8]}@example.test"
    evil = urlsplit(web_stack.stack.emulator).netloc  # a real origin on this machine
    ctx = await browser.new_context()
    try:
        await ctx.route(lambda url: not _is_local(url), lambda route: route.abort())
        page = await ctx.new_page()
        for target in _evil_targets(evil):
            await page.goto(f"{web_stack.web}/sign-in?next={target}")
            await page.get_by_label("Email").fill(email)
            await page.get_by_label("Password").fill(email)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url(lambda url: "/sign-in" not in url, timeout=10_000)
            await page.wait_for_load_state()
            assert urlsplit(page.url).netloc == urlsplit(web_stack.web).netloc, (target, page.url)
        # A path on the site is followed, query and fragment kept.
        await page.goto(f"{web_stack.web}/sign-in?next=/courses/{uuid.uuid4()}%3Fa%3D1")
        await page.get_by_label("Email").fill(email)
        await page.get_by_label("Password").fill(email)
        await page.get_by_role("button", name="Sign in").click()
        await page.wait_for_url(re.compile(r"/courses/[0-9a-f-]+\?a=1$"), timeout=10_000)
    finally:
        await ctx.close()


async def test_another_site_cannot_frame_the_lesson_editor(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    """W5: the editor's Remove video and Cancel upload cannot be clickjacked: a page of
    another origin that frames it is shown nothing (the refusal is itself a CSP violation,
    so this profile does not count them)."""
    author = await web_stack.author(db)
    lesson = await create_lesson(db, author)
    ctx = await browser.new_context()
    try:
        await ctx.route(lambda url: not _is_local(url), lambda route: route.abort())
        page = await ctx.new_page()
        await page.goto(f"{web_stack.stack.emulator}/_emulator/stats")  # another origin
        editor = web_stack.signed_in_url(author, f"/lessons/{lesson}")
        await page.set_content(f'<iframe src="{editor}" width="900" height="700"></iframe>')
        await expect_not_framed(page, f"{web_stack.web}/lessons/")
    finally:
        await ctx.close()


# ---------------------------------------------------------------------------------------------
# No work lost, nothing in the way (issue 29).


async def test_an_upload_goes_on_when_the_author_goes_back_and_leaving_the_app_asks(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Travels")
    lesson = await create_lesson(db, author, course, title="Travelling upload")
    async with app_context(browser, web_stack, axe=True) as ctx:
        page = await ctx.new_page()
        dialogs: list[str] = []
        await page.goto(web_stack.signed_in_url(author, "/"))
        await expect(page.get_by_test_id("account")).to_contain_text("@example.test")
        # (The magic link's fragment, cleared, leaves a history entry of its own: not Back's.)
        await page.goto(f"{web_stack.web}/courses/{course}")
        await page.get_by_role("link", name="Travelling upload").click()
        await expect(page).to_have_title("Travelling upload — Lessons")
        await _expect_status(page, "draft")
        held = HeldUploads(expected=1)
        await ctx.route(f"{web_stack.stack.emulator}/upload/**", held.handle)
        aborted: list[str] = []
        page.on("requestfailed", lambda r: aborted.append(r.url) if r.method == "PUT" else None)
        await _choose_file(page, SAMPLE)
        await asyncio.wait_for(held.all_held.wait(), 20)
        await _expect_status(page, "uploading")
        tray = page.get_by_test_id("upload-tray")
        await expect(tray).to_contain_text("Travelling upload")
        await expect(
            tray.get_by_role("button", name="Cancel upload of «Travelling upload»")
        ).to_be_visible()

        # The browser's Back: the course page, at once, and the upload goes on (tray, row).
        async def stay(dialog: Any) -> None:
            dialogs.append(dialog.type)
            await dialog.dismiss()

        page.on("dialog", stay)
        await page.go_back()
        await expect(page).to_have_title("Travels — Lessons")
        await expect(tray).to_contain_text("Travelling upload")
        row = page.locator(f"li[data-lesson='{lesson}']")
        await expect(row.get_by_test_id("row-upload")).to_be_visible()
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            await _axe(page, f"course page with an upload in the tray at {width} px")
        await page.set_viewport_size({"width": 1100, "height": 900})
        assert dialogs == []  # in-app navigation never asks

        # Leaving the app asks first; staying keeps the upload.
        with contextlib.suppress(PlaywrightError):
            await page.goto("about:blank", timeout=5_000)
        assert dialogs == ["beforeunload"]
        await expect(page).to_have_title("Travels — Lessons")

        held.released.set()
        badge = row.get_by_test_id("status")
        await expect(badge).to_have_attribute("data-status", "published", timeout=20_000)
        assert aborted == []
        assert (await lesson_row(db, lesson))["status"] == "published"


async def _patch_as(
    web_stack: WebStack, author: uuid.UUID, path: str, fields: dict[str, Any]
) -> None:
    """Another tab's save, through the service's API."""
    async with httpx.AsyncClient(base_url=web_stack.stack.service) as http:
        done = await http.patch(
            path,
            json=fields,
            headers={"Authorization": f"Bearer {hs256(author)}", "Origin": web_stack.web},
        )
    assert done.status_code == 200, done.text


async def test_saving_mine_after_a_conflict_keeps_what_another_tab_changed(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Merging")
    lesson = await create_lesson(db, author, course, title="Original title")
    async with app_context(browser, web_stack, axe=True) as ctx:
        # A lesson: this tab changes only the description; another renamed it meanwhile.
        page = await ctx.new_page()
        await page.goto(web_stack.signed_in_url(author, f"/lessons/{lesson}"))
        details = page.get_by_test_id("lesson-form")
        await expect(details.get_by_label("Title")).to_have_value("Original title")
        await details.get_by_label("Description").fill("Described in B")
        await _patch_as(web_stack, author, f"/api/lessons/{lesson}", {"title": "Renamed in A"})
        # The form being edited keeps the author's text, and says a newer version exists.
        await expect(details.get_by_test_id("newer-version")).to_contain_text("«Renamed in A»")
        await expect(details.get_by_label("Title")).to_have_value("Original title")
        await details.get_by_role("button", name="Save changes").click()
        conflict = page.get_by_test_id("edit-conflict")
        await expect(conflict).to_be_focused()
        fields = conflict.get_by_test_id("conflict-fields")
        await expect(fields.locator("[data-field=title]")).to_have_text(
            "Title: changed elsewhere to «Renamed in A». You did not change it, so it keeps that."
        )
        await expect(fields.locator("[data-field=description]")).to_have_text(
            "Description: you changed it to «Described in B»; saving yours writes that."
        )
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            await _axe(page, f"lesson page with a field-by-field conflict at {width} px")
        await page.set_viewport_size({"width": 1100, "height": 900})
        await conflict.get_by_role("button", name="Save my changes over it").click()
        await expect(conflict).to_have_count(0)
        row = await lesson_row(db, lesson)
        assert (row["title"], row["description"]) == ("Renamed in A", "Described in B")
        await expect(details.get_by_label("Title")).to_have_value("Renamed in A")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Renamed in A")

        # A course, renamed on the home page: another tab changed its description meanwhile.
        await page.goto(f"{web_stack.web}/")
        await page.get_by_role("button", name="Rename «Merging»").click()
        form = page.locator(f"[data-course='{course}'] [data-testid=course-form]")
        await expect(form.get_by_label("Title")).to_have_value("Merging")
        await form.get_by_label("Title").fill("Merged")
        await _patch_as(web_stack, author, f"/api/courses/{course}", {"description": "From A"})
        await expect(form.get_by_test_id("newer-version")).to_be_visible()
        await form.get_by_role("button", name="Save changes").click()
        conflict = form.get_by_test_id("edit-conflict")
        await expect(conflict.locator("[data-field=description]")).to_contain_text(
            "changed elsewhere to «From A». You did not change it"
        )
        await conflict.get_by_role("button", name="Save my changes over it").click()
        await expect_said(page, "«Merged»")
        async with httpx.AsyncClient(base_url=web_stack.stack.service) as http:
            now = await http.get(
                f"/api/courses/{course}",
                headers={"Authorization": f"Bearer {hs256(author)}", "Origin": web_stack.web},
            )
        assert (now.json()["title"], now.json()["description"]) == ("Merged", "From A")


async def test_an_empty_or_non_video_file_is_refused_before_any_request(
    db: Database, web_stack: WebStack, browser: Browser, tmp_path: Path
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Careful files")
    lesson = await create_lesson(db, author, course, title="Needs a real video")
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    slides = tmp_path / "slides.pdf"
    slides.write_bytes(b"%PDF-1.4 not a video\n" * 20)
    async with app_context(browser, web_stack, axe=True) as ctx:
        page = await ctx.new_page()
        asked: list[str] = []  # what the page asked of the service, beyond reading
        page.on(
            "request",
            lambda r: (
                asked.append(f"{r.method} {urlsplit(r.url).path}")
                if r.url.startswith(web_stack.stack.service) and r.method != "GET"
                else None
            ),
        )
        await page.goto(web_stack.signed_in_url(author, f"/lessons/{lesson}"))
        await _expect_status(page, "draft")
        refused = page.get_by_test_id("upload-refused")
        await _choose_file(page, empty)
        await expect(refused).to_have_text(
            "«empty.mp4» is empty (0 bytes). Choose the video file itself."
        )
        await _choose_file(page, slides)
        await expect(refused).to_contain_text("«slides.pdf» is not a video file")
        await _axe(page, "lesson page with a refused file")
        await _expect_status(page, "draft")
        assert asked == []

        # The new-lesson form says it next to the field and adds nothing.
        await page.goto(f"{web_stack.web}/courses/{course}")
        form = page.get_by_test_id("lesson-form")
        await form.get_by_label("Title").fill("Empty one")
        await form.get_by_label("Video").set_input_files(str(empty))
        await expect(form.get_by_test_id("video-error")).to_contain_text("is empty (0 bytes)")
        await expect(form.get_by_label("Video")).to_have_attribute("aria-invalid", "true")
        await form.get_by_role("button", name="Add lesson").click()
        await expect(form.get_by_label("Video")).to_be_focused()
        await _axe(page, "lesson form with a refused file")
        assert asked == []
        assert await page.locator("[data-testid=lesson-list] > li").count() == 1
    assert (await lesson_row(db, lesson))["status"] == "draft"


async def test_an_upload_no_tab_is_sending_says_upload_interrupted(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Interrupted")
    lesson = await create_lesson(db, author, course, title="Half sent")
    other = await create_lesson(db, author, course, title="Closed with the tab")
    async with app_context(browser, web_stack, axe=True) as ctx:
        home = await ctx.new_page()
        await home.goto(web_stack.signed_in_url(author, "/"))
        counts = home.locator(f"[data-course='{course}'] [data-testid=course-counts]")
        await expect(counts).to_have_text("2 lessons: 2 without a video yet")
        held = HeldUploads(expected=1)
        await ctx.route(f"{web_stack.stack.emulator}/upload/**", held.handle)
        sender = await ctx.new_page()
        await sender.goto(f"{web_stack.web}/lessons/{lesson}")
        await _expect_status(sender, "draft")
        await _choose_file(sender, SAMPLE)
        await asyncio.wait_for(held.all_held.wait(), 20)
        await _expect_status(sender, "uploading")
        # Another tab of this browser knows the file is being sent: "uploading".
        await expect(counts).to_have_text("2 lessons: 1 uploading, 1 without a video yet")

        # The sending tab crashes: nothing says "leave?", nothing tells the service.
        cdp = await ctx.new_cdp_session(sender)
        with contextlib.suppress(PlaywrightError, asyncio.TimeoutError):
            await asyncio.wait_for(cdp.send("Page.crash"), 2)
        await expect(counts).to_have_text(
            "2 lessons: 1 without a video yet, 1 upload interrupted", timeout=15_000
        )
        page = await ctx.new_page()
        await page.bring_to_front()  # focus is checked below: this tab must be the active one
        await page.goto(f"{web_stack.web}/lessons/{lesson}")
        notice = page.get_by_test_id("upload-interrupted")
        await expect(notice).to_contain_text("Upload interrupted.")
        await expect(page.get_by_test_id("status")).to_have_text("Upload interrupted")
        await expect(page.get_by_test_id("cancel-upload")).to_be_visible()
        for width in WIDTHS:
            await page.set_viewport_size({"width": width, "height": 900})
            await _axe(page, f"lesson page, upload interrupted, at {width} px")
        await page.set_viewport_size({"width": 1100, "height": 900})
        held.released.set()
        await notice.get_by_role("button", name="Upload again").click()
        await expect(page.get_by_role("button", name="Choose a video file")).to_be_focused()
        await _choose_file(page, SAMPLE)
        await _expect_status(page, "published")
        await expect(notice).to_have_count(0)

        # A tab closed mid-upload, the author having agreed to leave: the service is told at
        # once (the upload is cancelled), instead of an hour later.
        # (Mux answers 503 for now: UpChunk is trying again when the tab closes.)
        await ctx.unroute(f"{web_stack.stack.emulator}/upload/**")
        attempted = asyncio.Event()

        async def busy(route: Any) -> None:
            if route.request.method != "PUT":
                await route.fallback()
                return
            attempted.set()
            await route.fulfill(
                status=503, body="busy", headers={"Access-Control-Allow-Origin": "*"}
            )

        await ctx.route(f"{web_stack.stack.emulator}/upload/**", busy)
        await page.goto(f"{web_stack.web}/lessons/{other}")
        await _expect_status(page, "draft")
        await _choose_file(page, SAMPLE)
        await asyncio.wait_for(attempted.wait(), 20)
        await _expect_status(page, "uploading")
        page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
        await page.close(run_before_unload=True)
        for _ in range(50):
            if (await lesson_row(db, other))["status"] != "uploading":
                break
            await asyncio.sleep(0.2)
        assert (await lesson_row(db, other))["status"] in ("cancelled", "draft")


def _intersect(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def test_notices_go_by_themselves_or_stay_out_of_the_way(
    db: Database, web_stack: WebStack, browser: Browser, tmp_path: Path
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Quiet notices")
    lesson = await create_lesson(db, author, course, title="Ready soon")
    notes = tmp_path / "notes.mp4"
    notes.write_text("these are lecture notes, not a video\n" * 50)
    async with app_context(browser, web_stack, axe=True) as ctx:
        page = await ctx.new_page()
        await page.goto(web_stack.signed_in_url(author, f"/lessons/{lesson}"))
        await _expect_status(page, "draft")
        await _choose_file(page, SAMPLE)
        toast = page.get_by_test_id("toast")
        await expect(toast).to_contain_text(
            "«Ready soon» is ready and now visible to learners.", timeout=20_000
        )
        # The status line no longer says what is not true any more.
        await expect(page.get_by_test_id("page-status")).not_to_contain_text("processing")
        # Held while the pointer is on it; gone by itself once it leaves.
        await toast.hover()
        await page.wait_for_timeout(7_500)
        await expect(toast).to_have_count(1)
        await page.mouse.move(5, 400)
        await expect(toast).to_have_count(0, timeout=10_000)
        await page.get_by_test_id("notifications-button").click()
        listed = page.get_by_test_id("notifications-list")
        await expect(listed.get_by_test_id("notification")).to_have_text(
            ["«Ready soon» is ready and now visible to learners."]
        )
        await _axe(page, "notifications list")
        await page.keyboard.press("Escape")

        # Failures stay until dismissed; on a phone at most two show, and never over the
        # focused control.
        await page.set_viewport_size({"width": 390, "height": 800})
        await page.goto(f"{web_stack.web}/courses/{course}")
        form = page.get_by_test_id("lesson-form")
        for title in ("Bad one", "Bad two", "Bad three"):
            await form.get_by_label("Title").fill(title)
            await form.get_by_label("Video").set_input_files(str(notes))
            await form.get_by_role("button", name="Add lesson").click()
            await expect_said(page, f"«{title}» added")
        await expect(toast).to_have_count(3, timeout=30_000)
        await page.wait_for_timeout(7_000)
        await expect(toast).to_have_count(3)
        await page.evaluate("document.activeElement.blur()")
        await page.wait_for_timeout(300)
        shown = [t for t in await toast.all() if await t.is_visible()]
        assert len(shown) == 2
        await _axe(page, "course page with failures at 390 px")
        add = form.get_by_role("button", name="Add lesson")
        await add.evaluate("b => b.scrollIntoView({block: 'end'})")
        await add.focus()
        await page.wait_for_timeout(300)
        control = await add.bounding_box()
        assert control is not None
        for one in await toast.all():
            box = await one.bounding_box()
            if box is not None and await one.is_visible():
                assert not _intersect(box, control), (box, control)
        # Pressed as a person presses (held a moment): the notices must not move between the
        # press, which focuses the button, and the release, or the click is lost.
        dismiss = page.get_by_role("button", name="Dismiss the notification about «Bad three»")
        await dismiss.click(delay=200)
        await expect(toast).to_have_count(2)


async def test_focus_follows_the_author_and_every_page_has_a_favicon(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Focus course")
    await create_lesson(db, author, course, title="Focus lesson")
    async with httpx.AsyncClient() as http:
        icon = await http.get(f"{web_stack.web}/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/")
    async with app_context(browser, web_stack, axe=True) as ctx:
        page = await ctx.new_page()
        await page.goto(web_stack.signed_in_url(author, "/"))
        await expect(page.locator("link[rel~=icon]")).to_have_count(1)
        # After moving to a page, focus is on its heading, not the document's body.
        await page.get_by_role("link", name="Open «Focus course»").click()
        await expect(page).to_have_title("Focus course — Lessons")
        await expect(page.get_by_role("heading", level=1)).to_be_focused()
        # Edit moves focus into its form (the course's, a lesson's row).
        await page.get_by_role("button", name="Edit course").click()
        await expect(page.get_by_test_id("course-form").get_by_label("Title")).to_be_focused()
        await page.get_by_test_id("course-form").get_by_role("button", name="Cancel").click()
        await page.get_by_role("button", name="Edit «Focus lesson»").click()
        row_form = page.locator("[data-testid=lesson-list] [data-testid=lesson-form]")
        await expect(row_form.get_by_label("Title")).to_be_focused()
        await row_form.get_by_role("button", name="Cancel").click()

        # A new lesson's upload: "Cancel upload" is named with its visible text first.
        held = HeldUploads(expected=1)
        await ctx.route(f"{web_stack.stack.emulator}/upload/**", held.handle)
        form = page.locator("section:has(#add-lesson-heading) [data-testid=lesson-form]")
        await form.get_by_label("Title").fill("Second")
        await form.get_by_label("Video").set_input_files(str(SAMPLE))
        await form.get_by_role("button", name="Add lesson").click()
        await asyncio.wait_for(held.all_held.wait(), 20)
        cancels = page.get_by_role("button", name="Cancel upload of «Second»", exact=True)
        await expect(cancels).to_have_count(2)  # under the form, and in the uploads tray
        for button in await cancels.all():
            assert (await button.inner_text()).strip() == "Cancel upload"
        await _axe(page, "course page with an upload under the form")

        # On the lesson's page the upload shows; cancelled, the page says what is left.
        await page.locator("[data-testid=lesson-list]").get_by_role("link", name="Second").click()
        await expect(page).to_have_title("Second — Lessons")
        await expect(page.get_by_role("heading", level=1)).to_be_focused()
        await expect(page.get_by_test_id("upload-progress")).to_be_visible()
        await page.get_by_test_id("cancel-upload").click()
        said = page.get_by_test_id("action-message")
        await expect(said).to_have_text(
            "Upload cancelled. The lesson has no video yet; choose a file to upload."
        )
        await expect(said).to_be_focused()
        held.released.set()
        # An upload that ends leaves focus on what it came to.
        await page.get_by_role("button", name="Choose a video file").focus()
        await _choose_file(page, SAMPLE)
        await expect(page.get_by_test_id("upload-progress")).to_be_focused()
        await _expect_status(page, "published")
        await expect(page.get_by_test_id("notice")).to_be_focused()
        await expect(said).to_have_count(0)  # what was said of the cancel no longer stands
        await page.go_back()
        await expect(page).to_have_title("Focus course — Lessons")
        await expect(page.get_by_role("heading", level=1)).to_be_focused()


async def test_a_rename_elsewhere_shows_at_once_and_spares_a_form_being_edited(
    db: Database, web_stack: WebStack, browser: Browser
) -> None:
    author = await web_stack.author(db)
    course = await create_course(db, author, title="Before")
    lesson = await create_lesson(db, author, course, title="Lesson before")
    async with app_context(browser, web_stack, axe=True) as ctx:
        home = await ctx.new_page()
        await home.goto(web_stack.signed_in_url(author, "/"))
        row = home.locator(f"[data-course='{course}']")
        await expect(row).to_contain_text("Before")
        course_page = await ctx.new_page()
        await course_page.goto(f"{web_stack.web}/courses/{course}")
        await expect(course_page).to_have_title("Before — Lessons")
        # This tab is editing the course: its text stays.
        await course_page.get_by_role("button", name="Edit course").click()
        form = course_page.get_by_test_id("course-form")
        await form.get_by_label("Description").fill("Mine, not saved yet")
        lesson_page = await ctx.new_page()
        await lesson_page.goto(f"{web_stack.web}/lessons/{lesson}")
        await expect(lesson_page).to_have_title("Lesson before — Lessons")
        await expect(lesson_page.get_by_test_id("connection")).to_have_attribute(
            "data-state", "live"
        )
        await expect(course_page.get_by_test_id("connection")).to_have_attribute(
            "data-state", "live"
        )

        # Another tab renames the course: every page showing it follows within a second.
        await _patch_as(
            web_stack, author, f"/api/courses/{course}", {"title": "After", "description": "New"}
        )
        await expect(course_page.get_by_role("heading", level=1)).to_have_text(
            "After", timeout=1_000
        )
        await expect(course_page).to_have_title("After — Lessons", timeout=1_000)
        await expect(row.get_by_role("heading", level=2)).to_have_text("After", timeout=1_000)
        await expect(row).to_contain_text("New")
        await expect(form.get_by_label("Title")).to_have_value("Before")
        await expect(form.get_by_label("Description")).to_have_value("Mine, not saved yet")
        await expect(form.get_by_test_id("newer-version")).to_contain_text("«After»")
        await _axe(course_page, "course page told of a newer version while editing")

        # A lesson renamed elsewhere: its open page follows, its untouched form too.
        await _patch_as(web_stack, author, f"/api/lessons/{lesson}", {"title": "Lesson after"})
        await expect(lesson_page.get_by_role("heading", level=1)).to_have_text(
            "Lesson after", timeout=2_000
        )
        await expect(lesson_page).to_have_title("Lesson after — Lessons")
        details = lesson_page.get_by_test_id("lesson-form")
        await expect(details.get_by_label("Title")).to_have_value("Lesson after")
        await expect(details.get_by_test_id("newer-version")).to_have_count(0)
        # Its description alone, edited elsewhere, follows too.
        await _patch_as(
            web_stack, author, f"/api/lessons/{lesson}", {"description": "Described elsewhere"}
        )
        await expect(details.get_by_label("Description")).to_have_value(
            "Described elsewhere", timeout=2_000
        )
        for tab, where in ((home, "home"), (lesson_page, "lesson page")):
            await tab.bring_to_front()
            await tab.get_by_test_id("notifications-button").click()  # the list, open
            for width in WIDTHS:
                await tab.set_viewport_size({"width": width, "height": 900})
                await _axe(tab, f"{where} with the notifications list at {width} px")
                box = await tab.get_by_test_id("notifications-list").bounding_box()
                assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
            await _look(tab, f"{where.replace(' ', '-')}-notifications")
