"""The tutorial's control system: its devices, servers and numbers."""

from __future__ import annotations

from dataclasses import dataclass

from ska_tango_event_monitor.local_tango import DeviceRegistration

SERVER_MODULE = "ska_tango_event_monitor.tutorial.my_server"
SERVER_NAME = "MyServer"

HW_DEVICE = "foo/bar/hw"
TOP_DEVICE = "foo/bar/top"
ROGUE_DEVICE = "foo/bar/rogue"

PROCESS_NAMES = ("db", "hw", "top")  # start order; stopped in reverse
SERVER_DEVICES = {"hw": (HW_DEVICE,), "top": (TOP_DEVICE, ROGUE_DEVICE)}
SERVER_LABELS = {"db": "Tango database", "hw": f"{SERVER_NAME}/hw", "top": f"{SERVER_NAME}/top"}

# Mode values of the tutorial devices (devices.Mode; not imported to keep the CLI light)
MODE_IDLE = 0
MODE_SCANNING = 1


@dataclass(frozen=True)
class Settings:
    """The tutorial's numbers (defaults as in the tutorial)."""

    scan_points: int = 128
    event_rate_hz: float = 10.0
    rogue_delay: float = 0.3
    scan_timeout: float = 30.0
    fixed_rogue: bool = False  # FixedRogueDevice: the callback hands its work to a thread

    @property
    def rogue_class(self) -> str:
        return "FixedRogueDevice" if self.fixed_rogue else "RogueDevice"

    def registrations(self) -> list[DeviceRegistration]:
        """The three devices with all their properties set."""
        hw_properties = {
            "scan_points": str(self.scan_points),
            "event_rate_hz": repr(self.event_rate_hz),
        }
        top_properties = {"hw_device": HW_DEVICE, "scan_timeout": repr(self.scan_timeout)}
        rogue_properties = {"hw_device": HW_DEVICE, "position_delay": repr(self.rogue_delay)}
        return [
            DeviceRegistration(f"{SERVER_NAME}/hw", "HwDevice", HW_DEVICE, hw_properties),
            DeviceRegistration(f"{SERVER_NAME}/top", "TopDevice", TOP_DEVICE, top_properties),
            DeviceRegistration(
                f"{SERVER_NAME}/top", self.rogue_class, ROGUE_DEVICE, rogue_properties
            ),
        ]
