"""Bedrock models through the whole definition, against the simulated Bedrock."""

from __future__ import annotations

import json

import pytest
from PIL import Image, ImageDraw

from cli.main import main
from lambdas.models import simulated_bedrock
from workflow.local_engine import LocalEngine


@pytest.fixture
def photos(tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir()
    for index in range(12):
        image = Image.new("RGB", (160 + index, 120), (235, 235, 235))
        ImageDraw.Draw(image).ellipse((40, 25, 120, 95), fill=(30 + index * 10, 60, 150))
        image.save(folder / f"p{index:02d}.png")
    return folder


@pytest.fixture(autouse=True)
def fresh_simulators():
    simulated_bedrock.reset()
    yield
    simulated_bedrock.reset()


def report_of(out):
    return json.loads((out / "report.json").read_text())


def test_throttling_storm_every_item_still_succeeds_with_extra_attempts(photos, tmp_path):
    engine = LocalEngine(
        model="nova-canvas",
        simulate="throttle=0.5,seed=7",
        retry_clock_scale=0.0005,
        cache_dir=None,
    )
    outcome = engine.run(photos, tmp_path / "out")
    report = report_of(tmp_path / "out")
    assert outcome.exit_code == 0, report["failure_reasons"]
    assert report["counts"]["succeeded"] == 12
    attempts = [item["model_calls"] for item in report["items"]]
    assert sum(attempts) > 12 and max(attempts) >= 2  # throttled attempts were retried
    simulator = simulated_bedrock.shared("throttle=0.5,seed=7", time_scale=0.0005)
    assert simulator.throttled == sum(attempts) - 12
    assert "Legacy" in report["warnings"][0]  # Nova Canvas is Legacy: the report says so


def test_refusals_fail_fast_with_the_reason_and_no_retries(photos, tmp_path):
    engine = LocalEngine(
        model="stability", simulate="fail=1.0", retry_clock_scale=0.0005, cache_dir=None
    )
    outcome = engine.run(photos, tmp_path / "out")
    report = report_of(tmp_path / "out")
    assert outcome.exit_code == 1
    assert report["counts"]["failed"] == 12
    assert {item["error"]["type"] for item in report["items"]} == {"ModelRefusedError"}
    assert "content filter" in report["items"][0]["error"]["message"]
    assert simulated_bedrock.shared("fail=1.0", time_scale=0.0005).calls == 12


def test_rerun_of_a_simulated_batch_makes_zero_model_calls(photos, tmp_path):
    cache = tmp_path / "cache"
    for out in ("one", "two"):
        LocalEngine(model="stability", simulate="seed=1", cache_dir=cache).run(
            photos, tmp_path / out
        )
    assert report_of(tmp_path / "one")["model_calls"] == 12
    assert report_of(tmp_path / "two")["model_calls"] == 0


def test_end_of_life_model_stops_the_run_before_any_work(photos, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(photos), "--out", str(out), "--model", "titan-v2", "--quiet"])
    assert code == 2 and not out.exists()
    err = capsys.readouterr().err
    assert "end of life on 2026-06-30" in err and "--model stability" in err


def test_bad_simulate_spec_is_refused(photos, tmp_path, capsys):
    code = main(
        [
            "run",
            str(photos),
            "--out",
            str(tmp_path / "o"),
            "--model",
            "stability",
            "--simulate",
            "thottle=1",
        ]
    )
    assert code == 2 and "unknown key 'thottle'" in capsys.readouterr().err


def test_when_throttling_retries_run_out_the_item_fails_naming_its_attempts(photos, tmp_path):
    from workflow.definition import RetryPolicy, WorkflowSettings

    settings = WorkflowSettings(model_throttling=RetryPolicy(1, 2.0, 2, 5, True))
    engine = LocalEngine(
        model="stability",
        simulate="throttle=1.0",
        retry_clock_scale=0.0005,
        cache_dir=None,
        settings=settings,
    )
    outcome = engine.run(photos, tmp_path / "out")
    report = report_of(tmp_path / "out")
    assert outcome.exit_code == 1 and report["counts"]["failed"] == 12
    error = report["items"][0]["error"]
    assert error["type"] == "ModelThrottledError"
    assert error["message"].endswith("(attempt 3)")  # the first try and MaxAttempts 2 retries


def test_a_bedrock_model_without_credentials_is_refused(photos, tmp_path, monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    out = tmp_path / "out"
    assert main(["run", str(photos), "--out", str(out), "--model", "stability", "--quiet"]) == 2
    assert "needs AWS credentials" in capsys.readouterr().err and not out.exists()


@pytest.mark.skipif(
    not __import__("os").environ.get("BGREMOVE_LIVE_BEDROCK"),
    reason="calls the real Amazon Bedrock: set BGREMOVE_LIVE_BEDROCK=1 with credentials and model access",
)
def test_hybrid_run_calls_the_real_bedrock(photos, tmp_path):  # pragma: no cover - needs an account
    outcome = LocalEngine(model="stability", cache_dir=None).run(photos, tmp_path / "out")
    assert outcome.exit_code == 0
    assert report_of(tmp_path / "out")["model_calls"] >= 12
