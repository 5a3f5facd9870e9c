"""Benchmark helpers: hardware description and timing loops shared by the scripts in benchmarks/."""
