"""What bench/report.py does, one module per output: raw records and their
statistics (records), results JSON (summary), gnuplot PNGs (plots) and
docs/BENCHMARKS.md (docs)."""
