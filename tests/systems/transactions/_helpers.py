"""A transactional client with scripted replies, shared by the client tests."""

from __future__ import annotations

from typing import Any

from systems.sim import World
from systems.transactions import TxnClient


class ScriptedClient(TxnClient):
    """A client whose requests get scripted replies, in order (``None``: a timeout), and
    are recorded in ``asked``: no network, no node."""

    def __init__(self, replies: list[dict[str, Any] | None], abort_ratio: float = 0.0) -> None:
        super().__init__(World(1), "c1", abort_ratio=abort_ratio)
        self.replies = replies
        self.asked: list[dict[str, Any]] = []

    async def _request(self, body: dict[str, Any]) -> dict[str, Any] | None:
        self.asked.append(body)
        return self.replies.pop(0)
