"""Pure, composable op generators in Jepsen's style (see ``docs/generators.md``).

Public surface::

    PENDING, NEMESIS, SLEEP, LOG, Context, Generator
    op(gen, ctx) -> None | (op_dict | PENDING, gen2)
    update(gen, ctx, event) -> gen2
    fill_in_op, goes_in_history, secs_to_ns, thread_key
    limit, time_limit, stagger, delay, sleep, log, repeat, cycle, concat, then, phases,
    synchronize, mix, map (map_ops), filter (filter_ops), until_ok, flip_flop,
    on_threads, clients, nemesis, clients_and_nemesis, any (any_of), reserve,
    each_thread, each_process
    simulate(gen, concurrency=3, nemesis=True, complete=None, latency_ns=0, ...)
"""

from ddialab.generator._combinators import (
    concat,
    cycle,
    delay,
    filter_ops,
    flip_flop,
    limit,
    log,
    map_ops,
    mix,
    repeat,
    sleep,
    stagger,
    time_limit,
    until_ok,
)
from ddialab.generator._core import (
    LOG,
    NEMESIS,
    NS_PER_SEC,
    PENDING,
    SLEEP,
    Context,
    Generator,
    fill_in_op,
    goes_in_history,
    op,
    secs_to_ns,
    thread_key,
    update,
)
from ddialab.generator._simulate import simulate
from ddialab.generator._threads import (
    any_of,
    clients,
    clients_and_nemesis,
    each_process,
    each_thread,
    is_client,
    is_nemesis,
    nemesis,
    on_threads,
    phases,
    reserve,
    synchronize,
    then,
)

# Jepsen's names; they shadow builtins only as attributes of this package (gen.map, ...).
map = map_ops
filter = filter_ops
any = any_of

__all__ = [
    "LOG",
    "NEMESIS",
    "NS_PER_SEC",
    "PENDING",
    "SLEEP",
    "Context",
    "Generator",
    "any",
    "any_of",
    "clients",
    "clients_and_nemesis",
    "concat",
    "cycle",
    "delay",
    "each_process",
    "each_thread",
    "fill_in_op",
    "filter",
    "filter_ops",
    "flip_flop",
    "goes_in_history",
    "is_client",
    "is_nemesis",
    "limit",
    "log",
    "map",
    "map_ops",
    "mix",
    "nemesis",
    "on_threads",
    "op",
    "phases",
    "repeat",
    "reserve",
    "secs_to_ns",
    "simulate",
    "sleep",
    "stagger",
    "synchronize",
    "then",
    "thread_key",
    "time_limit",
    "until_ok",
    "update",
]
