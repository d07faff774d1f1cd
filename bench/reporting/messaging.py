"""Messaging between clients (scripts/bench --only dm,fanout): what is summarised
per scenario, the sealpost/floor ratios, and the docs/BENCHMARKS.md section."""
import json
import os
import statistics

from .records import get, runs_of
from .text import fmt, short_cmd

CPU = ["server_cpu_s", "redis_cpu_s", "client_cpu_s", "server_cpu_us_per_delivery",
       "redis_cpu_us_per_delivery", "client_cpu_us_per_delivery", "seconds", "server_cores",
       "redis_cores", "client_cores"]
CHECKS = ["sent", "delivered", "lost", "duplicates", "errors", "disconnects", "send_refused",
          "xlen_left"]
LAT = ["latency_us.p50", "latency_us.p90", "latency_us.p99", "latency_us.max"]
METRICS = {
    "dm": ["throughput_mps"] + LAT + CHECKS + CPU,
    "dm_w1": ["throughput_mps"] + LAT + CHECKS + CPU,
    "dm_rate": ["throughput_mps", "rate"] + LAT + CHECKS + CPU,
    "dm_floor": ["throughput_mps", "deliveries_per_s", "mean_batch", "refused", "sent"] + CPU,
    "fanout": ["group_mps", "deliveries_per_s", "copies_expected"] + LAT + CHECKS + CPU,
    "fanout_rate": ["group_mps", "deliveries_per_s", "rate"] + LAT + CHECKS + CPU,
    "dm_alone": ["throughput_mps"] + LAT + CHECKS + CPU,
    "dm_beside_fanout": ["throughput_mps"] + LAT + CHECKS + CPU,
    "fanout_bg": ["deliveries_per_s"] + LAT + CHECKS,
    "fanout_floor": ["group_mps", "deliveries_per_s", "mean_batch", "refused", "sent"] + CPU,
}
# (sealpost scenario, floor scenario, metric) compared run by run and by medians
PAIRS = {"dm": ("dm", "dm_floor", "throughput_mps"),
         "fanout": ("fanout", "fanout_floor", "deliveries_per_s")}


def median_of(scenarios, scen, key):
    st = scenarios.get(scen, {}).get("metrics", {}).get(key)
    return st["median"] if st else None


def ratios(recs, scenarios):
    """sealpost/floor: the ratio of the medians, and the ratio within each run."""
    out = {}
    for name, (a, b, key) in PAIRS.items():
        ma, mb = median_of(scenarios, a, key), median_of(scenarios, b, key)
        floors = {r["run"]: get(r, key) for r in runs_of(recs, b)}
        per_run = [get(r, key) / floors[r["run"]] for r in runs_of(recs, a)
                   if get(r, key) and floors.get(r["run"])]
        out[name] = {"of_medians": ma / mb if ma is not None and mb else None,
                     "per_run": per_run,
                     "median_per_run": statistics.median(per_run) if per_run else None}
    return out


def calls_per_delivery(recs, scen):
    """Redis calls per delivered copy in the last run of a scenario ({} when not measured)."""
    runs = runs_of(recs, scen)
    return runs[-1]["extra"].get("redis_calls_per_delivery", {}) if runs else {}

READING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "MESSAGING.md")

# ---- docs -------------------------------------------------------------------------------


def cell(sc, scen, key, digits=0):
    st = sc.get(scen, {}).get("metrics", {}).get(key)
    if not st:
        return "n/a"
    return "%s (%s – %s)" % (fmt(st["median"], digits), fmt(st["min"], digits),
                             fmt(st["max"], digits))


def cpu_row(sc, label, scen):
    def med(key):
        st = sc.get(scen, {}).get("metrics", {}).get(key)
        return fmt(st["median"], 2) if st else "n/a"
    return "| %s | %s | %s | %s | %s / %s / %s |" % (
        label, cell(sc, scen, "server_cpu_us_per_delivery", 1),
        cell(sc, scen, "redis_cpu_us_per_delivery", 1),
        cell(sc, scen, "client_cpu_us_per_delivery", 1),
        med("server_cores"), med("redis_cores"), med("client_cores"))


def calls_note(calls):
    return ", ".join("%s %.2f" % (k, v) for k, v in sorted(calls.items()) if v >= 0.01)


def section(s, before=None, before_file=""):
    """[] when the invocation did not run dm or fanout. `before`: an earlier
    results JSON of the same scenarios, shown as a before/after table."""
    sc = s["scenarios"]
    if not any(k in sc for k in METRICS):
        return []
    msg = s.get("messaging", {})
    rat = msg.get("ratios", {})
    meta = s.get("meta", {})

    def ratio_text(name):
        r = rat.get(name, {})
        runs = ", ".join(fmt(v, 2) for v in r.get("per_run", []))
        return "%s (per run: %s)" % (fmt(r.get("of_medians"), 2), runs or "n/a")

    L = ["## Messaging between clients\n",
         "Direct messages and group fan-out through the server (PROTOCOL.md section 6), end to "
         "end: the clock runs from the first `SendEventTo` until every copy is received by its "
         "target **and** its stream entry is acked in Redis (XACK+XDEL; the targets' streams "
         "are empty again). Every run checks sent == received and reports errors (e.g. "
         "`target_full`), duplicates and disconnects. Latency is send -> receive of each copy "
         "(the payload carries the send time). The closed-loop rows keep their window full, so "
         "their latency is mostly queueing (the messages in flight divided by the throughput); "
         "the fixed-rate rows (`--rate`, payloads stamped with their scheduled send time) show the "
         "path when it is not saturated. Redis: AOF everysec; sealpost-server with its default "
         "per-client limits (1,000 messages/s per client: they do not bind at these rates). "
         "All clients of a row are in one generator process on the same 2 cores as the "
         "server and Redis.\n",
         "The **Redis floor** of each row does the same Redis work without sealpost, with the "
         "server's own Lua scripts (taken from services/ by bench/redis_scripts.h), called as "
         "the server calls them, by EVALSHA after one SCRIPT LOAD per connection: per copy one "
         "call of the mailbox put script (EXISTS client, dedupe zset, XLEN cap, XADD) pipelined "
         "and the keyspace notification; then in rounds, as the server per loop iteration, one "
         "multi-stream XREADGROUP COUNT 64 (consumer `sealpost`, at most 256 streams per "
         "command) for every stream with news, and the round's acks (XACK+XDEL) in one call of "
         "the ack script per 1,024 ids across streams; once a second the usage script, one call per 256 targets; "
         "fan-out adds one SMEMBERS per group message. Its window is the same, counted up to "
         "the XREADGROUP that reads a copy. It runs right after the sealpost row in the same "
         "invocation, against the same Redis.\n",
         "Measured by `scripts/bench %s` on %s (commit %s); %d cores shared with other work "
         "(load average before: %s, after: %s).\n"
         % (meta.get("args", ""), meta.get("date"), meta.get("commit"), meta.get("cores", 0),
            meta.get("loadavg_before", "n/a"), meta.get("loadavg_after", "n/a")),
         "| measurement | median (min – max) | command |", "|---|---|---|"]
    rows = [("DMs, 100 pairs, window 64: messages/s", "dm", "throughput_mps"),
            ("  send -> receive p50, us", "dm", "latency_us.p50"),
            ("  send -> receive p99, us", "dm", "latency_us.p99"),
            ("DMs, 100 pairs, window 1: messages/s", "dm_w1", "throughput_mps"),
            ("  send -> receive p50, us", "dm_w1", "latency_us.p50"),
            ("  send -> receive p99, us", "dm_w1", "latency_us.p99"),
            ("DMs, 100 pairs, fixed 2,000 messages/s: achieved messages/s", "dm_rate",
             "throughput_mps"),
            ("  send -> receive p50, us", "dm_rate", "latency_us.p50"),
            ("  send -> receive p99, us", "dm_rate", "latency_us.p99"),
            ("Redis floor of the DMs (window 64): messages/s", "dm_floor", "throughput_mps"),
            ("Fan-out to 1,000 members, window 8: group messages/s", "fanout", "group_mps"),
            ("  member deliveries/s", "fanout", "deliveries_per_s"),
            ("  send -> receive p50, us", "fanout", "latency_us.p50"),
            ("  send -> receive p99, us", "fanout", "latency_us.p99"),
            ("Fan-out, fixed 2 group messages/s: member deliveries/s", "fanout_rate",
             "deliveries_per_s"),
            ("  send -> receive p50, us", "fanout_rate", "latency_us.p50"),
            ("  send -> receive p99, us", "fanout_rate", "latency_us.p99"),
            ("Redis floor of the fan-out: group messages/s", "fanout_floor", "group_mps"),
            ("  member deliveries/s", "fanout_floor", "deliveries_per_s"),
            ("DMs, 10 pairs, fixed 500 messages/s, alone: p50, us", "dm_alone",
             "latency_us.p50"),
            ("  p99, us", "dm_alone", "latency_us.p99"),
            ("The same DMs while fan-out sends 2 group messages/s: p50, us", "dm_beside_fanout",
             "latency_us.p50"),
            ("  p99, us", "dm_beside_fanout", "latency_us.p99"),
            ("  (the background fan-out's p99, us)", "fanout_bg", "latency_us.p99")]
    for label, scen, key in rows:
        digits = 1 if key == "group_mps" else 0
        cmd = short_cmd(sc.get(scen, {}).get("cmd", "")) if not label.startswith("  ") else ""
        L.append("| %s | %s | %s |" % (label, cell(sc, scen, key, digits),
                                       "`%s`" % cmd if cmd else ""))
    L += ["",
          "| ratio sealpost / Redis floor (same invocation) | value |", "|---|---|",
          "| direct messages, messages/s | %s |" % ratio_text("dm"),
          "| fan-out, member deliveries/s | %s |" % ratio_text("fanout"), ""]
    if before:
        L += before_after(before, s, before_file)
    L += ["CPU per delivered copy (user + system from /proc for sealpost-server and Redis, "
          "the generator's own rusage for the clients; medians, min – max):\n",
          "| row | sealpost-server us | Redis us | clients (generator) us "
          "| cores used: server / Redis / clients |", "|---|---|---|---|---|",
          cpu_row(sc, "DMs, window 64", "dm"), cpu_row(sc, "DMs, window 1", "dm_w1"),
          cpu_row(sc, "DMs, 2,000/s", "dm_rate"),
          cpu_row(sc, "Redis floor of the DMs", "dm_floor"),
          cpu_row(sc, "fan-out", "fanout"), cpu_row(sc, "fan-out, 2/s", "fanout_rate"),
          cpu_row(sc, "Redis floor of the fan-out", "fanout_floor"), ""]
    calls = msg.get("calls_per_delivery", {})
    for scen, label in (("dm", "DMs"), ("dm_floor", "the DM floor"), ("fanout", "fan-out"),
                        ("fanout_floor", "the fan-out floor")):
        if calls.get(scen):
            L.append("Redis calls per delivered copy, %s (last run, `INFO commandstats`): %s.\n"
                     % (label, calls_note(calls[scen])))
    L.append("Checks over every sealpost run: lost %s, duplicates %s, errors %s, disconnects "
             "%s (max over runs).\n" % tuple(
                 fmt(max([sc.get(x, {}).get("metrics", {}).get(k, {}).get("max", 0) or 0
                          for x in ("dm", "dm_w1", "dm_rate", "fanout", "fanout_rate",
                                    "dm_alone", "dm_beside_fanout", "fanout_bg")]))
                 for k in ("lost", "duplicates", "errors", "disconnects")))
    if os.path.exists(READING):  # bench/MESSAGING.md: what bounds these figures
        L.append(open(READING).read().rstrip() + "\n")
    return L


# ---- before/after -----------------------------------------------------------------------

# (label, scenario, metric, digits); "ratio:<name>" takes messaging.ratios.<name>.of_medians
COMPARE = [
    ("DMs, window 64: messages/s", "dm", "throughput_mps", 0),
    ("  sealpost-server us per copy", "dm", "server_cpu_us_per_delivery", 1),
    ("  Redis us per copy", "dm", "redis_cpu_us_per_delivery", 1),
    ("  Redis floor: messages/s", "dm_floor", "throughput_mps", 0),
    ("  Redis floor: Redis us per copy", "dm_floor", "redis_cpu_us_per_delivery", 1),
    ("  ratio sealpost / floor (of medians)", "ratio:dm", None, 2),
    ("DMs, window 1: messages/s", "dm_w1", "throughput_mps", 0),
    ("  sealpost-server us per copy", "dm_w1", "server_cpu_us_per_delivery", 1),
    ("  Redis us per copy", "dm_w1", "redis_cpu_us_per_delivery", 1),
    ("DMs, fixed 2,000/s: p99, us", "dm_rate", "latency_us.p99", 0),
    ("Fan-out to 1,000: member deliveries/s", "fanout", "deliveries_per_s", 0),
    ("  sealpost-server us per copy", "fanout", "server_cpu_us_per_delivery", 1),
    ("  Redis us per copy", "fanout", "redis_cpu_us_per_delivery", 1),
    ("  Redis floor: member deliveries/s", "fanout_floor", "deliveries_per_s", 0),
    ("  Redis floor: Redis us per copy", "fanout_floor", "redis_cpu_us_per_delivery", 1),
    ("  ratio sealpost / floor (of medians)", "ratio:fanout", None, 2),
    ("Fan-out, fixed 2 group messages/s: p50, us", "fanout_rate", "latency_us.p50", 0),
    ("DMs at 500/s beside that fan-out: p99, us", "dm_beside_fanout", "latency_us.p99", 0),
]


def compare_value(s, scen, key):
    if scen.startswith("ratio:"):
        return s.get("messaging", {}).get("ratios", {}).get(scen[6:], {}).get("of_medians")
    return median_of(s["scenarios"], scen, key)


def before_after(before, after, before_file):
    """Medians of two runs side by side: the server and its floors calling the
    Lua scripts by EVAL (before) and by EVALSHA (after)."""
    mb, ma = before.get("meta", {}), after.get("meta", {})
    L = ["Before/after EVALSHA: the same scenarios when the server and the floors sent every "
         "script call as EVAL with the script's text (run of %s, commit %s, `%s`) and now "
         "that both call the scripts by EVALSHA after one SCRIPT LOAD (this run). Medians of "
         "%s and %s runs, both on 2 cores shared with other work: the load beside can move a "
         "throughput median by 20%% or more, the CPU per copy less.\n"
         % (mb.get("date"), mb.get("commit"), before_file, mb.get("runs", "n/a"),
            ma.get("runs", "n/a")),
         "| median | EVAL | EVALSHA | change |", "|---|---|---|---|"]
    for label, scen, key, digits in COMPARE:
        vb, va = compare_value(before, scen, key), compare_value(after, scen, key)
        change = "%+.0f%%" % (100.0 * (va / vb - 1)) if vb and va is not None else "n/a"
        L.append("| %s | %s | %s | %s |" % (label, fmt(vb, digits), fmt(va, digits), change))
    return L + [""]


def cmd_msgdocs(results, out_md, before_path=""):
    """Replaces the Messaging section of out_md (docs/BENCHMARKS.md) with the
    one of `results`, and the before/after table when `before_path` is given."""
    s = json.load(open(results))
    before = json.load(open(before_path)) if before_path else None
    lines = section(s, before, os.path.relpath(before_path) if before_path else "")
    # bench/results/messaging-X.json keeps its raw records in messaging-raw-X.jsonl
    head, name = os.path.split(os.path.relpath(results))
    raw = os.path.join(head, name.replace("messaging-", "messaging-raw-", 1) + "l")
    if os.path.exists(raw):
        lines.insert(1, "Raw numbers: `%s` and `%s` (the rest of this page is from the run of "
                        "its header).\n" % (os.path.join(head, name), raw))
    new = "\n".join(lines)
    text = open(out_md).read()
    start = text.index("## Messaging between clients\n")
    end = text.find("\n## ", start + 1)
    end = len(text) if end < 0 else end + 1
    with open(out_md, "w") as f:
        f.write(text[:start] + new + "\n" + text[end:])
