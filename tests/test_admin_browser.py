"""The status page in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Page, async_playwright, expect

from mux_emulator.server import BackgroundServer
from service.database.pool import Database
from tests.factories import create_lesson, create_user
from tests.mux_scenario import Video, attach_upload, deliver
from tests.tokens import ADMIN_TOKEN

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def record_csp_violations(page: Page) -> Callable[[], Awaitable[list[str]]]:
    """Every Content-Security-Policy violation in `page` (each document it loads, every frame),
    from `securitypolicyviolation` events and the console's "Refused to ..." messages."""
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text or message.text.startswith("Refused to")
            else None
        ),
    )
    await page.add_init_script(
        """(() => {
          const seen = JSON.parse(sessionStorage.getItem('cspViolations') || '[]');
          window.__cspViolations = seen;
          document.addEventListener('securitypolicyviolation', (e) => {
            seen.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
            sessionStorage.setItem('cspViolations', JSON.stringify(seen));
          });
        })()"""
    )

    async def violations() -> list[str]:
        events: list[str] = []
        for frame in page.frames:
            with contextlib.suppress(Exception):  # a frame without the init script
                events += await frame.evaluate("window.__cspViolations || []")
        return events + console

    return violations


async def expect_not_framed(page: Page, url: str) -> None:
    """`page` frames `url`; the browser refused to show it (frame-ancestors / X-Frame-Options):
    the frame holds an error page, never the framed page's document."""
    await page.wait_for_load_state("load")
    [framed] = [frame for frame in page.frames if frame is not page.main_frame]
    assert not framed.url.startswith(url), framed.url
    assert framed.url.startswith("chrome-error://"), framed.url


pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by `make test`"
)


async def test_operator_watches_a_lesson_publish_live_and_replays_a_dead_event(
    db: Database, live_service: BackgroundServer
) -> None:
    author = await create_user(db)
    video = Video(await create_lesson(db, author, title="Browser lesson"))
    await attach_upload(db, video.lesson_id, video.upload_id)
    stuck = Video(await create_lesson(db, author, title="Stuck lesson"))
    await attach_upload(db, stuck.lesson_id, stuck.upload_id)
    ARTIFACTS.mkdir(exist_ok=True)

    async with (
        httpx.AsyncClient(base_url=live_service.url, timeout=10) as http,
        async_playwright() as playwright,
    ):
        await deliver(http, video.upload_asset_created())
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        violations = await record_csp_violations(page)
        await page.goto(f"{live_service.url}/admin")
        await page.get_by_label("Operator token").fill(ADMIN_TOKEN)
        await page.get_by_role("button", name="Open status page").click()
        row = page.locator(f"tr[data-lesson='{video.lesson_id}']")
        await expect(row.locator(".status")).to_have_text("processing")
        await expect(page.locator("#conn")).to_have_text("live")
        await page.evaluate("window.loadedOnce = true")

        await deliver(http, video.asset_ready())  # a signed webhook, posted from outside
        await expect(row.locator(".status")).to_have_text("published")
        await expect(row.locator(".playback")).to_have_text(video.playback_id)
        assert await page.evaluate("window.loadedOnce") is True  # no reload happened

        broken = stuck.asset_ready(playback_ids=[])
        await deliver(http, broken)
        async with db.service_session() as conn:  # dead, and then its cause is fixed
            await conn.execute(
                "update mux_events set state = 'dead', payload = jsonb_set(payload, "
                '\'{data,playback_ids}\', \'[{"id": "pb-fixed", "policy": "public"}]\') '
                "where id = %s",
                (broken["id"],),
            )
        event_row = page.locator(f"tr[data-event='{broken['id']}']")
        await expect(event_row.locator(".state")).to_have_text("dead")
        await event_row.locator("button.replay").click()
        await expect(event_row.locator(".state")).to_have_text("applied")
        stuck_row = page.locator(f"tr[data-lesson='{stuck.lesson_id}'] .status")
        await expect(stuck_row).to_have_text("published")
        await page.screenshot(path=str(ARTIFACTS / "admin-status-page.png"), full_page=True)
        assert await violations() == []  # the page did all that under its own CSP

        # Another site framing the page (to trick a click on Replay) gets nothing shown.
        framing = await browser.new_page()
        await framing.set_content(f'<iframe src="{live_service.url}/admin"></iframe>')
        await expect_not_framed(framing, f"{live_service.url}/admin")
        await browser.close()
