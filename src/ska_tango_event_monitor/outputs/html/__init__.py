"""The self-contained HTML report: charts per server and stream, findings."""
