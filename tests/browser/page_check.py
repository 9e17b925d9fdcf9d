"""Open a page in headless Chromium (Debian's packages) and find images that do not load."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def skip_without_browser() -> None:
    if not browser_available():
        pytest.skip(
            "headless Chromium not installed (apt-get install chromium chromium-driver; .ci/run does it)"
        )


def open_page(html_path: Path):
    """A Selenium driver on ``html_path``; the caller quits it."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="bgremove-chromium-")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--window-size=1280,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.get(html_path.resolve().as_uri())
    driver._bgremove_profile = profile  # removed in close_page
    return driver


def close_page(driver) -> None:
    profile = getattr(driver, "_bgremove_profile", None)
    driver.quit()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)


_LOAD_ALL = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach(img => { img.loading = 'eager'; });
Promise.all(images.map(img => img.complete ? null :
  new Promise(resolve => { img.onload = img.onerror = resolve; })))
  .then(() => done(images.filter(img => !(img.complete && img.naturalWidth > 0))
                         .map(img => img.getAttribute('src'))));
"""


def check_page_images(html_path: Path) -> list[str]:
    """The ``src`` of every image on the page that fails to load (empty = all load)."""
    skip_without_browser()
    driver = open_page(html_path)
    try:
        driver.set_script_timeout(60)
        return driver.execute_async_script(_LOAD_ALL)
    finally:
        close_page(driver)


def broken_local_links(html_path: Path) -> list[str]:
    """Every relative ``href`` on the page that names a missing file."""
    from html.parser import HTMLParser

    hrefs: list[str] = []

    class Links(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "a":
                hrefs.extend(value for name, value in attrs if name == "href" and value)

    Links().feed(html_path.read_text())
    base = html_path.parent
    return [
        href
        for href in hrefs
        if "://" not in href and not href.startswith("#") and not (base / href).exists()
    ]
