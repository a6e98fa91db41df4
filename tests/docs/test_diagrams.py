"""The diagrams: drawn from their text specifications, committed up to date, shown in the
pages built from the guides."""

import importlib.util
import os
import re
import xml.etree.ElementTree as ElementTree

import pytest

DOCS = os.path.join(os.path.dirname(__file__), os.pardir, os.pardir, "docs")
DIAGRAMS = os.path.join(DOCS, "diagrams")
SHOWN_IN = {
    "auth-code.svg": "guides/web-app.md",
    "on-behalf-of.svg": "guides/on-behalf-of.md",
    "device-code.svg": "guides/device-code.md",
    "emulator-parts.svg": "guides/emulator.md",
}


def renderer():
    spec = importlib.util.spec_from_file_location("render", os.path.join(DIAGRAMS, "render.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_images_are_what_the_specifications_draw():
    drawn = renderer().rendered()
    assert sorted(os.path.basename(p) for p in drawn) == sorted(SHOWN_IN)
    for path, content in drawn.items():
        with open(path, encoding="utf-8") as f:
            assert f.read() == content, "run python docs/diagrams/render.py: {} is stale".format(path)
        ElementTree.fromstring(content)  # well-formed SVG


def test_sequence_diagram_draws_each_participant_and_message():
    svg = renderer().render_sequence(
        "title T\nparticipant a App\nparticipant b Entra ID\na -> b: POST /token\n"
        "b --> a: tokens & more\na -> a: cache them\nnote later: silent"
    )
    texts = re.findall(r">([^<>]+)</text>", svg)
    assert texts.count("App") == 2 and texts.count("Entra ID") == 2  # top and bottom
    for label in ("POST /token", "tokens &amp; more", "cache them", "later: silent"):
        assert label in texts
    assert svg.count("stroke-dasharray='6 4'") == 1  # one answer, drawn dashed


def test_unknown_participant_is_reported_with_its_line():
    with pytest.raises(ValueError, match="line 3: unknown participant"):
        renderer().render_sequence("participant a A\nparticipant b B\na -> c: hello")


@pytest.mark.parametrize("image", sorted(SHOWN_IN))
def test_guides_show_the_diagrams(image):
    with open(os.path.join(DOCS, SHOWN_IN[image]), encoding="utf-8") as f:
        assert "](../diagrams/{})".format(image) in f.read()
