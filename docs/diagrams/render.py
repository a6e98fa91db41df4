"""Render the documentation's diagrams to SVG from small text specifications, with nothing
but the standard library, so the docs build needs no drawing program.

Two kinds of specification live next to this file:

* ``NAME.seq``, a sequence diagram::

      title Authorization code flow
      participant app Web app (msal)
      participant idp Entra ID
      app -> idp: POST /token            (a request: solid arrow)
      idp --> app: access token          (an answer: dashed arrow)
      app -> app: cache the tokens       (a step of one participant)
      note Later calls: acquire_token_silent()

* ``NAME.layers``, a stack of layers, each a band of boxes, arrows from each to the next::

      title The emulator's parts
      layer Clients: msal | the scripted browser
      layer HTTPS server: routing | faults

``python docs/diagrams/render.py`` writes ``NAME.svg`` beside each; the docs build does the
same (``docs/conf.py``), and a test checks that the committed images are up to date.
"""

from __future__ import annotations

import os
import sys
from typing import Dict, List, Tuple
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
CHAR = 7.0  # average width of a 13px sans-serif character, in pixels
FONT = "font-family='Helvetica, Arial, sans-serif' font-size='13'"
INK, PALE, ACCENT = "#1f2933", "#eef2f7", "#3563a8"


def text_width(text: str) -> float:
    return len(text) * CHAR


def box_width(label: str) -> float:
    """A participant's box: its label is bold, so wider than plain text."""
    return len(label) * (CHAR + 0.8) + 24


def text(
    x: float, y: float, content: str, anchor: str = "middle", weight: str = "normal", colour: str = INK
) -> str:
    return "<text x='{:.0f}' y='{:.0f}' text-anchor='{}' font-weight='{}' fill='{}' {}>{}</text>".format(
        x, y, anchor, weight, colour, FONT, escape(content)
    )


def svg(width: float, height: float, body: List[str], title: str) -> str:
    head = (
        "<svg xmlns='http://www.w3.org/2000/svg' width='{0:.0f}' height='{1:.0f}' "
        "viewBox='0 0 {0:.0f} {1:.0f}' role='img'>"
    ).format(width, height)
    defs = (
        "<defs><marker id='arrow' markerWidth='10' markerHeight='8' refX='9' refY='4' "
        "orient='auto'><path d='M0,0 L10,4 L0,8 z' fill='{}'/></marker></defs>".format(INK)
    )
    return "\n".join(
        [
            head,
            "<title>{}</title>".format(escape(title)),
            defs,
            "<rect width='100%' height='100%' fill='white'/>",
        ]
        + body
        + ["</svg>", ""]
    )


# ---- Sequence diagrams -----------------------------------------------------------------------

Step = Tuple[str, str, str, str]  # (kind, from, to, label); kind is "->", "-->" or "note"


def parse_sequence(source: str) -> Tuple[str, List[Tuple[str, str]], List[Step]]:
    title, participants, steps = "", [], []  # type: str, List[Tuple[str, str]], List[Step]
    for number, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word == "title":
            title = rest.strip()
        elif word == "participant":
            key, _, label = rest.strip().partition(" ")
            participants.append((key, label.strip() or key))
        elif word == "note":
            steps.append(("note", "", "", rest.strip()))
        else:
            arrow = "-->" if "-->" in line else "->"
            ends, _, label = line.partition(":")
            left, _, right = ends.partition(arrow)
            known = [key for key, _ in participants]
            if left.strip() not in known or right.strip() not in known:
                raise ValueError("line {}: unknown participant in {!r}".format(number, line))
            steps.append((arrow, left.strip(), right.strip(), label.strip()))
    return title, participants, steps


def render_sequence(source: str) -> str:
    title, participants, steps = parse_sequence(source)
    index = {key: i for i, (key, _) in enumerate(participants)}
    # Columns far enough apart for every label that spans them.
    gaps = [
        max(box_width(a) / 2 + box_width(b) / 2 + 24, 120.0)
        for (_, a), (_, b) in zip(participants, participants[1:])
    ] + [0.0]
    for kind, start, end, label in steps:
        if kind == "note":
            continue
        low, high = sorted((index[start], index[end]))
        needed = text_width(label) + (40 if low != high else 60)
        if low == high:
            high = min(low + 1, len(participants) - 1)
            if high == low:
                gaps[low] = max(gaps[low], needed)
                continue
        have = sum(gaps[low:high])
        if have < needed:
            gaps[high - 1] += needed - have
    margin = 20 + box_width(participants[0][1]) / 2
    xs = [margin]
    for gap in gaps[:-1]:
        xs.append(xs[-1] + gap)
    width = xs[-1] + max(box_width(participants[-1][1]) / 2, gaps[-1]) + 20
    note_width = max([text_width(label) + 40 for kind, _, _, label in steps if kind == "note"] + [0])
    width = max(width, note_width + 20, text_width(title) + 40)
    body = [text(width / 2, 24, title, weight="bold")]
    top, row = 44, 40
    bottom = top + 36 + row * len(steps) + 20
    for (_, label), x in zip(participants, xs):
        box_w = box_width(label)
        for y in (top, bottom):
            body.append(
                "<rect x='{:.0f}' y='{}' width='{:.0f}' height='28' rx='4' fill='{}' stroke='{}'/>".format(
                    x - box_w / 2, y, box_w, PALE, ACCENT
                )
            )
            body.append(text(x, y + 19, label, weight="bold"))
        body.append(
            "<line x1='{0:.0f}' y1='{1}' x2='{0:.0f}' y2='{2}' stroke='{3}' stroke-dasharray='4 4'/>".format(
                x, top + 28, bottom, ACCENT
            )
        )
    y = top + 28 + 30
    for kind, start, end, label in steps:
        if kind == "note":
            box_w = text_width(label) + 24
            body.append(
                "<rect x='{:.0f}' y='{}' width='{:.0f}' height='26' fill='#fff8dc' stroke='#c9a227'/>".format(
                    width / 2 - box_w / 2, y - 17, box_w
                )
            )
            body.append(text(width / 2, y + 1, label))
        elif start == end:
            x = xs[index[start]]
            body.append(
                "<path d='M{0:.0f},{1} h30 v14 h-28' fill='none' stroke='{2}' "
                "marker-end='url(#arrow)'/>".format(x, y - 4, INK)
            )
            body.append(text(x + 38, y + 6, label, anchor="start"))
        else:
            x1, x2 = xs[index[start]], xs[index[end]]
            dash = " stroke-dasharray='6 4'" if kind == "-->" else ""
            body.append(
                "<line x1='{:.0f}' y1='{}' x2='{:.0f}' y2='{}' stroke='{}'{} "
                "marker-end='url(#arrow)'/>".format(x1, y + 4, x2, y + 4, INK, dash)
            )
            body.append(text((x1 + x2) / 2, y - 2, label))
        y += row
    return svg(width, bottom + 36, body, title)


# ---- Layer diagrams --------------------------------------------------------------------------


def parse_layers(source: str) -> Tuple[str, List[Tuple[str, List[str]]]]:
    title, layers = "", []  # type: str, List[Tuple[str, List[str]]]
    for raw in source.splitlines():
        line = raw.strip()
        if line.startswith("title "):
            title = line[len("title ") :].strip()
        elif line.startswith("layer "):
            name, _, boxes = line[len("layer ") :].partition(":")
            layers.append((name.strip(), [b.strip() for b in boxes.split("|") if b.strip()]))
    return title, layers


def render_layers(source: str) -> str:
    title, layers = parse_layers(source)
    widths = [sum(text_width(b) + 24 for b in boxes) + 16 * (len(boxes) + 1) for _, boxes in layers]
    width = max(widths + [text_width(name) + 40 for name, _ in layers] + [text_width(title) + 40]) + 40
    body = [text(width / 2, 24, title, weight="bold")]
    y, band, gap = 44, 74, 30
    for number, ((name, boxes), used) in enumerate(zip(layers, widths)):
        body.append(
            "<rect x='20' y='{}' width='{:.0f}' height='{}' rx='6' fill='{}' stroke='{}'/>".format(
                y, width - 40, band, PALE, ACCENT
            )
        )
        body.append(text(32, y + 18, name, anchor="start", weight="bold", colour=ACCENT))
        x = 20 + (width - 40 - used) / 2 + 16
        for box in boxes:
            box_w = text_width(box) + 24
            body.append(
                "<rect x='{:.0f}' y='{}' width='{:.0f}' height='30' rx='4' fill='white' stroke='{}'/>".format(
                    x, y + 30, box_w, INK
                )
            )
            body.append(text(x + box_w / 2, y + 50, box))
            x += box_w + 16
        if number < len(layers) - 1:
            body.append(
                "<line x1='{0:.0f}' y1='{1}' x2='{0:.0f}' y2='{2}' stroke='{3}' "
                "marker-end='url(#arrow)'/>".format(width / 2, y + band, y + band + gap, INK)
            )
        y += band + gap
    return svg(width, y - gap + 20, body, title)


RENDERERS = {".seq": render_sequence, ".layers": render_layers}


def rendered(directory: str = HERE) -> Dict[str, str]:
    """Every specification in ``directory``, rendered: {svg path: svg text}."""
    out = {}
    for name in sorted(os.listdir(directory)):
        stem, ext = os.path.splitext(name)
        if ext in RENDERERS:
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                out[os.path.join(directory, stem + ".svg")] = RENDERERS[ext](f.read())
    return out


def write_all(directory: str = HERE) -> List[str]:
    """Write the SVGs that are missing or out of date; return their paths."""
    written = []
    for path, content in rendered(directory).items():
        try:
            with open(path, encoding="utf-8") as f:
                if f.read() == content:
                    continue
        except FileNotFoundError:
            pass
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(content)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_all(sys.argv[1] if len(sys.argv) > 1 else HERE):
        print("wrote", os.path.relpath(written_path))
