"""Identifiers for the Stream protocol.

client_id is a random UUID per client (one per application attempt, as the proto asks).
Event ids are `<client_id>:<n>`: unique without coordination, cheap to make on the
caller's thread, and fixed when the event is accepted so a resent batch carries the same
ids and the sidecar can dedupe them.
"""
from __future__ import annotations

import itertools
import uuid


def new_client_id() -> str:
    return str(uuid.uuid4())


class EventIds:
    """Thread-safe sequence of event ids for one client."""

    def __init__(self, client_id: str) -> None:
        self._prefix = client_id + ":"
        # next() on itertools.count is atomic under the GIL: no lock on the hot path.
        self._counter = itertools.count(1)

    def next(self) -> str:
        return self._prefix + str(next(self._counter))
