"""The Tango adapter: device names resolved to admin devices, servers discovered, the
admin devices' event-system commands called on every server at once. The only runtime
package that imports `tango` (pytango)."""
