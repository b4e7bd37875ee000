"""`--top`: one screen, refreshed in place after every poll, the worst stream first.

`rows` (a report's streams, one row per stream and subscriber), `table` (orders, filter,
fitting, cells), `header` and `controls` (what each key does) are pure; `render` lays a
screen out with `rich`, `keys` reads the terminal's keys, `screen` runs the full screen.
"""
