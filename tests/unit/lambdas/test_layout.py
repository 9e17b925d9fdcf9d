from pathlib import Path

import pytest

from lambdas import layout

PATHS = layout.LocalPaths(root=Path("/photos"), out=Path("/out"), cache=Path("/cache"))


def test_bucket_keys_keep_their_layout():
    assert layout.items_key("r1") == "runs/r1/items.json"
    assert layout.record_key("r1", "000001") == "runs/r1/records/000001.json"
    assert layout.work_key("r1", "000001", "model_input.png") == "work/r1/000001/model_input.png"
    assert layout.preview_key("r1", "000001", "after.png") == "reports/r1/previews/000001_after.png"
    assert layout.cache_key("local", "ab") == "cache/local/ab.png"
    assert layout.ITEMS_PATTERN == "runs/*/items.json"
    assert set(layout.RESERVED_PREFIXES) == {"runs/", "work/", "outputs/", "reports/", "cache/"}


def test_local_keys_map_into_out_work_and_cache():
    assert PATHS.path_for("r1", "outputs/shop/a_bg_removed.png") == Path(
        "/out/shop/a_bg_removed.png"
    )
    assert PATHS.path_for("r1", "reports/r1/index.html") == Path("/out/index.html")
    # A record carried over from an earlier run names that run's previews.
    assert PATHS.path_for("r2", "reports/r1/previews/x_before.jpg") == Path(
        "/out/previews/x_before.jpg"
    )
    assert PATHS.path_for("r1", "work/r1/000001/model_input.png") == Path(
        "/out/.bgremove/work/r1/000001/model_input.png"
    )
    assert PATHS.path_for("r1", "cache/local/ab.png") == Path("/cache/local/ab.png")
    assert PATHS.source("shop/a.jpg") == Path("/photos/shop/a.jpg")


def test_without_a_cache_masks_stay_in_the_run_s_work_folder():
    paths = layout.LocalPaths(root=Path("/photos"), out=Path("/out"), cache=None)
    assert paths.path_for("r1", "cache/local/ab.png") == Path(
        "/out/.bgremove/work/r1/cache/local/ab.png"
    )


@pytest.mark.parametrize("key", ["outputs/../../etc/passwd", "outputs//etc/x", "runs/r1/plan.json"])
def test_keys_that_would_leave_the_folders_or_are_not_local_are_refused(key):
    with pytest.raises(ValueError):
        PATHS.path_for("r1", key)


def test_a_record_has_one_stable_place_per_source_and_output():
    one = PATHS.record("a.jpg", "outputs/a_bg_removed.png")
    assert one == PATHS.record("a.jpg", "outputs/a_bg_removed.png")
    assert one != PATHS.record("a.jpg", "outputs/a_bg_removed.webp")
    assert one.parent == Path("/out/.bgremove/records")
