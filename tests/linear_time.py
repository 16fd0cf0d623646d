"""Timing what a client controls, as a ratio: the worst input we know of against a benign input
of the same size, each timed several times (the fastest run counts, so a busy shared machine
slows both alike). Never an absolute time. A quadratic cost shows as a ratio in the hundreds
at these sizes; a linear one stays within a small constant."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def fastest(work: Callable[[T], object], value: T, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        work(value)
        best = min(best, time.perf_counter() - started)
    return best


def cost_ratio(work: Callable[[T], object], worst: T, benign: T, *, repeats: int = 5) -> float:
    """How many times longer `work` takes on `worst` than on `benign` (interleaved runs)."""
    worst_time = benign_time = float("inf")
    for _ in range(repeats):
        benign_time = min(benign_time, fastest(work, benign, 1))
        worst_time = min(worst_time, fastest(work, worst, 1))
        if worst_time > 1000 * benign_time:
            break  # no need to wait for more evidence of a quadratic cost
    return worst_time / max(benign_time, 1e-7)


def sized(piece: str, size: int) -> str:
    """`piece` repeated to exactly `size` characters."""
    return (piece * (size // len(piece) + 1))[:size]
