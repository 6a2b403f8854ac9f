"""The replica links every replication family sets up from its typed settings."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from ddialab.runner import TestSpec, run
from systems.replication._common import add_replicas
from systems.replication._leaderless import QuorumOptions
from systems.replication._multileader import MultiLeaderOptions
from systems.sim import MS, World

NODES = ("n1", "n2", "n3")


def _links(settings: Any, default_latency_ms: float = 0.0) -> dict[tuple[str, str], Any]:
    world = World(0)
    add_replicas(world, NODES, lambda: None, settings, default_latency_ms)
    assert sorted(world.nodes) == list(NODES)
    return dict(world.network.links)


@given(
    loss=st.sampled_from([0.0, 0.05, 0.5]),
    latency=st.none() | st.sampled_from([0.0, 1.5, 40.0]),
    default=st.sampled_from([0.0, 20.0]),
)
def test_replica_links_follow_the_typed_link_settings(
    loss: float, latency: float | None, default: float
) -> None:
    """Guards ``add_replicas`` reading the settings, not a raw dict: every replica pair
    (never a client link) gets ``link_loss`` and ``link_latency_ms`` -- unset, the family's
    default latency -- and nothing is overridden when both are zero."""
    links = _links(QuorumOptions(link_loss=loss, link_latency_ms=latency), default)
    mean = default if latency is None else latency
    if not (loss or mean):
        assert links == {}
        return
    assert set(links) == {(a, b) for a in NODES for b in NODES if a != b}
    for link in links.values():
        assert link.loss == (loss or None)
        assert (link.latency.mean_ns if link.latency else 0) == int(mean * MS)


def _history(tmp_path: Path, name: str, **system_options: Any) -> str:
    spec = TestSpec(
        system="multi-leader", workload="session", seed=3, time_limit=2.0,
        system_options=system_options,
    )  # fmt: skip
    r = run(spec, out=str(tmp_path / name))
    return hashlib.sha256((Path(r.run_dir) / "history.jsonl").read_bytes()).hexdigest()


def test_an_explicit_null_latency_is_the_familys_default(tmp_path: Path) -> None:
    """Guards the ``None`` fallback end to end: ``link_latency_ms=null`` on multi-leader
    (whose replica links default to 20 ms) runs the default's history (the raw-dict reading
    raised ``TypeError`` on it), and a set latency changes the history."""
    assert MultiLeaderOptions().link_latency_ms is None
    default = _history(tmp_path, "default")
    assert _history(tmp_path, "null", link_latency_ms=None) == default
    assert _history(tmp_path, "set", link_latency_ms=1.0) != default
