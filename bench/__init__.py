"""Benchmarks (`make bench`): each prints ratios measured within one run."""
