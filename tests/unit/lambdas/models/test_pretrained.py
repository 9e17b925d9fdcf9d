"""Pretrained models on first use: a tiny ONNX model served from 127.0.0.1 stands in
for rembg's release files (no weights are downloaded or kept in git).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
from dataclasses import replace
from functools import partial

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cli.main import main
from lambdas.errors import ModelUnusableError
from lambdas.models import get_model, model_names
from lambdas.models.catalog import AWS_MODELS, CATALOG, PRETRAINED_MODELS
from lambdas.models.pretrained import BASE_URL_ENV, ensure_weights, model_home
from lambdas.planning import check_model_runs_on_engine
from lambdas.settings import Settings
from tests.unit.lambdas.models.test_onnx_matting import brightness_model

REMBG_NAMES = {
    "u2netp",
    "u2net",
    "isnet-general-use",
    "birefnet-general",
    "birefnet-general-lite",
    "birefnet-portrait",
    "birefnet-dis",
    "birefnet-hrsod",
}


class Server:
    """A folder served over HTTP on 127.0.0.1, counting the requests it answers."""

    def __init__(self, folder):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                server.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(Handler, directory=str(folder))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/releases"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def tiny(tmp_path):
    """A tiny u2netp-shaped model (dynamic input, 0..1 output) under rembg's URL name."""
    folder = tmp_path / "served" / "releases"
    folder.mkdir(parents=True)
    path = brightness_model(folder / "u2netp.onnx", None, logits=False)
    return folder / "u2netp.onnx", hashlib.md5(open(path, "rb").read()).hexdigest()


@pytest.fixture
def served(tiny, tmp_path, monkeypatch):
    server = Server(tmp_path / "served")
    monkeypatch.setenv(BASE_URL_ENV, server.url)
    monkeypatch.setenv("U2NET_HOME", str(tmp_path / "u2net-home"))
    yield server
    server.close()


@pytest.fixture
def tiny_is_u2netp(tiny, monkeypatch):
    """The registry's u2netp entry, with the tiny model's checksum instead of rembg's."""
    facts = CATALOG["u2netp"]
    monkeypatch.setitem(
        CATALOG, "u2netp", replace(facts, weights=replace(facts.weights, md5=tiny[1]))
    )


def photo(size=(120, 80)):
    image = Image.new("RGB", size, (10, 10, 10))
    ImageDraw.Draw(image).rectangle((40, 20, 80, 60), fill=(250, 250, 250))
    return image


def test_the_registry_has_rembgs_models_as_rembg_gives_them():
    assert set(PRETRAINED_MODELS) == REMBG_NAMES
    assert "bria-rmbg" not in model_names()  # non-commercial weights
    for name in PRETRAINED_MODELS:
        facts = CATALOG[name]
        assert facts.weights.file_name == f"{name}.onnx"  # rembg saves as <name>.onnx
        assert facts.weights.url.startswith(
            "https://github.com/danielgatis/rembg/releases/download/v0.0.0/"
        )
        assert len(facts.weights.md5) == 32 and int(facts.weights.md5, 16) >= 0
        assert facts.weights.source.startswith("danielgatis/rembg rembg/sessions/")
        assert facts.engines == ("local",) and facts.licence and facts.runs_on_cpu
        birefnet = name.startswith("birefnet")
        assert facts.defaults["sigmoid"] is birefnet
        assert facts.defaults["input_size"] == (320 if name.startswith("u2net") else 1024)
    assert CATALOG["isnet-general-use"].defaults["normalize"] == "0.5,0.5,0.5/1.0,1.0,1.0"
    assert CATALOG["u2net"].weights.md5 == "60024c5c889badc19c04ad937298a77b"


def test_plan_refuses_pretrained_models_on_the_aws_engine_from_the_registrys_engines():
    for name in PRETRAINED_MODELS:
        with pytest.raises(ModelUnusableError, match="runs only on the local engine"):
            check_model_runs_on_engine(Settings(engine="aws", model=name))
        check_model_runs_on_engine(Settings(engine="local", model=name))
    for name in AWS_MODELS:
        check_model_runs_on_engine(Settings(engine="aws", model=name))
    assert set(AWS_MODELS) == {"titan-v2", "nova-canvas", "stability"}


def test_the_cli_offers_every_registered_model(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["run", "x", "--model", "no-such-model"])
    assert exited.value.code == 2
    assert "isnet-general-use" in capsys.readouterr().err
    assert main(["models"]) == 0
    listing = capsys.readouterr().out
    for name in model_names():
        assert name in listing
    assert "Apache-2.0" in listing and "MIT" in listing
    with pytest.raises(SystemExit):  # estimate prices the stack: its models only
        main(["estimate", "--count", "10", "--model", "u2netp"])
    assert "choose from 'titan-v2', 'nova-canvas', 'stability'" in capsys.readouterr().err


def test_first_use_downloads_once_verifies_and_runs(served, tiny_is_u2netp):
    model = get_model("u2netp")
    path = model_home() / "u2netp.onnx"
    assert path.is_file() and served.requests == ["/releases/u2netp.onnx"]
    assert [p.name for p in path.parent.iterdir()] == ["u2netp.onnx"]  # no partial left
    assert model.name == "u2netp" and model.size == (320, 320)
    assert model.divide_by_max and model.sigmoid is False and model.resample == "lanczos"
    mask = np.asarray(model.remove_background(photo()))
    assert mask[40, 60] > 200 and mask[5, 5] < 50
    get_model("u2netp")
    assert len(served.requests) == 1  # the second use reads the cached file


def test_a_checksum_mismatch_is_refused_and_leaves_no_file(served):
    # The registry keeps rembg's md5, which the tiny served model does not have.
    with pytest.raises(ModelUnusableError, match="md5") as refused:
        get_model("u2netp")
    assert "8e83ca70e441ab06c318d82300c84806" in str(refused.value)
    assert served.requests == ["/releases/u2netp.onnx"]
    assert not model_home().exists() or list(model_home().iterdir()) == []


def test_a_file_already_in_u2net_home_is_used_without_a_download(
    served, tiny, tiny_is_u2netp, tmp_path
):
    model_home().mkdir(parents=True)
    (model_home() / "u2netp.onnx").write_bytes(tiny[0].read_bytes())
    assert ensure_weights("u2netp", CATALOG["u2netp"].weights) == model_home() / "u2netp.onnx"
    get_model("u2netp")
    assert served.requests == []


def test_a_damaged_file_in_u2net_home_is_refused_not_replaced(served, tiny_is_u2netp):
    model_home().mkdir(parents=True)
    (model_home() / "u2netp.onnx").write_bytes(b"half a model")
    with pytest.raises(ModelUnusableError, match="Delete it to download it again"):
        get_model("u2netp")
    assert served.requests == []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_offline_refuses_before_any_work_with_the_url_and_the_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{free_port()}/releases")
    monkeypatch.setenv("U2NET_HOME", str(tmp_path / "home"))
    photo().save(tmp_path / "a.png")
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "a.png"), "--out", str(out), "--model", "isnet-general-use"])
    error = capsys.readouterr().err
    assert code == 2 and not out.exists()
    assert "/releases/isnet-general-use.onnx" in error
    assert str(tmp_path / "home" / "isnet-general-use.onnx") in error
    assert "Nothing was processed" in error
    assert not (tmp_path / "home").exists() or list((tmp_path / "home").iterdir()) == []


def test_plan_refuses_offline_too(tmp_path, monkeypatch):
    """A manifest may name the model: Plan's preflight fetches, and refuses offline."""
    from lambdas.models.preflight import preflight

    monkeypatch.setenv(BASE_URL_ENV, f"http://127.0.0.1:{free_port()}/releases")
    monkeypatch.setenv("U2NET_HOME", str(tmp_path / "home"))
    with pytest.raises(ModelUnusableError, match="cannot be downloaded"):
        preflight("birefnet-general", region="us-east-1")


@pytest.mark.slow  # a whole `bgremove run`
def test_bgremove_run_with_a_served_pretrained_model(served, tiny_is_u2netp, tmp_path, capsys):
    source = tmp_path / "photos"
    source.mkdir()
    photo((160, 120)).save(source / "square.png")
    photo((90, 60)).save(source / "small.jpg", quality=95)
    out = tmp_path / "out"
    code = main(
        ["run", str(source), "--out", str(out), "--model", "u2netp", "--no-cache", "--quiet"]
    )
    assert code == 0, capsys.readouterr().err
    report = json.loads((out / "report.json").read_text())
    assert report["model"] == "u2netp"
    assert report["counts"]["succeeded"] == 2
    assert len(served.requests) == 1
    with Image.open(out / "square_bg_removed.png") as cutout:
        alpha = np.asarray(cutout.getchannel("A"))
    assert alpha[60, 80] > 200 and alpha[5, 5] < 50
