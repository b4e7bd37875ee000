"""The pure core: a `QueryEventSystem` reply turned into state, changes, statistics, rates
and findings. No I/O, no threads, no Tango, no command line: tested with recorded replies."""
