"""acrguard's benchmarks (not tests): ``python bench/run.py``; the README's Performance section explains them."""
