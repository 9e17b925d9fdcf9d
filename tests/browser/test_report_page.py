"""index.html in a real browser: images load, links lead to files, names stay text."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import sample_output
from tests.browser.page_check import (
    broken_file_links,
    broken_images,
    check_page,
    chromium_page,
    skip_without_browser,
)

pytestmark = pytest.mark.browser

SUCCEEDED = 5  # items with previews and a cutout in sample_output
FAILED_OR_SKIPPED = 4


@pytest.fixture
def index(tmp_path) -> Path:
    skip_without_browser()
    return sample_output.build(tmp_path / "out")


def test_every_image_loads_and_every_local_link_leads_to_a_file(index, tmp_path):
    # A small window leaves most images below the fold, still waiting on lazy loading.
    with chromium_page(index, profile_dir=tmp_path / "profile", size=(800, 600)) as driver:
        assert broken_images(driver) == []
        assert broken_file_links(driver) == []
        images = driver.execute_script("return document.images.length")
        links = driver.execute_script("return document.querySelectorAll('a[href]').length")
    # before + after per item; each image is a link, plus one "full size" link per cutout.
    assert images == 2 * SUCCEEDED
    assert links == 3 * SUCCEEDED


def test_items_without_pictures_show_a_placeholder_and_the_reason(index, tmp_path):
    with chromium_page(index, profile_dir=tmp_path / "profile") as driver:
        cards = driver.find_elements("css selector", ".card:not(.succeeded)")
        assert len(cards) == FAILED_OR_SKIPPED
        for card in cards:
            assert card.find_elements("css selector", "img") == []
            assert card.find_element("css selector", ".ph").is_displayed()
        lost = driver.find_element("xpath", "//article[.//h2[text()='lost.jpg']]")
        assert "no result recorded" in lost.text
        assert "NoResultRecordedError" in lost.text


def test_hostile_names_stay_text(index, tmp_path):
    with chromium_page(index, profile_dir=tmp_path / "profile") as driver:
        titles = [h2.text for h2 in driver.find_elements("css selector", "h2")]
        assert sample_output.HOSTILE_NAME in titles
        # The name's <img onerror> must not have become an element (it would be an 11th image).
        assert driver.execute_script("return document.querySelectorAll('img[src=x]').length") == 0
        assert driver.execute_script("return document.scripts.length") == 0


def test_status_filter_works_without_script(index, tmp_path):
    with chromium_page(index, profile_dir=tmp_path / "profile") as driver:

        def shown(status: str) -> int:
            driver.find_element("css selector", f"label[for=show-{status}]").click()
            return sum(
                card.is_displayed() for card in driver.find_elements("css selector", ".card")
            )

        assert shown("failed") == 3
        assert shown("skipped") == 1
        assert shown("succeeded") == SUCCEEDED
        assert shown("all") == SUCCEEDED + FAILED_OR_SKIPPED


def test_the_checks_notice_a_missing_preview_and_a_missing_cutout(index, tmp_path):
    (index.parent / "previews" / "000002_after.png").unlink()
    (index.parent / "coffee_bg_removed.png").unlink()
    found = check_page(index, profile_dir=tmp_path / "profile")
    assert found.broken_images == ["previews/000002_after.png"]
    assert [Path(link).name for link in found.broken_links] == ["coffee_bg_removed.png"] * 2
