"""HTTP in two parts: :mod:`.handler` decides every answer from plain values, :mod:`.server` moves bytes.

The split keeps what is security-relevant (who may see what, which answer to which request) testable
without sockets, and lets the socket server be replaced without touching a routing or auth rule.
"""
