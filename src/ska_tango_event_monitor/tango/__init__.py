"""The Tango adapter: device names resolved to admin devices (`resolve`), servers discovered
(`discovery`), the admin devices' event-system commands (`admin`) called on every server at
once (`fanout`, by `fanout_threads` or `fanout_asynch`) in polling rounds (`monitor`);
setup errors and failures as one line in `errors`. The only runtime package that imports
`tango` (pytango)."""
