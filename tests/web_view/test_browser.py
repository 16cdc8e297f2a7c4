"""End to end in headless Chromium: the web view served by uvicorn on a local port, driven by
Playwright through the system's Chromium (``LEADQUAL_TEST_CHROMIUM``, else ``chromium`` on the
path; Playwright's own browser downloads are never used).

Without Chromium (or Playwright) these tests skip, except on CI (``CI`` set), where they fail:
a CI run must not pass without the browser. One browser serves every test of the module; each
test has its own context (its own cookies). Screenshots of each page are written to
``test-artifacts/web/`` (``LEADQUAL_TEST_ARTIFACTS`` to put them elsewhere), kept out of git.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadqual.config import AgentConfig
from leadqual.models import LeadStatus
from leadqual.sources import SampleData

from .conftest import HOSTILE_FIRST, HOSTILE_ID, HOSTILE_LAST, Site, build_site

CHROMIUM_VARIABLE = "LEADQUAL_TEST_CHROMIUM"
ARTIFACTS = Path(
    os.environ.get("LEADQUAL_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[2] / "test-artifacts" / "web"
)


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(
            f"CI is set but {why}: the browser tests must run on CI (.ci/run installs Debian's "
            f"chromium and sets {CHROMIUM_VARIABLE})",
            pytrace=False,
        )
    pytest.skip(f"{why}; set {CHROMIUM_VARIABLE} to a Chromium binary to run the browser tests")


def _chromium() -> str:
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        if not os.access(named, os.X_OK):
            _unavailable(f"{CHROMIUM_VARIABLE}={named} is not an executable")
        return named
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    _unavailable("no Chromium was found")
    raise AssertionError("unreachable")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install -e '.[dev]')")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        try:
            yield launched
        finally:
            launched.close()


class _Server:
    """The app served by uvicorn on a free local port, in a thread."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        config = uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def __enter__(self) -> _Server:
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the web view did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()


@pytest.fixture(scope="module")
def served(
    sample_data: SampleData, sample_config: AgentConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Site, str, Path]]:
    path = tmp_path_factory.mktemp("web") / "agent.yaml"
    path.write_text(sample_config.to_yaml(), encoding="utf-8")
    site = build_site(sample_data, sample_config, config_path=path)
    with _Server(site.app) as server:
        yield site, server.url, path


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _page(browser: Any, url: str, **options: Any) -> Any:
    context = browser.new_context(base_url=url, **options)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    return page


def _sign_in(page: Any, seller_label: str) -> None:
    page.goto("/signin")
    page.get_by_label(seller_label).check()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/leads")


def test_a_seller_sees_own_leads_opens_an_insight_and_edits_a_draft(
    browser: Any, served: tuple[Site, str, Path]
) -> None:
    site, url, _ = served
    page = _page(browser, url)
    _sign_in(page, "Avery Brooks")
    _shot(page, "carousel")
    # The carousel scrolls within itself; the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    view = site.agent.prioritized("S-01", now=site.now)
    cards = page.locator("ol.carousel > li")
    assert cards.count() == min(8, len(view.entries))
    hrefs = [cards.nth(i).locator(".cta a").get_attribute("href") for i in range(cards.count())]
    assert hrefs == [f"/leads/{i}" for i in view.lead_ids[: cards.count()]]
    # The reasoning behind the rank, without a mouse: the disclosure opens from the keyboard.
    cards.first.locator("summary").focus()
    page.keyboard.press("Enter")
    assert cards.first.locator(".why p").is_visible()

    cards.first.locator(".cta a").click()
    page.wait_for_url(f"**{hrefs[0]}")
    assert page.get_by_role("heading", name="Suggested action").is_visible()
    _shot(page, "insight")

    draft_page = next(
        i for i in view.lead_ids if (ins := site.agent.store.latest(i)) and ins.draft is not None
    )
    page.goto(f"/leads/{draft_page}")
    page.get_by_label("Subject").fill("Our call & next steps?")
    page.get_by_label("Message").fill("Hello,\nsee you Tuesday.")
    page.get_by_role("button", name="Update the mail link").click()
    page.wait_for_load_state()
    href = page.locator("#mailto").get_attribute("href") or ""
    assert href.startswith("mailto:") and "subject=Our%20call%20%26%20next%20steps%3F" in href
    assert "body=Hello%2C%0D%0Asee%20you%20Tuesday." in href
    assert page.get_by_role("button", name="Copy").is_visible()  # script on: the copy button
    _shot(page, "draft")
    assert page.dialogs == []
    page.context.close()


def test_a_hostile_lead_name_renders_as_text(browser: Any, served: tuple[Site, str, Path]) -> None:
    _site, url, _ = served
    page = _page(browser, url)
    _sign_in(page, "Avery Brooks")
    page.goto(f"/leads/{HOSTILE_ID}")
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading == f"{HOSTILE_FIRST} {HOSTILE_LAST}"
    assert page.locator("img").count() == 0
    assert page.locator("main script, main iframe, main svg").count() == 0
    _shot(page, "insight-hostile")
    assert page.dialogs == []
    page.context.close()


def test_a_seller_qualifies_a_lead_another_seller_cannot_open_it(
    browser: Any, served: tuple[Site, str, Path]
) -> None:
    site, url, _ = served
    page = _page(browser, url)
    _sign_in(page, "Avery Brooks")
    page.goto("/leads/L-0210")
    page.get_by_role("button", name="Qualify", exact=True).click()
    page.wait_for_url("**/leads/L-0210/qualify")
    assert page.get_by_role("heading", name="Before qualifying").is_visible()
    _shot(page, "qualify-choices")
    page.get_by_label("Create a new account").check()
    page.get_by_role("button", name="Qualify with these choices").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Qualified").is_visible()
    outcome = page.locator("dl.outcome").inner_text()
    lead = site.source.get_lead("L-0210")
    assert lead.status is LeadStatus.QUALIFIED
    assert f"{lead.account_id} (created)" in outcome
    assert f"{lead.contact_id} (created)" in outcome
    assert "(created)" in outcome.split("Opportunity")[1]
    assert "Notes moved\n1" in outcome or "Notes moved\t1" in outcome
    _shot(page, "qualified")
    page.context.close()

    other = _page(browser, url)
    _sign_in(other, "Riley Santos")
    response = other.goto("/leads/L-0210")
    assert response is not None and response.status == 404
    assert "There is no such lead among yours." in other.content()
    _shot(other, "other-seller-404")
    other.context.close()


def test_an_admin_saves_an_invalid_icp_then_a_valid_one(
    browser: Any, served: tuple[Site, str, Path]
) -> None:
    site, url, path = served
    before = path.read_text(encoding="utf-8")
    page = _page(browser, url)
    _sign_in(page, "Sample Admin")
    page.goto("/admin/settings")
    weight = page.locator("#f-icp-characteristics-0-weight")
    weight.fill("500")
    page.get_by_role("button", name="Check and show the backtest").click()
    page.wait_for_load_state()
    error = page.locator("#f-icp-characteristics-0-weight-err")
    assert "less than or equal to 100" in error.inner_text()
    assert weight.get_attribute("aria-invalid") == "true"
    assert page.get_by_role("button", name="Save these settings").count() == 0
    _shot(page, "settings-error")
    assert path.read_text(encoding="utf-8") == before

    page.locator("#f-icp-characteristics-0-weight").fill("1")
    page.get_by_role("button", name="Check and show the backtest").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", name="Backtest on the CRM's leads").is_visible()
    _shot(page, "settings-backtest")
    assert path.read_text(encoding="utf-8") == before
    page.get_by_role("button", name="Save these settings").click()
    page.wait_for_load_state()
    assert page.get_by_role("status").first.inner_text() == "The settings are saved and in use."
    saved = AgentConfig.from_file(path)
    assert saved.icp is not None and saved.icp.characteristics[0].weight == 1.0
    assert site.app.state.leadqual.agent.config == saved
    _shot(page, "settings-saved")
    page.context.close()


def test_the_pages_work_without_javascript_and_from_the_keyboard(
    browser: Any, served: tuple[Site, str, Path]
) -> None:
    site, url, _ = served
    page = _page(browser, url, java_script_enabled=False)
    _sign_in(page, "Avery Brooks")
    page.keyboard.press("Tab")
    skip = page.evaluate("document.activeElement.textContent")
    assert skip == "Skip to the content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    first = "L-0172"
    page.goto(f"/leads/{first}")
    copy = page.locator("[data-copy-body]")
    assert copy.count() == 1 and not copy.is_visible()  # no script: no copy button
    assert page.locator("#mailto").get_attribute("href")  # the mail link needs none
    page.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    assert "feedback on this suggestion is recorded" in page.content()
    assert [f.verdict for f in site.agent.store.feedback(lead_id=first)] == ["accepted"]
    _shot(page, "no-javascript")
    page.context.close()
