"""The whole batch on the local engine: the real definition, moto, the real handlers."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cli.main import main
from tests.images import bomb_png
from workflow.local_engine import LocalEngine

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "photos"


def product_photo(size=(320, 240), background=(236, 238, 240), colour=(180, 40, 40)) -> Image.Image:
    """A plain-background product shot: a red box with a darker lid, centred."""
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    width, height = size
    draw.rectangle((width * 0.3, height * 0.3, width * 0.7, height * 0.75), fill=colour)
    draw.rectangle((width * 0.28, height * 0.25, width * 0.72, height * 0.32), fill=(120, 20, 20))
    return image


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """A folder mixing good photos with bad files, as people's folders do."""
    folder = tmp_path_factory.mktemp("photos")
    for name in ("cat.png", "coffee.jpg"):
        shutil.copy(SAMPLES / name, folder / name)
    (folder / "shop").mkdir()
    product_photo().save(folder / "shop" / "box.jpg", quality=92)
    # Same file name in another folder: must not overwrite the other's cutout.
    (folder / "shop2").mkdir()
    product_photo(colour=(40, 60, 180)).save(folder / "shop2" / "box.jpg", quality=92)
    # Shot in portrait, stored landscape with EXIF orientation 6.
    rotated = product_photo(size=(300, 200))
    exif = Image.Exif()
    exif[0x0112] = 6
    rotated.save(folder / "rotated.jpg", exif=exif.tobytes())
    product_photo().save(folder / "product.webp", quality=90)

    (folder / "invoice.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n")
    (folder / "empty.png").write_bytes(b"")
    good = io.BytesIO()
    product_photo().save(good, format="JPEG", quality=92)
    (folder / "truncated.jpg").write_bytes(good.getvalue()[: len(good.getvalue()) // 2])
    (folder / "notes.jpg").write_text("not a photo, just text with a .jpg name\n")
    (folder / "bomb.png").write_bytes(bomb_png())
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return folder


@pytest.fixture(scope="module")
def finished(batch, tmp_path_factory):
    out = tmp_path_factory.mktemp("cutouts")
    outcome = LocalEngine(retry_clock_scale=0.001).run(batch, out)
    return outcome, out, json.loads((out / "report.json").read_text())


EXPECTED_FAILURES = {
    "invoice.pdf": "UnsupportedFormatError",
    "empty.png": "EmptyFileError",
    "truncated.jpg": "CorruptImageError",
    "notes.jpg": "UnsupportedFormatError",
    "bomb.png": "ImageTooLargeError",
}
EXPECTED_SUCCESSES = {
    "cat.png",
    "coffee.jpg",
    "shop/box.jpg",
    "shop2/box.jpg",
    "rotated.jpg",
    "product.webp",
}


def test_every_item_is_reported_exactly_once_with_its_status(finished):
    outcome, _, report = finished
    assert outcome.status == "finished"
    assert outcome.exit_code == 1  # some items failed
    assert outcome.unexpected_errors == []
    sources = [item["source"] for item in report["items"]]
    assert sorted(sources) == sorted(EXPECTED_SUCCESSES | set(EXPECTED_FAILURES))
    assert report["counts"] == {
        "total": 11,
        "succeeded": len(EXPECTED_SUCCESSES),
        "failed": len(EXPECTED_FAILURES),
        "skipped": 0,
    }
    assert report["engine"] == "local" and report["model"] == "local"


def test_failures_name_the_cause(finished):
    _, _, report = finished
    by_source = {item["source"]: item for item in report["items"]}
    for source, error_type in EXPECTED_FAILURES.items():
        item = by_source[source]
        assert item["status"] == "failed", source
        assert item["error"]["type"] == error_type, (source, item["error"])
        assert item["error"]["message"], source
        assert "Traceback" not in item["error"]["message"]
        assert item["output"] is None and item["url"] is None
    assert "PDF" in by_source["invoice.pdf"]["error"]["message"]


def test_cutouts_are_rgba_at_the_original_size_with_transparent_corners(finished, batch):
    _, out, report = finished
    for item in report["items"]:
        if item["status"] != "succeeded":
            continue
        output = out / item["url"]
        assert output.is_file(), item
        with Image.open(batch / item["source"]) as original:
            from PIL import ImageOps

            expected_size = ImageOps.exif_transpose(original).size
        with Image.open(output) as cutout:
            assert cutout.mode == "RGBA", item["source"]
            assert cutout.size == expected_size, item["source"]
            alpha = cutout.getchannel("A")
            width, height = cutout.size
            corners = [(0, 0), (width - 1, 0), (0, height - 1), (width - 1, height - 1)]
            assert all(alpha.getpixel(corner) < 16 for corner in corners), item["source"]
            assert alpha.getpixel((width // 2, int(height * 0.55))) > 240, item["source"]


def test_same_named_files_in_two_folders_keep_both_cutouts(finished):
    _, out, _ = finished
    first = Image.open(out / "shop" / "box_bg_removed.png").convert("RGB")
    second = Image.open(out / "shop2" / "box_bg_removed.png").convert("RGB")
    middle = (first.width // 2, int(first.height * 0.55))
    assert first.getpixel(middle)[0] > 150  # red box
    assert second.getpixel(middle)[2] > 150  # blue box


def test_report_csv_and_html_list_every_item(finished):
    _, out, report = finished
    rows = list(csv.DictReader((out / "report.csv").open(newline="")))
    assert [row["source"] for row in rows] == [item["source"] for item in report["items"]]
    html = (out / "index.html").read_text()
    for item in report["items"]:
        if item["status"] == "failed":
            assert item["error"]["type"] in html


def test_index_html_images_all_load_in_chromium(finished):
    from tests.browser.page_check import check_page_images

    _, out, _ = finished
    broken = check_page_images(out / "index.html")
    assert broken == []


def test_cli_exit_codes_and_nothing_written_when_refused(batch, tmp_path, capsys):
    good = tmp_path / "good"
    good.mkdir()
    product_photo().save(good / "a.png")
    out = tmp_path / "out"
    assert main(["run", str(good), "--out", str(out), "--quiet"]) == 0
    assert (out / "a_bg_removed.png").is_file()

    manifest = tmp_path / "bad.json"
    manifest.write_text(json.dumps(["good/a.png", "../outside.png"]))
    refused = tmp_path / "refused"
    assert main(["run", str(manifest), "--out", str(refused), "--quiet"]) == 2
    assert not refused.exists()
    assert "index 1" in capsys.readouterr().err

    assert main(["run", str(tmp_path / "missing"), "--out", str(refused)]) == 2
    assert main(["run", str(batch / "invoice.pdf"), "--out", str(tmp_path / "one")]) == 1


def test_manifest_run_with_relative_paths_and_a_duplicate(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    product_photo().save(photos / "a.png")
    product_photo(colour=(30, 140, 60)).save(photos / "b.jpg")
    manifest = tmp_path / "spring.csv"
    manifest.write_text(
        "source,output\nphotos/a.png,shop/a-cutout.png\nphotos/b.jpg,\nphotos/a.png,\n"
    )
    out = tmp_path / "out"
    outcome = LocalEngine(output_format="webp").run(manifest, out)
    assert outcome.exit_code == 0
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"total": 3, "succeeded": 2, "failed": 0, "skipped": 1}
    assert (out / "shop" / "a-cutout.webp").is_file()
    assert (out / "photos" / "b_bg_removed.webp").is_file()


def test_a_rerun_makes_zero_model_calls(tmp_path):
    cache = tmp_path / "cache"
    first = LocalEngine(cache_dir=cache).run(SAMPLES, tmp_path / "first")
    second = LocalEngine(cache_dir=cache).run(SAMPLES, tmp_path / "second")
    assert first.exit_code == second.exit_code == 0
    one = json.loads((tmp_path / "first" / "report.json").read_text())
    two = json.loads((tmp_path / "second" / "report.json").read_text())
    assert one["model_calls"] == 4 and one["cached"] == 0
    assert two["model_calls"] == 0 and two["cached"] == 4
    for name in ("cat_bg_removed.png", "rocket_bg_removed.png"):
        assert (tmp_path / "first" / name).read_bytes() == (tmp_path / "second" / name).read_bytes()


def test_ctrl_c_stops_cleanly_and_says_what_finished(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for index in range(40):
        product_photo(colour=(index * 5, 40, 40)).save(folder / f"p{index:02d}.png")

    pressed = []

    def interrupt_after_some(progress):
        if progress.done >= 3 and not pressed:
            pressed.append(progress.done)
            raise KeyboardInterrupt  # as Ctrl-C does, once

    engine = LocalEngine(
        concurrency=2, cache_dir=None, on_progress=interrupt_after_some, poll_seconds=0.05
    )
    outcome = engine.run(folder, tmp_path / "out")
    assert outcome.status == "interrupted"
    assert outcome.exit_code == 1
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["counts"]["total"] == 40
    finished = [item for item in report["items"] if item["status"] == "succeeded"]
    assert 3 <= len(finished) < 40
    for item in finished:
        assert (tmp_path / "out" / item["url"]).is_file()
    unfinished = [item for item in report["items"] if item["status"] == "failed"]
    assert unfinished
    assert all(item["error"]["type"] == "NotProcessedError" for item in unfinished)


def test_the_kept_cache_is_bounded(tmp_path):
    from workflow import local_engine

    cache = tmp_path / "cache"
    LocalEngine(cache_dir=cache).run(SAMPLES, tmp_path / "first")
    assert len(list(cache.rglob("*.png"))) == 4
    local_engine.prune_cache(cache, limit=2)
    assert len(list(cache.rglob("*.png"))) == 2


def test_output_options_per_run_and_per_manifest_item(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    product_photo(size=(400, 300)).save(photos / "a.png")
    product_photo(size=(400, 300), colour=(30, 140, 60)).save(photos / "b.png")
    manifest = tmp_path / "m.json"
    manifest.write_text(
        json.dumps(
            {
                "items": [
                    {"source": "photos/a.png", "options": {"mask": True}},
                    {"source": "photos/b.png", "options": {"crop": True, "margin": "10"}},
                ],
                "options": {"max_size": 200},
            }
        )
    )
    out = tmp_path / "out"
    outcome = LocalEngine(cache_dir=None).run(manifest, out)
    assert outcome.exit_code == 0
    mask = Image.open(out / "photos" / "a_mask.png")
    assert mask.mode == "L" and mask.size == (200, 150)
    cropped = Image.open(out / "photos" / "b_bg_removed.png")
    assert cropped.mode == "RGBA" and max(cropped.size) <= 200 and cropped.size != (200, 150)

    on_colour = tmp_path / "on_colour"
    LocalEngine(cache_dir=None, output_options={"bg_color": "#0000ff"}, output_format="jpeg").run(
        photos, on_colour
    )
    corner = Image.open(on_colour / "a_bg_removed.jpg").convert("RGB").getpixel((2, 2))
    assert corner[2] > 200 and corner[0] < 60  # the background is blue


def test_a_transparent_png_keeps_its_transparency(tmp_path):
    """The source's alpha bounds the cutout: its transparent half stays transparent."""
    photos = tmp_path / "photos"
    photos.mkdir()
    source = product_photo(size=(400, 300)).convert("RGBA")
    alpha = Image.new("L", source.size, 255)
    alpha.paste(0, (0, 0, 200, 300))  # the subject's left half was already cut away
    source.putalpha(alpha)
    source.save(photos / "half.png")
    out = tmp_path / "out"
    assert LocalEngine(cache_dir=None).run(photos, out).exit_code == 0
    cutout = np.asarray(Image.open(out / "half_bg_removed.png"))
    assert (cutout[..., 3] <= np.asarray(alpha)).all()
    assert cutout[150:220, 210:270, 3].min() > 240  # the model's subject, where the source shows it
    report = json.loads((out / "report.json").read_text())
    assert any("the cutout keeps it" in note for note in report["items"][0]["notes"])
