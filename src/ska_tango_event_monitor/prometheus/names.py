"""The metrics the exporter exposes: names, labels and help texts (see `prometheus`)."""

from __future__ import annotations

from collections.abc import Callable

from ska_tango_event_monitor.core.model import Subscription

QUANTILES = (0.5, 0.9, 0.99)

LAST_POLL = "tango_event_monitor_last_poll_timestamp_seconds"
UP = "tango_event_server_up"
QUERY_DURATION = "tango_event_server_query_duration_seconds"
PUSHED = "tango_event_pushed_total"
BACKLOG = "tango_event_backlog_events"
STREAM_LAG = "tango_event_stream_lag_seconds"
STREAM_LAG_AT_LEAST = "tango_event_stream_lag_at_least"
STREAM_VERDICT = "tango_event_stream_verdict"
PERF_SAMPLES = "tango_event_perf_samples"
PUBLISHER_GAP = "tango_event_publisher_gap_seconds"
PUSH = "tango_event_push_seconds"
SUBSCRIBER_GAP = "tango_event_subscriber_gap_seconds"
SLEEP = "tango_event_sleep_seconds"
LATENCY = "tango_event_callback_latency_seconds"
PROCESSING = "tango_event_processing_seconds"
WAKES = "tango_event_wake_count"
FINDING = "tango_event_finding"
CHECK_JUDGED = "tango_event_check_judged"

# every per-server series says which Tango database the server belongs to, so that two
# control systems with servers of the same names never merge
SERVER = ("server", "tango_host")
STREAM = (*SERVER, "stream", "event_type")
BACKLOG_LABELS = (*STREAM, "publisher", "publisher_tango_host")
# the state in a label of its own, one series per verdict (an OpenMetrics StateSet's shape)
VERDICT_LABELS = (*BACKLOG_LABELS, "verdict")
PERF_SAMPLE_LABELS = (*SERVER, "side")
FINDING_LABELS = ("kind", "severity", *SERVER, "stream")
CHECK_LABELS = (*SERVER, "check")

_RESTART = "rate() handles the reset"
_SAMPLES = (
    "Quantiles over the samples of the latest poll; _count and _sum add up the samples this "
    "exporter received since it started (cppTango keeps at most 256 per poll, and another "
    "client calling QueryEventSystem takes them away). Needs --monitor."
)

HELP = {
    LAST_POLL: "Unix time of the latest QueryEventSystem poll; if it stops moving, the "
    "monitor is stuck and every other series is stale.",
    UP: "1 if the device server's admin device answered QueryEventSystem at the latest poll "
    "with a reply this monitor reads, else 0 (down, hung beyond the timeout, or Tango older "
    "than 10.1); the other series of a server that is down are left out.",
    QUERY_DURATION: "Time the latest QueryEventSystem call to the admin device took, at most: "
    "answers are collected in order, so one queued behind a slower server's counts until "
    "that one was read; absent when it did not answer within the timeout.",
    PUSHED: "Last pushed server counter of the stream at its publisher (cppTango's "
    "event_counters value, the next counter, minus one): events pushed while the stream had "
    f"subscribers. Starts again from 0 when the publishing server restarts ({_RESTART}); "
    "stays, frozen, after the last subscriber has gone.",
    "tango_event_last_received_server_counter": "Server counter of the last event this "
    "process received on the stream (event_callbacks server_counter, 0 before any): the "
    "publisher's counter, so it drops when the publisher restarts. Backlog is "
    "tango_event_pushed_total of the publisher minus this.",
    "tango_event_processed_total": "Events received and processed on the stream by this "
    "process, all user callbacks included (event_callbacks event_count; the synchronous "
    f"read at subscribe time is not counted). Resets when this process restarts ({_RESTART}).",
    "tango_event_missed_total": "Gap incidents on the stream (event_callbacks "
    "missed_event_count): jumps in the received server counter, not lost events (one "
    "incident can hide tens of lost events). A publisher-side loss at the ZMQ high-water "
    f"mark: all subscribers of the stream see it. Resets when this process restarts "
    f"({_RESTART}).",
    "tango_event_discarded_total": "Events received twice with the same server counter "
    "(event_callbacks discarded_event_count): +1 for every subscriber when a new consumer "
    f"connects to the publisher; harmless. Resets when this process restarts ({_RESTART}).",
    "tango_event_callbacks_registered": "User callbacks registered on the stream in this "
    "process (event_callbacks callback_count).",
    BACKLOG: "Events pushed but not yet received: the publisher's last pushed server counter "
    "minus the subscriber's last received one, when both servers are monitored. Can be "
    "briefly negative around a publisher restart.",
    STREAM_LAG: "How long the oldest event pushed but not yet received by the subscriber has "
    "waited, in seconds (0 when caught up): when the publisher pushed it, interpolated from "
    "the publisher's counter at the monitor's polls. Both times are read on the monitor's "
    "clock, so unlike the callback latency it has no clock skew between hosts. A lower bound "
    f"where {STREAM_LAG_AT_LEAST} is 1. Absent while the lag cannot be told (the publisher "
    "polled once) and with --no-analysis; needs both servers in one monitor.",
    STREAM_LAG_AT_LEAST: f"1 if {STREAM_LAG} is a lower bound (the oldest pending event was "
    "pushed before the monitor's history of the stream, --window), 0 if it is measured.",
    STREAM_VERDICT: "The stream's verdict over the --window, one series per verdict: 1 for "
    "the stream's (OK, FALLING_BEHIND: the subscriber advances but its lag keeps growing, "
    "STALLED: nothing received while events are pending, STOPPED: a periodic stream no longer "
    "pushed, RESET: a counter went back), 0 for the others; all 0 while the stream is not "
    "judged yet (too few polls to tell). Absent with --no-analysis; needs both servers in "
    "one monitor.",
    PERF_SAMPLES: "Performance samples in the latest reply per side (server: publisher, "
    "client: subscriber); 256 means cppTango's ring was full and older samples were lost.",
    PUBLISHER_GAP: f"Event Gaps at the publisher: time between two pushes. {_SAMPLES}",
    PUSH: f"Push Time: time the publisher took to hand an event to ZMQ. {_SAMPLES}",
    SUBSCRIBER_GAP: "Event Gaps at the subscriber: time between two events taken by the "
    f"event thread. {_SAMPLES}",
    SLEEP: f"Sleep Time: how long the event thread waited for an event. {_SAMPLES}",
    LATENCY: "Latency from the event's timestamp, set by the publisher, to its first "
    "callback (compares two clocks when publisher and subscriber run on two hosts). "
    f"{_SAMPLES}",
    PROCESSING: "Processing Time of an event per attribute, all its user callbacks "
    "included; rate() of _sum is the share of time the event thread is busy. "
    f"{_SAMPLES}",
    WAKES: "Wake Count: times the event thread woke up while waiting for an event; a median "
    "of 2 or more means (un)subscriptions in this process (churn). A count, not seconds. "
    f"{_SAMPLES}",
    FINDING: "1 for each finding of the latest poll, by kind, severity, server and stream "
    "(empty when the finding is about the whole server): what the text's Findings block "
    "says, for dashboards and alerts. The series vanishes when the finding is no longer raised.",
    CHECK_JUDGED: "1 if the check (backlog, missed events, restart, saturation, latency, "
    "churn, keep-alive) could be made on the server at the latest poll, 0 if not (no "
    "--monitor, too few polls or samples, no reply, ...): a 0 means no finding of that "
    "kind is no all-clear.",
}

# summaries of counts, not of microseconds
COUNT_SUMMARIES = (WAKES,)

# per subscription: name, kind, value
SUBSCRIPTION_METRICS: tuple[tuple[str, str, Callable[[Subscription], int]], ...] = (
    ("tango_event_last_received_server_counter", "gauge", lambda s: s.server_counter),
    ("tango_event_processed_total", "counter", lambda s: s.event_count),
    ("tango_event_missed_total", "counter", lambda s: s.missed_event_count),
    ("tango_event_discarded_total", "counter", lambda s: s.discarded_event_count),
    ("tango_event_callbacks_registered", "gauge", lambda s: s.callback_count),
)

# the summaries of performance samples, with their labels
SUMMARIES = (
    (PUBLISHER_GAP, SERVER),
    (PUSH, SERVER),
    (SUBSCRIBER_GAP, SERVER),
    (SLEEP, SERVER),
    (LATENCY, SERVER),
    (PROCESSING, (*SERVER, "attribute")),
    (WAKES, SERVER),
)
