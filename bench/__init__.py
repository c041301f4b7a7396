"""acrguard's benchmarks (not tests): ``python bench/run.py``; docs/performance.md explains them."""
