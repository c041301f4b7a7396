"""acrguard's benchmarks (not tests): ``python bench/run.py``; see ``the README, section "Performance"``."""
