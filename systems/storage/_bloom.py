"""A Bloom filter: ``bits_per_key`` bits per key, ``k = round(ln 2 * bits_per_key)`` probes.

Probe positions come from one 128-bit BLAKE2b digest split into two 64-bit halves
(Kirsch-Mitzenmacher double hashing: ``h1 + i * h2``).  With ``b`` bits per key the expected
false-positive rate is about ``(1 - e^(-k/b))^k`` -- 0.8% at 10 bits per key;
``bench/bench_storage.py`` measures it.  Serialised with the schema encoding.
"""

from __future__ import annotations

import hashlib
import math

from systems.storage._encoding import Field, decode, encode, schema

BLOOM = schema(
    "Bloom",
    Field(1, "bits", "bytes", default=b""),
    Field(2, "k", "uint", default=1),
    Field(3, "m", "uint", default=0),
)


def _hashes(key: bytes) -> tuple[int, int]:
    d = hashlib.blake2b(key, digest_size=16).digest()
    return int.from_bytes(d[:8], "little"), int.from_bytes(d[8:], "little") | 1


class BloomFilter:
    def __init__(self, m: int, k: int, bits: bytes | None = None) -> None:
        self.m = max(8, m)
        self.k = max(1, k)
        self.bits = bytearray(bits) if bits is not None else bytearray((self.m + 7) // 8)

    @classmethod
    def for_keys(cls, n: int, bits_per_key: float) -> BloomFilter:
        return cls(int(max(1, n) * bits_per_key), max(1, round(math.log(2) * bits_per_key)))

    def _positions(self, key: bytes) -> list[int]:
        h1, h2 = _hashes(key)
        return [(h1 + i * h2) % self.m for i in range(self.k)]

    def add(self, key: bytes) -> None:
        for p in self._positions(key):
            self.bits[p >> 3] |= 1 << (p & 7)

    def might_contain(self, key: bytes) -> bool:
        return all(self.bits[p >> 3] >> (p & 7) & 1 for p in self._positions(key))

    def to_bytes(self) -> bytes:
        return encode(BLOOM, {"bits": bytes(self.bits), "k": self.k, "m": self.m})

    @classmethod
    def from_bytes(cls, data: bytes) -> BloomFilter:
        rec = decode(BLOOM, data)
        return cls(rec["m"], rec["k"], rec["bits"])


def expected_fp_rate(bits_per_key: float) -> float:
    k = max(1, round(math.log(2) * bits_per_key))
    return float((1 - math.exp(-k / bits_per_key)) ** k)
