"""The lag history: when a publisher pushed the oldest event a subscriber has not received."""

from __future__ import annotations

import pytest

from ska_tango_event_monitor.core.lag import Lag, PushHistory, pushed_time

STREAM = ("dserver/pub/1", "foo/bar/hw/position.change")


def test_interpolates_between_the_polls_around_the_event() -> None:
    # 10 events pushed between t=10 and t=20: event 105 at t=15
    assert pushed_time([(10.0, 100), (20.0, 110)], 105) == pytest.approx(15.0)
    assert pushed_time([(10.0, 100), (20.0, 110), (30.0, 110)], 110) == pytest.approx(20.0)


def test_an_event_reached_by_the_first_poll_is_older_than_the_history() -> None:
    assert pushed_time([(10.0, 100), (20.0, 110)], 100) is None
    assert pushed_time([(10.0, 100), (20.0, 110)], 50) is None


def test_lag_of_the_oldest_pending_event() -> None:
    history = PushHistory(30.0)
    for time_s, pushed in ((0.0, 0), (10.0, 100), (20.0, 200)):
        history.add(STREAM, time_s, pushed)
    # received 149: event 150 pushed at t=15, waited 5 s at t=20
    assert history.lag(STREAM, 149, 20.0) == Lag(pytest.approx(5.0), False)
    assert history.lag(STREAM, 200, 20.0) == Lag(0.0, False)  # caught up
    assert history.lag(("dserver/other/1", "x/y/z/a.change"), 1, 20.0) is None


def test_at_least_when_older_than_the_window() -> None:
    history = PushHistory(15.0)
    for time_s, pushed in ((0.0, 0), (10.0, 100), (20.0, 200), (30.0, 300)):
        history.add(STREAM, time_s, pushed)
    assert [t for t, _ in history.points(STREAM)] == [10.0, 20.0, 30.0]  # bounded by the window
    assert history.lag(STREAM, 50, 30.0) == Lag(20.0, True)


def test_a_counter_that_went_back_starts_the_history_anew() -> None:
    history = PushHistory(30.0)
    history.add(STREAM, 0.0, 500)
    history.add(STREAM, 10.0, 5)  # the publisher restarted
    assert history.points(STREAM) == ((10.0, 5),)
