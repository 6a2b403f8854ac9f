"""The deterministic simulated world: scheduler, network, nodes, clocks, disks.

Public surface::

    run_simulated(fn, *args, seed=...)   # trio.run on a MockClock, scheduler seeded
    World(seed, NetworkConfig(...))      # .add_node, .start_all, .client, .running()
    NetworkConfig, Latency, Message      # latency distributions, loss, duplication, ticks
    NodeProcess, Runtime, NodeHost       # node state machines and their lifecycle
    NodeClock, SimDisk, DiskError
    save_json(disk, name, obj), load_json(disk, name, default)   # small atomic JSON files
    ClientEndpoint, RequestTimeout
    InlineOp, inline_safe, park, InlineError   # client ops stepped by hand, no trio task
"""

from systems.sim._clock import NodeClock
from systems.sim._determinism import now_ns, run_simulated, seed_scheduler
from systems.sim._disk import DiskError, SimDisk, load_json, save_json
from systems.sim._inline import InlineError, InlineOp, inline_safe, park
from systems.sim._network import MS, Latency, Message, Network, NetworkConfig, NetworkStats
from systems.sim._node import NodeHost, NodeProcess, Runtime
from systems.sim._scheduler import Scheduler
from systems.sim._world import ClientEndpoint, RequestTimeout, World, names

__all__ = [
    "MS",
    "ClientEndpoint",
    "DiskError",
    "InlineError",
    "InlineOp",
    "Latency",
    "Message",
    "Network",
    "NetworkConfig",
    "NetworkStats",
    "NodeClock",
    "NodeHost",
    "NodeProcess",
    "RequestTimeout",
    "Runtime",
    "Scheduler",
    "SimDisk",
    "World",
    "inline_safe",
    "load_json",
    "names",
    "now_ns",
    "park",
    "run_simulated",
    "save_json",
    "seed_scheduler",
]
