"""The built HTML in a real browser (``make test-browser``): Debian's Chromium, headless,
driven by Playwright's Python API with ``executable_path`` (no browser download).

Each of the four documents and the landing page is opened from the session build at a
1280 px viewport and checked as a reader would see it; full-page screenshots are saved under
the build's ``results/screens/`` and copied to this checkout's ``results/screens/``.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("build")]

CHROMIUM = Path("/usr/bin/chromium")
VIEWPORT = {"width": 1280, "height": 900}
# Flags a closed network needs: no background connections, no sandbox as root, no GPU.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PAGES = [
    "manuscripts/article1.html",
    "manuscripts/article2.html",
    "manuscripts/article3.html",
    "manuscripts/thesis.html",
    "index.html",
]

PROBE = (Path(__file__).parent / "browser_probe.js").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser():  # noqa: ANN201
    assert CHROMIUM.is_file(), "needs Debian's chromium: apt-get install chromium (.ci/run does)"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("page_path", PAGES)
def test_page_reads_in_a_browser(browser, built: Path, page_path: str) -> None:  # noqa: ANN001
    file = built / "results" / page_path
    assert file.is_file(), f"{page_path} was not built"
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(file.as_uri(), wait_until="load")
    found = page.evaluate(PROBE)
    screens = built / "results" / "screens"
    screens.mkdir(exist_ok=True)
    shot = screens / (page_path.replace("/", "-").removesuffix(".html") + ".png")
    page.screenshot(path=str(shot), full_page=True)
    page.close()
    local = REPO / "results" / "screens"
    local.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(shot, local / shot.name)

    assert not errors, f"{page_path}: console errors {errors}"
    if page_path.startswith("manuscripts/"):
        assert found["images"], f"{page_path}: no figure on the page"
    assert all(i["ok"] for i in found["images"]), (
        f"{page_path}: images not loaded {found['images']}"
    )
    assert not found["anchors"], f"{page_path}: links to missing targets {found['anchors']}"
    missing = [h for h in found["links"] if not (file.parent / unquote(urlparse(h).path)).exists()]
    assert not missing, f"{page_path}: links to missing files {missing}"
    assert not found["wide"], f"{page_path}: tables wider than 1280 px: {found['wide']}"
    assert found["banner"], f"{page_path}: the synthetic-data banner is not visible"
    assert "???" not in found["text"], f"{page_path}: an unresolved cross-reference"
    unresolved = [
        w
        for w in found["text"].split()
        if w.endswith("?") and w[:1].islower() and any(ch.isdigit() for ch in w)
    ]
    assert not unresolved, f"{page_path}: unresolved citations {unresolved}"
