"""Entry points that are not HTTP: ops console events, console sync events, queue messages."""
