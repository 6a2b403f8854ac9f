"""A single key-value node: the simplest system, and the foundation's vertical slice.

Public surface: ``KVNode`` (the node state machine), ``SingleNodeSystem``, ``ENTRY``.
"""

from systems.single._kv import ENTRY, ENTRY_UNSAFE, KVNode, SingleNodeSystem

ENTRIES = [ENTRY, ENTRY_UNSAFE]

__all__ = ["ENTRIES", "ENTRY", "ENTRY_UNSAFE", "KVNode", "SingleNodeSystem"]
