"""The tutorial control system "diagnose-missing-events".

HwDevice pushes mode and position change events during a scan; TopDevice waits for the
end of the scan through mode events; RogueDevice forwards hw events with a slow callback,
starving the event thread that TopDevice shares with it. Install with the ``tutorial`` extra.
"""
