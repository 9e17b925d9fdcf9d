import os
from pathlib import Path

import pytest

from lambdas.errors import BrokenLinkError, InputMissingError
from lambdas.planning import run_context
from lambdas.run_store import LocalRunStore, open_store
from lambdas.run_store.local import walk_sources
from lambdas.settings import Settings


def store_for(tmp_path: Path) -> LocalRunStore:
    settings = Settings(
        bucket="b",
        engine="local",
        input_prefix="",
        local_root=str(tmp_path / "photos"),
        local_out=str(tmp_path / "out"),
    )
    store = open_store(run_context("r1", settings), s3=None)
    assert isinstance(store, LocalRunStore)
    return store


ITEM = {
    "item_id": "000001",
    "source": "a.jpg",
    "source_key": "a.jpg",
    "output_key": "outputs/a.png",
}


def test_the_walk_skips_hidden_junk_and_every_folder_bgremove_writes(tmp_path):
    photos = tmp_path / "photos"
    for name in ("a.jpg", "sub/b.png", ".hidden.jpg", ".git/c.jpg", "Thumbs.db", "notes.txt"):
        (photos / name).parent.mkdir(parents=True, exist_ok=True)
        (photos / name).write_bytes(b"x")
    # Another run's output folder inside the photos, and this run's --out.
    (photos / "old-cutouts" / ".bgremove").mkdir(parents=True)
    (photos / "old-cutouts" / "a_bg_removed.png").write_bytes(b"x")
    (photos / "cutouts").mkdir()
    (photos / "cutouts" / "d.png").write_bytes(b"x")
    keys = [entry.key for entry in walk_sources(photos, skip=[photos / "cutouts"])]
    assert keys == ["a.jpg", "notes.txt", "sub/b.png"]
    assert all(entry.fingerprint for entry in walk_sources(photos))


def test_a_symlinked_folder_loop_is_walked_once(tmp_path):
    photos = tmp_path / "photos"
    (photos / "sub").mkdir(parents=True)
    (photos / "sub" / "a.jpg").write_bytes(b"x")
    (photos / "sub" / "again").symlink_to(photos)
    assert [entry.key for entry in walk_sources(photos)] == ["sub/a.jpg"]


def test_writes_are_whole_or_absent(tmp_path, monkeypatch):
    store = store_for(tmp_path)
    store.write_cutout(ITEM, b"first", "image/png")
    assert (tmp_path / "out" / "a.png").read_bytes() == b"first"

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        store.write_cutout(ITEM, b"second", "image/png")
    assert (tmp_path / "out" / "a.png").read_bytes() == b"first"
    visible = [p for p in (tmp_path / "out").rglob("*") if ".bgremove" not in p.parts]
    assert [p.name for p in visible if p.is_file()] == ["a.png"]


def test_unreadable_sources_name_the_file_and_the_cause(tmp_path):
    store = store_for(tmp_path)
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "gone.jpg").symlink_to(tmp_path / "photos" / "nowhere.jpg")
    with pytest.raises(BrokenLinkError, match="gone.jpg is a symbolic link to .*nowhere.jpg"):
        store.read_source("gone.jpg")
    with pytest.raises(InputMissingError, match="missing.jpg does not exist"):
        store.read_source("missing.jpg")


def test_records_of_this_run_are_read_back_and_earlier_ones_offered_for_resuming(tmp_path):
    store = store_for(tmp_path)
    record = {"item_id": "000001", "source": "a.jpg", "status": "succeeded", "output_key": None}
    store.write_record(ITEM, record)
    assert store.read_records([ITEM])["000001"]["run_id"] == "r1"
    later = open_store({**store.run, "run_id": "r2"}, s3=None)
    moved = {**ITEM, "item_id": "000007"}  # the folder changed: numbering differs
    assert later.read_records([moved]) == {}
    assert later.earlier_records([moved])["000007"]["item_id"] == "000007"
