import copy
import csv
import html
import io
import json
from html.parser import HTMLParser

import pytest

from lambdas import reporting
from lambdas.records import error_info
from lambdas.reporting.page import TEMPLATES, display_time
from lambdas.run_store import LocalRunStore
from tests.fixtures.events import load_event

EVENT = load_event("report_records")
PLAN_ORDER = ["000001", "000002", "000003", "000004", "000005", "000006"]


def local_link(run):
    """Links as a local run's store makes them: relative to ``--out``."""
    local = {"root": "/photos", "out": "/out", "cache": None, "label": None}
    return LocalRunStore.from_context({**run, "local": local}, s3=None).link


def build(run=None, records=None, **options):
    run = run or EVENT["run"]
    records = EVENT["records"] if records is None else records
    return reporting.build_report(run, EVENT["items"], records, local_link(run), **options)


@pytest.fixture
def report():
    return build(finished_at="2026-11-24T12:03:10+00:00")


def tags(page: str, name: str) -> list[dict[str, str]]:
    """The attributes of every ``name`` element, as a browser's parser sees them."""
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == name:
                found.append(dict(attrs))

    Parser().feed(page)
    return found


def texts(page: str, name: str) -> list[str]:
    """The text of every ``name`` element (entities decoded), as a browser's parser sees it."""
    found: list[str] = []
    depth = 0

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            nonlocal depth
            if tag == name:
                found.append("")
                depth += 1

        def handle_endtag(self, tag):
            nonlocal depth
            if tag == name:
                depth -= 1

        def handle_data(self, data):
            if depth:
                found[-1] += data

    Parser().feed(page)
    return found


def test_every_planned_item_once_in_plan_order(report):
    assert [item["item_id"] for item in report["items"]] == PLAN_ORDER
    assert report["counts"] == {"total": 6, "succeeded": 2, "failed": 2, "skipped": 2}
    assert report["failure_reasons"] == {"UnsupportedFormatError": 1, "NoResultRecordedError": 1}


def test_records_outside_the_plan_are_ignored(report):
    assert "stray.png" not in [item["source"] for item in report["items"]]
    assert report["model_calls"] == 1  # cat.png's call; the cached item and the stray cost nothing


def test_missing_record_is_a_failure_not_a_loss(report):
    lost = report["items"][3]
    assert (lost["source"], lost["status"], lost["output"], lost["url"]) == (
        "lost.jpg",
        "failed",
        None,
        None,
    )
    assert lost["error"] == {
        "type": "NoResultRecordedError",
        "message": "no result recorded: the item's workflow ended without writing a record "
        "(see the execution history)",
    }


def test_interrupted_runs_report_missing_items_as_not_processed():
    report = build(missing=reporting.NOT_PROCESSED)
    assert report["items"][3]["error"]["type"] == "NotProcessedError"
    assert report["failure_reasons"]["NotProcessedError"] == 1


def test_a_failure_recorded_without_a_reason_still_names_one():
    records = copy.deepcopy(EVENT["records"])
    records["000002"]["error"] = None
    item = build(records=records)["items"][1]
    assert item["status"] == "failed"
    assert item["error"]["type"] == "UnknownError"
    assert "execution history" in item["error"]["message"]


def test_skipped_items_keep_their_reason_and_are_not_failures(report):
    duplicate, done = report["items"][2], report["items"][5]
    assert duplicate["status"] == done["status"] == "skipped"
    assert duplicate["error"]["type"] == "DuplicateSourceError"
    assert duplicate["output"] is None and duplicate["url"] is None
    # Skipped because its cutout is already there: the report still links to it.
    assert done["output"] == done["url"] == "old/shoe_bg_removed.png"
    assert "DuplicateSourceError" not in report["failure_reasons"]


def test_all_items_with_no_records_are_all_failed():
    report = build(records={})
    assert report["counts"] == {"total": 6, "succeeded": 0, "failed": 6, "skipped": 0}
    assert report["failure_reasons"] == {"NoResultRecordedError": 6}


def test_local_links_are_relative_to_the_output_folder(report):
    cat = report["items"][0]
    assert cat["output"] == cat["url"] == "cat_bg_removed.png"
    assert cat["preview_before"] == "previews/000001_before.jpg"
    assert cat["preview_after"] == "previews/000001_after.png"
    assert (cat["width"], cat["height"], cat["error"]) == (451, 300, None)


def test_aws_outputs_are_s3_uris_and_urls_come_from_the_link():
    run = dict(EVENT["run"], engine="aws")
    report = reporting.build_report(
        run, EVENT["items"], EVENT["records"], lambda key: f"https://signed/{key}"
    )
    assert report["items"][0]["output"] == "s3://bgremove-local/outputs/cat_bg_removed.png"
    assert report["items"][0]["url"] == "https://signed/outputs/cat_bg_removed.png"
    assert (
        report["items"][0]["preview_after"] == "https://signed/reports/r/previews/000001_after.png"
    )


def test_run_facts_and_summary(report):
    assert report["created_at"] == "2026-11-24T12:03:10+00:00"
    assert report["cached"] == 1
    assert report["items"][4]["notes"] == ["first frame of 3", "CMYK converted to sRGB"]
    assert reporting.summary(report) == {
        "run_id": EVENT["run"]["run_id"],
        "counts": report["counts"],
    }
    assert json.loads(json.dumps(report)) == report


def test_csv_parses_back_with_one_row_per_item(report):
    text = reporting.to_csv(report)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.splitlines()[0] == ",".join(reporting.CSV_COLUMNS)
    assert [row["item_id"] for row in rows] == PLAN_ORDER
    assert [row["status"] for row in rows] == [item["status"] for item in report["items"]]
    assert rows[0]["error_type"] == rows[0]["error_message"] == ""
    assert rows[1]["error_type"] == "UnsupportedFormatError"
    assert rows[3]["error_message"].startswith("no result recorded")
    night = rows[4]
    assert night["source"] == 'night, "sky" 50% #1.gif'
    assert night["notes"] == "first frame of 3; CMYK converted to sRGB"
    assert (night["width"], night["height"]) == ("1600", "900")


HOSTILE = "<script>alert(\"x\")</script> & 'café' <img src=x onerror=alert(1)> ✓.png"


def test_html_escapes_a_malicious_source(report):
    report["items"][1]["source"] = '<script>alert("x")</script>&.png'
    page = reporting.to_html(report)
    assert "<script" not in page
    assert tags(page, "script") == []
    assert texts(page, "h2")[1] == '<script>alert("x")</script>&.png'


def test_html_keeps_hostile_text_as_text_everywhere(report):
    """Names, reasons, notes, warnings and run facts: markup, quotes, & and non-ASCII
    are shown as written and never become elements or break out of an attribute."""
    report["run_id"] = report["model"] = HOSTILE
    report["warnings"] = [HOSTILE]
    report["failure_reasons"] = {HOSTILE: 1}
    report["created_at"] = HOSTILE  # not a time: shown as written
    cat, invoice = report["items"][0], report["items"][1]
    cat["source"] = invoice["source"] = HOSTILE
    cat["notes"] = [HOSTILE]
    invoice["error"] = {"type": HOSTILE, "message": HOSTILE}
    page = reporting.to_html(report)
    assert tags(page, "script") == []
    assert [image["src"] for image in tags(page, "img")] == [
        "previews/000001_before.jpg",
        "previews/000001_after.png",
        "previews/000005_before.jpg",
        "previews/000005_after.png",
    ]
    assert texts(page, "title") == [f"bgremove · {HOSTILE} · {HOSTILE}"]
    assert texts(page, "b")[:2] == [HOSTILE, HOSTILE]
    assert HOSTILE in texts(page, "p")[0]  # the run facts line
    assert texts(page, "h2")[:2] == [HOSTILE, HOSTILE]
    assert tags(page, "img")[0]["alt"] == f"{HOSTILE}, original"
    assert texts(page, "li") == [HOSTILE, "first frame of 3", "CMYK converted to sRGB"]
    assert HOSTILE in texts(page, "code")  # the failure reason and the item's error type
    assert [text for text in texts(page, "p") if text.startswith(HOSTILE)][-2:] == [
        HOSTILE,  # the warning
        HOSTILE + HOSTILE,  # the reason's message, then its type
    ]


def test_html_inlines_the_stylesheet_and_needs_no_other_file(report):
    page = reporting.to_html(report)
    assert texts(page, "style") == ["\n" + (TEMPLATES / "report.css").read_text(encoding="utf-8")]
    assert tags(page, "link") == [] and tags(page, "script") == []


def test_html_shows_every_item_with_its_reason(report):
    page = reporting.to_html(report)
    assert len(tags(page, "article")) == 6
    assert "not an image: the file is a PDF document" in page
    assert "no result recorded: the item's workflow ended" in html.unescape(page)
    assert "UnsupportedFormatError" in page and "AlreadyDoneError" in page
    assert "first frame of 3" in page


def test_html_pictures_only_where_there_are_previews(report):
    images = tags(reporting.to_html(report), "img")
    assert [image["src"] for image in images] == [
        "previews/000001_before.jpg",
        "previews/000001_after.png",
        "previews/000005_before.jpg",
        "previews/000005_after.png",
    ]
    assert all(image["loading"] == "lazy" and image["alt"] for image in images)


def test_html_encodes_local_file_names_as_links(report):
    hrefs = [link["href"] for link in tags(reporting.to_html(report), "a")]
    # %, # and a space are parts of a file name, not URL syntax.
    assert "night%2C%20%22sky%22%2050%25%20%231_bg_removed.png" in hrefs
    assert "old/shoe_bg_removed.png" in hrefs


def test_html_keeps_presigned_urls_as_they_are():
    run = dict(EVENT["run"], engine="aws")
    signed = "https://bucket.s3.amazonaws.com/{key}?X-Amz-Signature=ab%2Fcd&X-Amz-Expires=3600"
    report = reporting.build_report(
        run, EVENT["items"], EVENT["records"], lambda key: signed.format(key=key)
    )
    page = reporting.to_html(report)
    hrefs = [link["href"] for link in tags(page, "a")]
    assert signed.format(key="outputs/cat_bg_removed.png") in hrefs
    assert "presigned" in page


@pytest.mark.parametrize(
    ("stamp", "shown"),
    [
        ("2026-11-24T14:03:10+02:00", "2026-11-24 12:03 UTC"),  # in UTC, whatever the zone
        ("2026-11-24T12:03:10", "2026-11-24 12:03"),  # no zone: as written
        ("yesterday", None),  # not a time: the page shows the text itself
    ],
)
def test_times_on_the_page(stamp, shown):
    assert display_time(stamp) == shown


def test_ten_thousand_items_render():
    run = EVENT["run"]
    items, records = [], {}
    for index in range(10_000):
        item_id = f"{index:06d}"
        items.append(
            {
                "item_id": item_id,
                "source": f"photos/IMG_{index:05d}.jpg",
                "source_key": f"inputs/photos/IMG_{index:05d}.jpg",
                "output_key": f"outputs/photos/IMG_{index:05d}_bg_removed.png",
            }
        )
        if index % 10:  # every tenth item never wrote its record
            records[item_id] = {
                "item_id": item_id,
                "source": items[-1]["source"],
                "status": "succeeded",
                "output_key": items[-1]["output_key"],
                "error": None,
                "width": 4032,
                "height": 3024,
                "before_preview_key": f"reports/r/previews/{item_id}_before.jpg",
                "after_preview_key": f"reports/r/previews/{item_id}_after.png",
                "model_calls": 1,
            }
    report = reporting.build_report(run, items, records, local_link(run))
    page = reporting.to_html(report)
    assert page.count("<article") == 10_000
    assert page.count("<img") == 2 * 9_000
    assert len(page) < 10_000 * 1_000  # compact: under 1 kB of markup per item
    assert reporting.summary(report)["counts"] == {
        "total": 10_000,
        "succeeded": 9_000,
        "failed": 1_000,
        "skipped": 0,
    }
    assert len(reporting.to_csv(report).splitlines()) == 10_001


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            {
                "Error": "CorruptImageError",
                "Cause": json.dumps(
                    {"errorType": "CorruptImageError", "errorMessage": "truncated JPEG"}
                ),
            },
            {"type": "CorruptImageError", "message": "truncated JPEG"},
        ),
        (
            {"Error": "States.Timeout", "Cause": ""},
            {
                "type": "States.Timeout",
                "message": "the step ran out of time (the image may be too large for the configured timeout)",
            },
        ),
        (
            {"Error": "Lambda.Unknown", "Cause": "not json"},
            {
                "type": "Lambda.Unknown",
                "message": "the function stopped unexpectedly (out of memory?): not json",
            },
        ),
    ],
)
def test_catch_errors_become_plain_reasons(error, expected):
    assert error_info(error) == expected
