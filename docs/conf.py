"""Sphinx configuration: Markdown pages through MyST, the CLI reference from argparse."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pygments.lexers import find_lexer_class_by_name
from pygments.lexers.python import PythonConsoleLexer
from pygments.util import ClassNotFound
from sphinx.highlighting import lexers

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))  # the package, also when it is not installed
sys.path.insert(0, str(Path(__file__).parent))  # `conf` for sphinx-argparse, below

from ska_tango_event_monitor import __version__  # noqa: E402

project = "ska-tango-event-monitor"
author = "the ska-tango-event-monitor authors"
copyright = author
version = release = __version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinxarg.ext",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

myst_heading_anchors = 3  # `page.md#a-heading` links between pages
myst_enable_extensions = ["deflist"]

autodoc_member_order = "bysource"
autodoc_typehints = "signature"

smartquotes = False  # `--monitor` stays two hyphens

html_theme = "alabaster"
html_title = f"{project} {release}"
html_theme_options = {
    "description": "What the Tango event system really did",
    "fixed_sidebar": True,
    "page_width": "1360px",  # the monitor's output is 120 columns wide
    "body_max_width": "none",
    "code_font_size": "0.8em",
}

# The tutorial shows itango sessions: IPython's lexer is there with itango (the tutorial extra);
# without it, highlight them as a Python console rather than fail the build.
try:
    find_lexer_class_by_name("ipython")
except ClassNotFound:
    lexers["ipython"] = PythonConsoleLexer()


# -- the command line reference (docs/cli.md) ---------------------------------------------------
# sphinx-argparse reads help texts as reStructuredText: a `*` in `--server 'MyServer/*'` would
# start an emphasis. These give it the real parsers with such characters escaped.


def _rst_safe(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.description = _escape(parser.description)
    for action in parser._actions:
        action.help = _escape(action.help)
        if action.dest == "state_dir":  # not the docs builder's own folder
            action.default = "$XDG_RUNTIME_DIR/ska-tango-event-monitor/tutorial"
        if isinstance(action, argparse._SubParsersAction):
            for subparser in action.choices.values():
                _rst_safe(subparser)
    return parser


def _escape(text: str | None) -> str | None:
    return None if text is None else text.replace("*", r"\*")


def monitor_parser() -> argparse.ArgumentParser:
    from ska_tango_event_monitor.cli.main import build_parser

    return _rst_safe(build_parser())


def tutorial_parser() -> argparse.ArgumentParser:
    from ska_tango_event_monitor.tutorial.arguments import build_parser

    return _rst_safe(build_parser())
