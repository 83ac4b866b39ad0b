"""Benchmark of tap-kustomer against issue 5's performance targets: `make bench`."""
