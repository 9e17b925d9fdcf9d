"""The tutorial's request, on moto: the single-image definition with the real handlers."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageDraw

from workflow.definition import FUNCTIONS, build_single_image_definition
from workflow.local_engine import function_arn


@pytest.fixture
def single_image(local_aws):
    """The single-image definition on the local AWS (moto runs it as Standard; the
    deployed machine is Express, with the same document)."""
    definition = build_single_image_definition({name: function_arn(name) for name in FUNCTIONS})
    return local_aws, local_aws.create_state_machine("single", definition)


def test_input_key_gives_the_cutouts_presigned_url(single_image, tmp_path):
    aws, arn = single_image
    image = Image.new("RGB", (160, 120), (235, 235, 235))
    ImageDraw.Draw(image).ellipse((40, 30, 120, 90), fill=(20, 120, 60))
    image.save(tmp_path / "cat.png")
    aws.s3.upload_file(str(tmp_path / "cat.png"), "bgremove-batch", "inputs/cat.png")
    described = aws.execute(arn, {"input_key": "inputs/cat.png"})
    assert described["status"] == "SUCCEEDED", described.get("cause")
    output = json.loads(described["output"])
    assert "outputs/cat_bg_removed.png" in output["output_url"]
    assert "X-Amz-Expires=3600" in output["output_url"]  # the tutorial's one hour


def test_missing_key_fails_with_the_tutorials_message(single_image):
    aws, arn = single_image
    described = aws.execute(arn, {"input_key": "inputs/nonexistent.png"})
    assert described["status"] == "FAILED"
    assert described["error"] == "SourceNotFoundError"
    assert json.loads(described["cause"])["errorMessage"] == (
        "S3 object 'inputs/nonexistent.png' does not exist in bucket 'bgremove-batch'"
    )
