import json

import pytest

from lambdas.errors import ManifestError
from manifests.parsing import parse_manifest


def test_json_list_of_sources():
    manifest = parse_manifest(b'["inputs/a.png", "inputs/b.jpg"]', name="m.json")
    assert [entry.source for entry in manifest.entries] == ["inputs/a.png", "inputs/b.jpg"]
    assert manifest.entries[1].where == "index 1"


def test_json_object_with_items_outputs_and_options():
    document = {
        "items": ["a.png", {"source": "b.png", "output": "shop/b.png"}],
        "options": {"format": "webp", "concurrency": 4},
    }
    manifest = parse_manifest(json.dumps(document).encode(), name="m.json")
    assert manifest.entries[1].output == "shop/b.png"
    assert manifest.options == {"format": "webp", "concurrency": 4}


def test_csv_with_source_and_output_columns_skips_blank_lines():
    data = b"Source,output\ninputs/a.png,\n\ninputs/b.png,out/b.png\n"
    manifest = parse_manifest(data, name="m.csv")
    assert [(e.source, e.output, e.where) for e in manifest.entries] == [
        ("inputs/a.png", None, "line 2"),
        ("inputs/b.png", "out/b.png", "line 4"),
    ]


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b'["a.png", 3]', "m.json", "index 1"),
        (b'["a.png", {"src": "b.png"}]', "m.json", "index 1: unknown key 'src'"),
        (
            b'{"items": ["a.png"], "options": {"colour": "red"}}',
            "m.json",
            "unknown option 'colour'",
        ),
        (b'["a.png",', "m.json", "invalid JSON at line 1"),
        (b"[]", "m.json", "names no items"),
        (b"path\na.png\n", "m.csv", "line 1: no 'source' column"),
        (b"source,output\na.png,\n,x.png\n", "m.csv", "line 3: empty 'source'"),
        (b"", "m.csv", "is empty"),
        (b"\xff\xfe\x00", "m.json", "not UTF-8"),
        (b'["a.png"]', "m.txt", "use a .json or .csv file"),
    ],
)
def test_bad_manifests_name_the_place(data, name, expected):
    with pytest.raises(ManifestError) as raised:
        parse_manifest(data, name=name)
    assert expected in str(raised.value)
    assert name in str(raised.value)


def test_an_item_may_carry_its_own_output_options():
    from lambdas.errors import ManifestError

    document = {
        "items": [{"source": "a.png", "options": {"crop": True, "margin": "5%"}}, "b.png"],
        "options": {"bg_color": "#ffffff"},
    }
    manifest = parse_manifest(json.dumps(document).encode(), name="m.json")
    assert manifest.entries[0].options == {"crop": True, "margin": "5%"}
    assert manifest.entries[1].options == {}
    assert manifest.options == {"bg_color": "#ffffff"}
    bad = {"items": [{"source": "a.png", "options": {"max_size": "huge"}}]}
    with pytest.raises(ManifestError, match="index 0: max_size must be a whole number"):
        parse_manifest(json.dumps(bad).encode(), name="m.json")
    unknown = {"items": [{"source": "a.png", "options": {"model": "local"}}]}
    with pytest.raises(ManifestError, match="unknown item option 'model'"):
        parse_manifest(json.dumps(unknown).encode(), name="m.json")


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"itemz": []}, "manifest m.json: unknown key 'itemz'; expected 'items' and optional"),
        ({"options": {}}, "manifest m.json: missing 'items' (a list of sources)"),
        ({"items": "a.png"}, "manifest m.json: expected a list of sources or an object with"),
        ({"items": ["a"], "options": []}, "manifest m.json: 'options' must be an object"),
        ({"items": [{"output": "x"}]}, "manifest m.json, index 0: 'source' must be a string"),
        ({"items": [{"source": 3}]}, "manifest m.json, index 0: 'source' must be a string"),
        ({"items": [{"source": "a", "output": 1}]}, "index 0: 'output' must be a string"),
        ({"items": ["a", {"source": "b", "options": 1}]}, "index 1: 'options' must be an object"),
    ],
)
def test_json_shape_errors_say_what_is_wrong_where(document, expected):
    with pytest.raises(ManifestError) as raised:
        parse_manifest(json.dumps(document).encode(), name="m.json")
    assert expected in str(raised.value)
