"""The Prometheus exporter as the polling loop sees it: started once, updated every poll."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ska_tango_event_monitor.core.session import Snapshot, SnapshotReport


class MetricsExport:
    """`--prometheus [HOST:]PORT` and `--prometheus-textfile FILE`; raises PrometheusError."""

    def __init__(self, address: str | None, textfile: Path | None) -> None:
        from ska_tango_event_monitor.prometheus import collector

        collector.require_prometheus_client()
        self._prometheus = collector
        self._latest = collector.LatestSnapshot()
        self._registry = collector.make_registry(self._latest)
        self._textfile = textfile  # checked before the first poll by the command line
        self.server: Any = None
        if address:
            self.server = collector.serve(address, self._registry)

    def update(self, snapshot: Snapshot, report: SnapshotReport) -> None:
        self._latest.update(snapshot, report, report.states)
        if self._textfile is not None:
            self._prometheus.write_textfile(self._textfile, self._registry)

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
