"""The header of a server section: the names typed for it, each once (pure: no Tango)."""

from __future__ import annotations

import pytest

from ska_tango_event_monitor.core.session import ServerPoll


@pytest.mark.parametrize(
    ("admin", "devices", "title"),
    [
        ("dserver/Pool/demo", ("mot01",), "dserver/Pool/demo (from mot01)"),
        (
            "dserver/Pool/demo",
            ("tango://127.0.0.1:10000/mot01",),
            "dserver/Pool/demo (from mot01)",
        ),
        # asked for by its admin device: its name alone, in any spelling
        ("dserver/Pool/demo", ("dserver/Pool/demo",), "dserver/Pool/demo"),
        (
            "tango://localhost:10000/dserver/Pool/demo",
            ("tango://localhost:10000/dserver/Pool/demo", "DSERVER/pool/DEMO"),
            "dserver/Pool/demo",
        ),
        # the names typed, each once, in the order given
        (
            "dserver/Pool/demo",
            (
                "motor/motctrl01/1",
                "tango://127.0.0.1:10000/motor/motctrl01/1",
                "tango://localhost:10000/motor/motctrl01/1",
                "MOTOR/MotCtrl01/1",
                "dserver/Pool/demo",
                "mot01",
            ),
            "dserver/Pool/demo (from motor/motctrl01/1, MOTOR/MotCtrl01/1, mot01)",
        ),
        ("dserver/Pool/demo", (), "dserver/Pool/demo"),  # picked by --server
    ],
)
def test_header_of_a_server(admin: str, devices: tuple[str, ...], title: str) -> None:
    assert ServerPoll(admin, devices).title == title
