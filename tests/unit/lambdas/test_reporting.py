import csv
import io
import json
from pathlib import Path

import pytest

from lambdas import reporting
from lambdas.records import error_info
from lambdas.run_report import local_link

EVENT = json.loads((Path(__file__).parents[2] / "events" / "report_records.json").read_text())


@pytest.fixture
def report():
    run = EVENT["run"]
    return reporting.build_report(run, EVENT["items"], EVENT["records"], local_link(run))


def test_every_planned_item_once_in_plan_order(report):
    assert [item["item_id"] for item in report["items"]] == ["000001", "000002", "000003", "000004"]
    assert report["counts"] == {"total": 4, "succeeded": 1, "failed": 2, "skipped": 1}
    assert report["failure_reasons"] == {"UnsupportedFormatError": 1, "NoResultRecordedError": 1}


def test_missing_record_is_a_failure_not_a_loss(report):
    lost = report["items"][3]
    assert lost["status"] == "failed"
    assert lost["error"]["type"] == "NoResultRecordedError"
    assert "no result recorded" in lost["error"]["message"]


def test_local_links_are_relative_to_the_output_folder(report):
    cat = report["items"][0]
    assert cat["output"] == cat["url"] == "cat_bg_removed.png"
    assert cat["preview_before"] == "previews/000001_before.jpg"


def test_aws_outputs_are_s3_uris_and_urls_come_from_the_link():
    run = dict(EVENT["run"], engine="aws")
    report = reporting.build_report(
        run, EVENT["items"], EVENT["records"], lambda key: f"https://signed/{key}"
    )
    assert report["items"][0]["output"] == "s3://bgremove-local/outputs/cat_bg_removed.png"
    assert report["items"][0]["url"] == "https://signed/outputs/cat_bg_removed.png"


def test_csv_has_one_row_per_item(report):
    rows = list(csv.DictReader(io.StringIO(reporting.to_csv(report))))
    assert [row["status"] for row in rows] == ["succeeded", "failed", "skipped", "failed"]
    assert rows[1]["error_type"] == "UnsupportedFormatError"
    assert rows[0]["error_type"] == ""


def test_html_escapes_sources_and_shows_reasons(report):
    report["items"][1]["source"] = '<script>alert("x")</script>&.png'
    page = reporting.to_html(report)
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    assert "not an image: the file is a PDF document" in page
    assert page.count('class="card ') == 4


def test_ten_thousand_items_render():
    run = EVENT["run"]
    items = [
        {"item_id": f"{index:06d}", "source": f"p{index}.jpg", "source_key": "k", "output_key": "o"}
        for index in range(10_000)
    ]
    report = reporting.build_report(run, items, {}, local_link(run))
    assert reporting.to_html(report).count("<article") == 10_000
    assert reporting.summary(report)["counts"]["failed"] == 10_000


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
