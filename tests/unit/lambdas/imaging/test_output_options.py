import pytest
from PIL import Image

from lambdas.errors import ConfigError
from lambdas.imaging.output import OutputOptions, finish


def cutout() -> Image.Image:
    """A 400×300 RGBA cutout whose subject is the box (100, 50)–(200, 150)."""
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((200, 30, 30, 255), (100, 50, 200, 150))
    return image


def test_defaults_leave_the_cutout_as_it_is():
    assert finish(cutout(), OutputOptions()).size == (400, 300)
    assert OutputOptions.from_options({}).to_dict() == {}


def test_crop_with_pixel_and_percentage_margins():
    assert finish(cutout(), OutputOptions(crop=True)).size == (100, 100)
    assert finish(cutout(), OutputOptions(crop=True, margin="10")).size == (120, 120)
    assert finish(cutout(), OutputOptions(crop=True, margin="50%")).size == (200, 200)
    # A margin past the frame stops at the frame.
    assert finish(cutout(), OutputOptions(crop=True, margin="500")).size == (400, 300)


def test_max_size_caps_the_longest_side_and_never_enlarges():
    assert finish(cutout(), OutputOptions(max_size=200)).size == (200, 150)
    assert finish(cutout(), OutputOptions(max_size=1000)).size == (400, 300)


def test_mask_is_the_alpha_and_bg_color_fills_behind_the_subject():
    mask = finish(cutout(), OutputOptions(mask=True))
    assert mask.mode == "L" and mask.getpixel((150, 100)) == 255 and mask.getpixel((5, 5)) == 0
    filled = finish(cutout(), OutputOptions(bg_color="#00ff0080"))
    assert filled.getpixel((5, 5)) == (0, 255, 0, 128)
    assert filled.getpixel((150, 100)) == (200, 30, 30, 255)
    assert OutputOptions(bg_color="#0f0").fill() == (0, 255, 0)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bg_color": "blue"}, "not a colour"),
        ({"margin": "5 px"}, "must be pixels"),
        ({"max_size": "big"}, "whole number"),
        ({"max_size": 4}, "between 16"),
        ({"crop": "maybe"}, "true or false"),
        ({"mask": True, "bg_color": "#fff"}, "cannot be combined"),
    ],
)
def test_bad_options_are_refused_by_name(options, message):
    with pytest.raises(ConfigError, match=message):
        OutputOptions.from_options(options)
