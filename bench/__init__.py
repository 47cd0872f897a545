"""Benchmarks: synthetic data at scale and server-side timings of the deal pages."""
