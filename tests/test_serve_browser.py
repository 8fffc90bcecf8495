"""`ebookify serve` in a real browser: the system's Chromium, headless, driven by Playwright (never a
browser Playwright downloads). Scripts are off, as on an e-reader's browser. Without Chromium these
tests fail on CI (CI set) and are skipped, saying why, everywhere else."""

from __future__ import annotations

import os
import shutil
import zipfile
from pathlib import Path

import pytest
from conftest import assert_valid_epub, assert_zip_structure, epub_pages, page_text
from serving import Server, sample_root, serving
from test_serve import KOBO

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _chromium() -> str | None:
    return str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")


def _missing() -> str | None:
    if _chromium() is None:
        return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


@pytest.fixture(scope="module")
def browser():
    missing = _missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need Chromium on CI: {missing}")
        pytest.skip(f"browser tests skipped: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=_chromium(), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    with serving(sample_root(tmp_path_factory.mktemp("browser"))) as running:
        yield running


def download(page, button: str, folder: Path) -> Path:
    with page.expect_download() as started:
        page.get_by_role("button", name=button).click()
    path = folder / started.value.suggested_filename
    started.value.save_as(path)
    return path


def test_a_friend_types_a_name_and_downloads_a_valid_book(browser, server, tmp_path):
    context = browser.new_context(
        java_script_enabled=False, accept_downloads=True, viewport={"width": 600, "height": 900}
    )
    page = context.new_page()
    page.goto(server.url)
    assert page.title() == "Saltmarsh Imagines"
    page.get_by_label("Your name (Y/N)").fill("Ysolde")
    page.get_by_label("Last name (L/N)").fill("Marchetti")
    page.get_by_label("Eye colour (E/C)").fill("hazel")
    book = download(page, "Download EPUB", tmp_path)
    assert book.name == "saltmarsh-imagines-for-ysolde.epub"
    text = " ".join(page_text(p) for p in epub_pages(book.read_bytes()).values())
    assert "Ysolde" in text and "Marchetti" in text and "Y/N" not in text
    assert_valid_epub(book)
    context.close()


def test_the_page_fits_600_pixels_and_every_field_has_a_label(browser, server, tmp_path):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 600, "height": 900})
    page = context.new_page()
    page.goto(server.url)
    assert page.evaluate("document.documentElement.scrollWidth") <= 600  # no sideways scrolling
    for field in page.locator("input").all():
        label = page.locator(f'label[for="{field.get_attribute("id")}"]')
        assert label.count() == 1 and label.inner_text().strip()
    assert page.get_by_role("img", name="Cover of Saltmarsh Imagines").is_visible()
    page.screenshot(path=str(tmp_path / "page-600.png"), full_page=True)
    context.close()


def test_on_a_kobo_enter_in_the_name_field_gives_the_kobo_copy(browser, server, tmp_path):
    """The keyboard alone: Enter submits with the first button, which on a Kobo is KEPUB."""
    context = browser.new_context(java_script_enabled=False, accept_downloads=True, user_agent=KOBO)
    page = context.new_page()
    page.goto(server.url)
    page.keyboard.press("Tab")  # the cover is no link: the name field is the first stop
    assert page.evaluate("document.activeElement.id") == "name"
    page.keyboard.type("Kobo Reader")
    with page.expect_download() as started:
        page.keyboard.press("Enter")
    path = tmp_path / started.value.suggested_filename
    started.value.save_as(path)
    assert path.name == "saltmarsh-imagines-for-kobo-reader.kepub.epub"
    assert_zip_structure(path.read_bytes())
    context.close()


def test_a_bad_name_comes_back_as_a_plain_page(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(server.url)
    page.get_by_label("Your name (Y/N)").fill("Sam\u202e")
    with page.expect_navigation():
        page.get_by_role("button", name="Download EPUB").click()
    assert page.get_by_role("alert").inner_text() == "The name contains an invisible formatting character (U+202E)."
    with page.expect_navigation():
        page.get_by_role("link", name="Back to the collection").click()
    assert page.title() == "Saltmarsh Imagines"
    context.close()


def test_without_the_access_code_a_friend_is_asked_for_it(browser, tmp_path):
    with serving(sample_root(tmp_path / "private"), "--password", "lantern") as server:
        context = browser.new_context(java_script_enabled=False, accept_downloads=True)
        page = context.new_page()
        response = page.goto(server.url)
        assert response.status == 401 and "Saltmarsh" not in page.content()
        page.get_by_label("Access code").fill("wrong")
        with page.expect_navigation():
            page.get_by_role("button", name="Open").click()
        assert page.get_by_role("heading").inner_text() == "Access code needed"
        page.get_by_label("Access code").fill("lantern")
        with page.expect_navigation(url=server.url):  # through the redirect that sets the cookie
            page.get_by_role("button", name="Open").click()
        assert page.title() == "Saltmarsh Imagines" and "access" not in page.url
        page.get_by_label("Your name (Y/N)").fill("Pell")
        book = download(page, "Download EPUB", tmp_path)
        assert b"Pell" in zipfile.ZipFile(book).read("EPUB/title.xhtml")
        context.close()
