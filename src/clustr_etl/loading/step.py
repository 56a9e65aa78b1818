"""What a load transaction is doing right now, so an error can say where it happened."""

from __future__ import annotations


class Step:
    def __init__(self, what: str) -> None:
        self.what = what
