"""Open a page in headless Chromium (Debian's packages) and find what does not load.

Debian's ``chromium`` and ``chromium-driver`` are used as installed, so
selenium-manager never downloads a browser.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"

_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


def browser_available() -> bool:
    return Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()


def skip_without_browser() -> None:
    if not browser_available():
        pytest.skip(
            f"headless Chromium not installed ({CHROMIUM} / {CHROMEDRIVER} missing: "
            "apt-get install chromium chromium-driver; .ci/run does it)"
        )


@contextmanager
def chromium_page(
    html_path: Path, *, profile_dir: Path | None = None, size: tuple[int, int] = (1280, 900)
) -> Iterator:
    """A Selenium driver showing ``html_path``, quit (and its profile removed) on exit.

    Parameters
    ----------
    profile_dir
        A fresh folder for Chromium's profile; a temporary one when not given.
    """
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = profile_dir or Path(tempfile.mkdtemp(prefix="bgremove-chromium-"))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.set_script_timeout(60)
        driver.get(html_path.resolve().as_uri())
        yield driver
    finally:
        driver.quit()
        if profile_dir is None:
            shutil.rmtree(profile, ignore_errors=True)


# Lazy images below the fold have not been fetched yet: make every one eager, wait
# for each to finish (or fail), then name those without pixels.
_LOAD_ALL_IMAGES = """
const done = arguments[arguments.length - 1];
const images = Array.from(document.images);
images.forEach(img => { img.loading = 'eager'; });
Promise.all(images.map(img => img.complete ? null :
  new Promise(resolve => { img.onload = img.onerror = resolve; })))
  .then(() => done(images.filter(img => !(img.complete && img.naturalWidth > 0))
                         .map(img => img.getAttribute('src'))));
"""


def broken_images(driver) -> list[str]:
    """The ``src`` of every image on the driver's page that does not load."""
    return driver.execute_async_script(_LOAD_ALL_IMAGES)


def broken_file_links(driver) -> list[str]:
    """Every ``<a href>`` that the browser resolves to a ``file:`` URL of a missing file.

    The browser resolves the links, so a name with ``#``, ``%`` or ``?`` that the page
    forgot to encode shows up here as the wrong file.
    """
    hrefs = driver.execute_script(
        "return Array.from(document.querySelectorAll('a[href]'), a => a.href)"
    )
    return [
        href
        for href in hrefs
        if urlsplit(href).scheme == "file" and not Path(unquote(urlsplit(href).path)).exists()
    ]


@dataclass(frozen=True)
class PageCheck:
    broken_images: list[str]
    broken_links: list[str]


def check_page(html_path: Path, *, profile_dir: Path | None = None) -> PageCheck:
    """Open ``html_path`` once and report its broken images and local links."""
    skip_without_browser()
    with chromium_page(html_path, profile_dir=profile_dir) as driver:
        return PageCheck(broken_images(driver), broken_file_links(driver))


def check_page_images(html_path: Path) -> list[str]:
    """The ``src`` of every image on the page that fails to load (empty = all load)."""
    return check_page(html_path).broken_images
