"""The Store step on its own, with a store that keeps everything in memory."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from lambdas.imaging.normalize import TRANSPARENCY_NOTE
from lambdas.item_steps import store


class MemoryStore:
    """The verbs Store uses, in a dict."""

    def __init__(self, source: bytes, mask: bytes) -> None:
        self.files = {"source": source, "mask": mask}

    def read_source(self, key: str) -> bytes:
        return self.files[key]

    def read_mask(self, key: str) -> bytes:
        return self.files[key]

    def write_cutout(self, item, data: bytes, content_type: str) -> None:
        self.files["cutout"] = data

    def write_preview(self, item, name: str, data: bytes, content_type: str) -> str:
        self.files[name] = data
        return name

    def write_record(self, item, record) -> None:
        self.files["record"] = record

    def discard_work(self, item) -> None:
        pass


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def run_store(source: Image.Image, mask: Image.Image) -> tuple[Image.Image, MemoryStore]:
    memory = MemoryStore(png(source), png(mask))
    state = {
        "run": {"output_format": "png"},
        "item": {"item_id": "1", "source": "a.png", "source_key": "source", "output_key": "a"},
        "resized": {"pad": None, "notes": [TRANSPARENCY_NOTE]},
        "mask": {"mask_key": "mask"},
    }
    record = store(state, store=memory)
    assert record["notes"] == [TRANSPARENCY_NOTE]
    return Image.open(io.BytesIO(memory.files["cutout"])), memory


def test_an_rgba_source_keeps_its_transparency():
    """The model says all of it is subject; the source's own alpha still bounds the cutout."""
    source = Image.new("RGBA", (200, 100), (200, 30, 30, 255))
    alpha = np.zeros((100, 200), np.uint8)
    alpha[:, 100:] = 255
    alpha[:, 50:100] = 128  # a half-transparent band keeps its half
    source.putalpha(Image.fromarray(alpha))
    cutout, memory = run_store(source, Image.new("L", (100, 50), 255))
    assert cutout.mode == "RGBA" and cutout.size == (200, 100)
    kept = np.asarray(cutout)[..., 3]
    assert np.array_equal(kept, alpha)
    assert tuple(np.asarray(cutout)[50, 150, :3]) == (200, 30, 30)  # colours as they were
    assert Image.open(io.BytesIO(memory.files["before.jpg"])).format == "JPEG"


def test_the_model_still_cuts_inside_the_source_alpha():
    source = Image.new("RGBA", (200, 100), (200, 30, 30, 255))
    source.putalpha(Image.new("L", (200, 100), 200))
    mask = Image.new("L", (200, 100), 0)
    mask.paste(255, (0, 0, 100, 100))
    cutout, _ = run_store(source, mask)
    kept = np.asarray(cutout)[..., 3]
    assert kept[:, :90].min() == 200 and kept[:, 110:].max() == 0
