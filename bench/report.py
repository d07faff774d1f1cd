#!/usr/bin/env python3
"""Aggregation behind scripts/bench: raw records -> medians -> results JSON,
gnuplot PNGs and docs/BENCHMARKS.md.

  report.py record RAW SCENARIO RUN CMD RESULT_JSON [EXTRA_JSON]
  report.py cmdstats INFO_FILE SERVER_TICKS CLK_TCK [REDIS_TICKS RESULT_JSON]
  report.py redis-cpu RESULT_JSON REDIS_TICKS CLK_TCK
  report.py rate-ok RESULT_JSON RATE P99_US MIN_ACHIEVED_FRACTION   (prints true / false)
  report.py maxrate-extra PROBES BEST P99_US MIN_ACHIEVED_FRACTION
  report.py msgcpu RESULT_JSON SERVER_TICKS REDIS_TICKS CLK_TCK INFO_FILE
  report.py nodecpu INFO_FILE SERVER_TICKS REDIS_TICKS CLK_TCK RESULT_JSON NODES REDIS_PROCS WINDOW_MS [CLIENT_CPU_S]
  report.py child-cpu OUT_FILE CMD...   (runs CMD, writes its user + system CPU seconds to OUT_FILE)
  report.py half-max RAW SCENARIO DEFAULT
  report.py summarize RAW WORKDIR META OUT_DATED OUT_LATEST
  report.py plots LATEST WORKDIR OUTDIR
  report.py docs LATEST OUT_MD
  report.py msgdocs RESULTS OUT_MD [BEFORE]   (only the Messaging section, BEFORE: before/after)
  report.py clusterdocs RESULTS OUT_MD   (only the section of the cluster scenario)

The work is done in bench/reporting/: records.py (raw records), summary.py
(results JSON), plots.py (PNGs), docs.py (docs/BENCHMARKS.md).
"""
import sys

from reporting.docs import cmd_clusterdocs, cmd_docs
from reporting.messaging import cmd_msgdocs
from reporting.plots import cmd_plots
from reporting.records import (cmd_child_cpu, cmd_cmdstats, cmd_half_max, cmd_maxrate_extra,
                               cmd_msgcpu, cmd_nodecpu, cmd_rate_ok, cmd_record, cmd_redis_cpu)
from reporting.summary import cmd_summarize

COMMANDS = {"record": cmd_record, "cmdstats": cmd_cmdstats, "msgcpu": cmd_msgcpu,
            "half-max": cmd_half_max, "summarize": cmd_summarize, "plots": cmd_plots,
            "docs": cmd_docs, "msgdocs": cmd_msgdocs, "redis-cpu": cmd_redis_cpu,
            "rate-ok": cmd_rate_ok, "maxrate-extra": cmd_maxrate_extra, "nodecpu": cmd_nodecpu, "child-cpu": cmd_child_cpu,
            "clusterdocs": cmd_clusterdocs}


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    COMMANDS[cmd](*args)


if __name__ == "__main__":
    main()
