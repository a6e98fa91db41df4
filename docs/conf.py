"""Sphinx configuration: the API reference comes from the package's docstrings (autodoc), the
guides are Markdown (MyST). Build with ``sphinx-build -W -b html docs docs/_build/html``."""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))  # Document the working tree, installed or not

import msal  # noqa: E402

project = "msal"
author = "The msal contributors"
copyright = "The msal contributors"
release = version = msal.__version__

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]  # diagrams/ holds no page: only the images the guides show
myst_heading_anchors = 3
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
html_theme = "alabaster"
html_title = "msal {} documentation".format(release)

# Pages that other parts of the project add to docs/; the index lists those present.
OPTIONAL_PAGES = ["differences", "performance", "thread-and-process-safety", "ecosystem", "samples"]
OPTIONAL_PAGES_MARKER = "<!-- optional-pages -->"


def _list_optional_pages(app, docname, source):
    """Fill the index's "More" table of contents with the optional pages that exist."""
    if docname != "index":
        return
    present = [
        name
        for name in OPTIONAL_PAGES
        if any(os.path.exists(os.path.join(HERE, name + ext)) for ext in (".md", ".rst"))
    ]
    source[0] = source[0].replace(OPTIONAL_PAGES_MARKER, "\n".join(present))


PAGE_LINK = re.compile(r"<!-- page-link: (?P<page>[\w-]+) \| (?P<text>[^>]+?) -->")


def _link_optional_pages(app, docname, source):
    """Turn ``<!-- page-link: NAME | text -->`` into a link when the page NAME exists, else
    into plain text, so that a page can mention another that is not written yet."""
    depth = "../" * docname.count("/")

    def link(match):
        page, text = match.group("page"), match.group("text")
        if os.path.exists(os.path.join(HERE, page + ".md")):
            return "[{}]({}{}.md)".format(text, depth, page)
        return "*{}*".format(text)

    source[0] = PAGE_LINK.sub(link, source[0])


def _share_init_docs(app, what, name, obj, options, lines):
    """Both application classes accept ClientApplication's parameters: show them there too,
    so that the long parameter prose is written once, on ``ClientApplication.__init__``."""
    if name in ("msal.PublicClientApplication.__init__", "msal.ConfidentialClientApplication.__init__"):
        from sphinx.util.docstrings import prepare_docstring

        shared = prepare_docstring(msal.ClientApplication.__init__.__doc__)
        lines.extend(shared[shared.index("") :])  # Its first line speaks of the base class


def _render_diagrams(app):
    """Draw the diagrams from their text specifications (docs/diagrams/render.py), so an edited
    specification shows up in this build; the committed images are what it draws."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "render_diagrams", os.path.join(HERE, "diagrams", "render.py")
    )
    render = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(render)
    render.write_all()


def setup(app):
    app.connect("builder-inited", _render_diagrams)
    app.connect("source-read", _list_optional_pages)
    app.connect("source-read", _link_optional_pages)
    # Their content depends on which optional pages exist: read them on every build.
    app.connect("env-get-outdated", lambda app, env, added, changed, removed: ["index", "guides/migration"])
    app.connect("autodoc-process-docstring", _share_init_docs)
