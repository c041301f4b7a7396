"""acrguard's benchmarks (not tests): ``python bench/run.py``; see ``docs/performance.md``."""
