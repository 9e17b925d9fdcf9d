import json
import time

import pytest

from lambdas import errors, storage
from lambdas.errors import ManifestError, ModelUnusableError, SourceNotFoundError
from lambdas.planning import plan_run
from lambdas.settings import Settings
from tests.fixtures.events import load_event

SETTINGS = Settings(bucket="batch", engine="local", model="local")


def plan_request(name: str) -> dict:
    """The request of the Plan event ``tests/events/plan/<name>.json``."""
    return load_event(f"plan/{name}")["request"]


def put(s3, *keys):
    for key in keys:
        s3.put_object(Bucket="batch", Key=key, Body=b"x")


def planned(s3, result):
    return storage.read_json(s3, "batch", result["items_key"])


def test_prefix_lists_every_file_and_skips_junk(s3):
    put(
        s3,
        "inputs/a.png",
        "inputs/sub/b.jpg",
        "inputs/.DS_Store",
        "inputs/Thumbs.db",
        "other/c.png",
    )
    result = plan_run(plan_request("prefix"), run_id="r1", settings=SETTINGS, s3=s3)
    items = planned(s3, result)
    assert [item["source"] for item in items] == ["a.png", "sub/b.jpg"]
    assert [item["output_key"] for item in items] == [
        "outputs/a_bg_removed.png",
        "outputs/sub/b_bg_removed.png",
    ]
    assert result["total"] == result["to_process"] == 2
    assert result["run"]["runs_prefix"] == "runs/r1/"


def test_same_names_in_different_folders_and_same_stem_never_collide(s3):
    put(
        s3,
        "inputs/x/cat.png",
        "inputs/y/cat.png",
        "inputs/cat.jpg",
        "inputs/cat.png",
        "inputs/dog.png",
    )
    result = plan_run({"prefix": "s3://batch/inputs"}, run_id="r1", settings=SETTINGS, s3=s3)
    outputs = [item["output_key"] for item in planned(s3, result)]
    assert len(set(outputs)) == len(outputs) == 5
    assert "outputs/cat_jpg_bg_removed.png" in outputs
    assert "outputs/cat_png_bg_removed.png" in outputs
    assert "outputs/x/cat_bg_removed.png" in outputs
    assert "outputs/dog_bg_removed.png" in outputs


def test_manifest_duplicates_are_skipped_with_a_record(s3):
    put(s3, "inputs/a.png", "inputs/b.png")
    manifest = ["inputs/a.png", "s3://batch/inputs/b.png", "inputs/a.png"]
    s3.put_object(Bucket="batch", Key="manifests/m.json", Body=json.dumps(manifest))
    result = plan_run(plan_request("manifest"), run_id="r1", settings=SETTINGS, s3=s3)
    assert result["total"] == 3 and result["to_process"] == 2
    plan = storage.read_json(s3, "batch", "runs/r1/plan.json")
    record = plan["ended"]["000003"]
    assert record["status"] == "skipped"
    assert "duplicate of item 000001" in record["error"]["message"]
    assert [item["item_id"] for item in plan["items"]] == ["000001", "000002", "000003"]
    assert storage.list_keys(s3, "batch", "runs/r1/records/") == []  # one write, not one a skip


def test_manifest_options_and_request_options(s3):
    put(s3, "inputs/a.png")
    document = {"items": ["inputs/a.png"], "options": {"format": "webp", "concurrency": 3}}
    s3.put_object(Bucket="batch", Key="manifests/m.json", Body=json.dumps(document))
    result = plan_run(plan_request("manifest_with_options"), run_id="r1", settings=SETTINGS, s3=s3)
    assert result["concurrency"] == 5  # the request wins over the manifest
    assert result["run"]["output_format"] == "webp"
    assert planned(s3, result)[0]["output_key"] == "outputs/a_bg_removed.webp"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            "s3://elsewhere/inputs/a.png",
            "index 1: s3://elsewhere/inputs/a.png is outside this run's bucket",
        ),
        ("inputs/../runs/x.json", "index 1: cannot read"),
        ("outputs/a.png", "index 1: cannot read 'outputs/a.png'"),
        ("photos/a.png", "sources must be under 'inputs/'"),
    ],
)
def test_manifest_naming_unreadable_sources_is_refused_before_any_write(s3, source, expected):
    s3.put_object(Bucket="batch", Key="manifests/m.json", Body=json.dumps(["inputs/a.png", source]))
    with pytest.raises(ManifestError) as raised:
        plan_run(plan_request("manifest"), run_id="r1", settings=SETTINGS, s3=s3)
    assert expected in str(raised.value)
    assert storage.list_keys(s3, "batch", "runs/") == []


def test_tutorial_input_key_and_its_missing_key_error(s3):
    put(s3, "inputs/cat.png")
    result = plan_run(plan_request("input_key"), run_id="r1", settings=SETTINGS, s3=s3)
    assert planned(s3, result)[0]["source_key"] == "inputs/cat.png"
    with pytest.raises(SourceNotFoundError) as raised:
        plan_run(
            {"input_key": "nonexistent/image.png"},
            run_id="r2",
            settings=Settings(bucket="batch", input_prefix="", engine="local"),
            s3=s3,
        )
    assert str(raised.value) == "S3 object 'nonexistent/image.png' does not exist in bucket 'batch'"


@pytest.mark.parametrize("refused", load_event("plan/refused"), ids=lambda case: case["message"])
def test_bad_requests_are_refused(s3, refused):
    put(s3, "inputs/a.png")
    with pytest.raises(getattr(errors, refused["error"])) as raised:
        plan_run(refused["request"], run_id="r1", settings=SETTINGS, s3=s3)
    assert refused["message"] in str(raised.value)


def test_skip_done_skips_items_whose_cutout_is_newer_than_the_source(s3):
    put(s3, "inputs/a.png", "inputs/b.png")
    time.sleep(1.1)  # S3's LastModified has whole seconds
    s3.put_object(Bucket="batch", Key="outputs/a_bg_removed.png", Body=b"cutout")
    result = plan_run(plan_request("skip_done"), run_id="r1", settings=SETTINGS, s3=s3)
    assert result["total"] == 2 and result["to_process"] == 1
    assert [item["source"] for item in planned(s3, result)] == ["b.png"]
    record = storage.read_json(s3, "batch", "runs/r1/plan.json")["ended"]["000001"]
    assert record["status"] == "skipped" and record["error"]["type"] == "AlreadyDoneError"
    time.sleep(1.1)
    put(s3, "inputs/a.png")  # the source changed after its cutout: do it again
    again = plan_run(plan_request("skip_done"), run_id="r2", settings=SETTINGS, s3=s3)
    assert again["to_process"] == 2


@pytest.mark.parametrize("model", ["local", "onnx"])
@pytest.mark.parametrize("where", ["request", "manifest"])
def test_aws_engine_refuses_models_its_lambdas_cannot_load(s3, model, where):
    put(s3, "inputs/a.png")
    s3.put_object(
        Bucket="batch",
        Key="manifests/m.json",
        Body=json.dumps({"items": ["inputs/a.png"], "options": {"model": model}}).encode(),
    )
    aws = Settings(bucket="batch", engine="aws", model="stability")
    request = (
        {"prefix": "s3://batch/inputs/", "options": {"model": model}}
        if where == "request"
        else {"manifest": "s3://batch/manifests/m.json"}
    )
    with pytest.raises(ModelUnusableError) as refused:
        plan_run(request, run_id="r1", settings=aws, s3=s3)
    message = str(refused.value)
    assert f"model {model!r} runs only on the local engine" in message
    assert "stability" in message and "titan-v2" in message and "nova-canvas" in message
    assert not storage.list_objects(s3, "batch", "runs/")  # nothing written


def test_local_engine_keeps_accepting_offline_models(s3):
    put(s3, "inputs/a.png")
    local = Settings(bucket="batch", engine="local", model="stability")
    for model in ("local", "onnx"):
        request = {"prefix": "s3://batch/inputs/", "options": {"model": model}}
        result = plan_run(request, run_id=f"r-{model}", settings=local, s3=s3)
        assert result["run"]["model"] == model
