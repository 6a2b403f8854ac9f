"""A single key-value node: the simplest system, and the foundation's vertical slice.

Public surface: ``KVNode`` (the node state machine), ``SingleNodeSystem``, ``ENTRY``.
"""

from systems.single._kv import ENTRY, ENTRY_UNSAFE, KVNode, SingleNodeSystem

__all__ = ["ENTRY", "ENTRY_UNSAFE", "KVNode", "SingleNodeSystem"]
