"""The demo's words: what the control system is, and what happened in the end."""

from __future__ import annotations

from ska_tango_event_monitor.tutorial.console import say
from ska_tango_event_monitor.tutorial.control_system import (
    HW_DEVICE,
    ROGUE_DEVICE,
    SERVER_NAME,
    TOP_DEVICE,
    Settings,
)
from ska_tango_event_monitor.tutorial.hw_log import scan_complete_seconds
from ska_tango_event_monitor.tutorial.scan_call import ScanCall


def introduce(settings: Settings) -> None:
    """Describe the devices and the numbers of this run."""
    say(
        f"The tutorial's control system: {HW_DEVICE} (HwDevice, server "
        f"{SERVER_NAME}/hw) pushes {settings.scan_points} position events at "
        f"{settings.event_rate_hz:g} Hz during a scan;"
    )
    rogue = (
        f"hands each position event to a worker thread that takes {settings.rogue_delay:g} s"
        if settings.fixed_rogue
        else f"takes {settings.rogue_delay:g} s per position event in its callback"
    )
    say(
        f"{TOP_DEVICE} (TopDevice) waits up to {settings.scan_timeout:g} s for "
        f"Mode.IDLE; {ROGUE_DEVICE} ({settings.rogue_class}, same server {SERVER_NAME}/top) "
        f"{rogue}."
    )


def conclude(
    call: ScanCall, idle_at: float | None, hw_lines: list[str], settings: Settings
) -> None:
    """Show the scan's outcome and the hw log, then explain it."""
    say()
    say(f"{' What happened ':=^120}")
    say(call.outcome())
    say(f"The hw server's log ({SERVER_NAME}/hw):")
    for line in hw_lines or ["(no scan lines in the log)"]:
        say(f"  {line}")
    pushed = scan_complete_seconds(hw_lines)
    pushed_text = f"after {pushed:.2f} s" if pushed is not None else ""
    if call.error is None:
        _explain_in_time(pushed_text, settings)
    else:
        _explain_late(pushed_text, idle_at, settings)


def _explain_in_time(pushed_text: str, settings: Settings) -> None:
    if settings.fixed_rogue:
        say(
            f"Conclusion: FixedRogueDevice does its {settings.rogue_delay:g} s of work per "
            "position on a worker thread, so the event thread stays free: Mode.IDLE was "
            f"pushed {pushed_text} and arrived in time."
        )
        say("Run the demo without --fixed-rogue to see the event arrive late.")
        return
    say(
        f"Conclusion: with RogueDevice taking {settings.rogue_delay:g} s per position "
        f"event, the top server keeps up: Mode.IDLE was pushed {pushed_text} and arrived "
        "in time."
    )
    say("Run the demo with the default --rogue-delay 0.3 to see the event arrive late.")


def _explain_late(pushed_text: str, idle_at: float | None, settings: Settings) -> None:
    if idle_at is not None:
        say(
            f"{ROGUE_DEVICE}, beside {TOP_DEVICE} in {SERVER_NAME}/top, processed Mode.IDLE "
            f"{idle_at:.1f} s after the scan started."
        )
        late = f"only after {idle_at:.1f} s"
    else:
        late = "too late"
    say(
        f"Conclusion: Mode.IDLE was not missing but late: {HW_DEVICE} pushed it {pushed_text}, "
        f"well inside the {settings.scan_timeout:g} s timeout, but the top server took it {late}."
    )
    say(
        f"RogueDevice's slow position callback ({settings.rogue_delay:g} s per event) holds the "
        "event thread it shares with TopDevice: see Latency and position Processing Time above."
    )
