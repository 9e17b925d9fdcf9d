"""A small but realistic local output folder: cutouts, previews and index.html.

The mix covers what a contact sheet must show: real photos (``samples/photos`` when
present), a cached item, notes, a source name full of HTML, failures with and without
previews, a duplicate skipped at planning and an item that never wrote its record.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from lambdas import reporting
from lambdas.imaging.compose import apply_mask, encode_output, make_preview
from lambdas.payloads import ItemRecord, RunContext, WorkItem
from lambdas.run_store import LocalRunStore

SAMPLES = Path(__file__).parents[2] / "samples" / "photos"
# Markup, quotes and unicode for the page to escape; %, # and ? for its links to encode.
HOSTILE_NAME = 'shop/<img src=x onerror=alert(1)> 50% off #1 & "café"?.png'

RUN = RunContext(
    run_id="20261124T120000Z-abc123",
    bucket="bgremove-local",
    engine="local",
    model="local",
    model_options={},
    output_format="png",
    runs_prefix="runs/20261124T120000Z-abc123/",
    work_prefix="work/20261124T120000Z-abc123/",
    report_prefix="reports/20261124T120000Z-abc123/",
    output_prefix="outputs/",
    max_bytes=50 * 1024 * 1024,
    max_pixels=100_000_000,
    url_expiry_seconds=3600,
    warnings=[],
)


def _photo(name: str, size: tuple[int, int], colour: tuple[int, int, int]) -> Image.Image:
    """A sample photo when the repository has it, else a drawn stand-in of the same kind."""
    path = SAMPLES / name
    if path.is_file():
        return Image.open(path).convert("RGB")
    image = Image.new("RGB", size, (205, 200, 190))
    ImageDraw.Draw(image).ellipse(
        (size[0] // 4, size[1] // 5, size[0] * 3 // 4, size[1] * 9 // 10), fill=colour
    )
    return image


def _oval_mask(size: tuple[int, int]) -> Image.Image:
    """A soft subject-shaped alpha, standing in for a model's mask."""
    mask = Image.new("L", size, 0)
    width, height = size
    ImageDraw.Draw(mask).ellipse(
        (width // 6, height // 10, width * 5 // 6, height * 19 // 20), fill=255
    )
    return mask


def build(root: Path, *, extra_failures: int = 0) -> Path:
    """Write the output folder under ``root``; return the path of its index.html.

    ``extra_failures`` adds that many failed items without previews (for the
    screenshot of a longer page).
    """
    # source, output path, photo, notes, cached
    succeeded = [
        ("cat.png", "cat_bg_removed.png", _photo("cat.png", (451, 300), (190, 120, 60)), [], False),
        (
            "people/astronaut.jpg",
            "people/astronaut_bg_removed.png",
            _photo("astronaut.jpg", (512, 512), (230, 230, 235)),
            ["EXIF orientation applied"],
            False,
        ),
        (
            "coffee.jpg",
            "coffee_bg_removed.png",
            _photo("coffee.jpg", (400, 300), (120, 70, 40)),
            [],
            True,
        ),
        (
            "rocket.jpg",
            "rocket_bg_removed.png",
            _photo("rocket.jpg", (300, 427), (240, 240, 240)),
            ["first frame of 12", "CMYK converted to sRGB"],
            False,
        ),
        (
            HOSTILE_NAME,
            HOSTILE_NAME.removesuffix(".png") + "_bg_removed.png",
            _photo("missing-on-purpose.png", (320, 320), (200, 40, 40)),
            [],
            False,
        ),
    ]
    items: list[WorkItem] = []
    records: dict[str, ItemRecord] = {}
    local = {"root": str(root / "photos"), "out": str(root), "cache": None, "label": None}
    link = LocalRunStore.from_context(RunContext(**RUN, local=local), s3=None).link

    def plan(source: str, output: str) -> str:
        item_id = f"{len(items) + 1:06d}"
        items.append(
            WorkItem(
                item_id=item_id,
                source=source,
                source_key=f"inputs/{source}",
                output_key=f"{RUN['output_prefix']}{output}",
            )
        )
        return item_id

    def write(key: str, data: bytes) -> None:
        path = root / link(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    for source, output, photo, notes, cached in succeeded:
        item_id = plan(source, output)
        cutout = apply_mask(photo, _oval_mask(photo.size), None)
        before_key = f"{RUN['report_prefix']}previews/{item_id}_before.jpg"
        after_key = f"{RUN['report_prefix']}previews/{item_id}_after.png"
        write(items[-1]["output_key"], encode_output(cutout, "png"))
        write(before_key, make_preview(photo))
        write(after_key, make_preview(cutout))
        records[item_id] = ItemRecord(
            item_id=item_id,
            source=source,
            status="succeeded",
            output_key=items[-1]["output_key"],
            error=None,
            width=photo.width,
            height=photo.height,
            before_preview_key=before_key,
            after_preview_key=after_key,
            notes=notes,
            model_calls=0 if cached else 1,
            cached=cached,
        )

    failures = [
        ("docs/invoice.pdf", "UnsupportedFormatError", "not an image: the file is a PDF document"),
        (
            "scans/huge.tif",
            "ImageTooLargeError",
            "scans/huge.tif is 30000 × 20000 pixels (600 MP); the limit is 100 MP",
        ),
    ] + [
        (f"batch/broken_{index:03d}.jpg", "CorruptImageError", "truncated JPEG data")
        for index in range(extra_failures)
    ]
    for source, error_type, message in failures:
        item_id = plan(source, source.rsplit(".", 1)[0] + "_bg_removed.png")
        records[item_id] = ItemRecord(
            item_id=item_id,
            source=source,
            status="failed",
            output_key=None,
            error={"type": error_type, "message": message},
        )

    duplicate = plan("cat.png", "cat_bg_removed.png")
    records[duplicate] = ItemRecord(
        item_id=duplicate,
        source="cat.png",
        status="skipped",
        output_key=None,
        error={
            "type": "DuplicateSourceError",
            "message": "duplicate of item 000001: 'cat.png' is already in this run",
        },
    )
    plan("lost.jpg", "lost_bg_removed.png")  # no record: the report must say so

    report = reporting.build_report(
        RUN, items, records, link, finished_at="2026-11-24T12:03:10+00:00"
    )
    root.mkdir(parents=True, exist_ok=True)
    (root / "report.csv").write_text(reporting.to_csv(report))
    index = root / "index.html"
    index.write_text(reporting.to_html(report), encoding="utf-8")
    return index
