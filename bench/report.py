#!/usr/bin/env python3
"""Aggregation behind scripts/bench: raw records -> medians -> results JSON,
gnuplot PNGs and docs/BENCHMARKS.md.

  report.py record RAW SCENARIO RUN CMD RESULT_JSON [EXTRA_JSON]
  report.py cmdstats INFO_FILE SERVER_TICKS CLK_TCK
  report.py half-max RAW SCENARIO DEFAULT
  report.py summarize RAW WORKDIR META OUT_DATED OUT_LATEST
  report.py plots LATEST WORKDIR OUTDIR
  report.py docs LATEST OUT_MD
"""
import json
import os
import re
import statistics
import subprocess
import sys

# ---- raw records ---------------------------------------------------------------------


def parse_json(text):
    text = (text or "").strip()
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return {}


def cmd_record(raw, scenario, run, cmd, result, extra=""):
    rec = {"scenario": scenario, "run": int(run), "cmd": cmd,
           "result": parse_json(result), "extra": parse_json(extra)}
    with open(raw, "a") as f:
        f.write(json.dumps(rec) + "\n")


def cmd_cmdstats(path, ticks, clk):
    calls, usec = {}, {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("cmdstat_"):
            continue
        name, _, fields = line.partition(":")
        kv = dict(x.split("=", 1) for x in fields.split(","))
        calls[name[8:]] = int(kv.get("calls", 0))
        usec[name[8:]] = int(kv.get("usec", 0))
    print(json.dumps({"redis_calls": calls, "redis_usec": usec,
                      "server_cpu_s": int(ticks) / float(clk)}))


def load_raw(raw):
    recs = []
    with open(raw) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    return recs


def get(rec, path):
    merged = dict(rec.get("result", {}))
    merged.update(rec.get("extra", {}))
    cur = merged
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None


def values(recs, scenario, path):
    return [v for v in (get(r, path) for r in recs if r["scenario"] == scenario) if v is not None]


def stat(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "values": vals}


def cmd_half_max(raw, scenario, default):
    try:
        vals = values(load_raw(raw), scenario, "throughput_eps")
    except OSError:
        vals = []
    if not vals:
        print(int(default))
        return
    print(max(1000, int(round(statistics.median(vals) * 0.5 / 1000.0)) * 1000))


# ---- summary -------------------------------------------------------------------------

# scenario -> metrics summarised per scenario
METRICS = {
    "x25519": ["dh_per_s", "keygen_per_s", "responder_ceiling_hs_per_s", "noise_responder_hs_per_s"],
    "idle_19k": ["bytes_per_connection", "rss_bytes_per_connection", "handshakes_per_s",
                 "handshakes_per_server_cpu_s", "idle_cpu_percent", "connected", "disconnects",
                 "private_kb", "rss_kb"],
    "idle_100k": ["connected", "live", "bytes_per_connection", "handshakes_per_s", "private_kb",
                  "rss_kb", "errors"],
    "storm": ["storm_seconds", "connected_seconds", "acked_seconds", "lost", "undelivered",
              "still_in_redis", "duplicates", "expected", "reconnect.connected",
              "initial.handshakes_per_s"],
    "storm_3k": ["storm_seconds", "connected_seconds", "acked_seconds", "lost", "undelivered",
                 "duplicates", "expected", "reconnect.connected"],
    "mosquitto_idle": ["bytes_per_connection", "rss_bytes_per_connection", "idle_cpu_percent",
                       "connected"],
    "mosquitto_tls_idle": ["bytes_per_connection", "rss_bytes_per_connection", "idle_cpu_percent",
                           "connected"],
    "nats_idle": ["bytes_per_connection", "rss_bytes_per_connection", "idle_cpu_percent", "connected"],
}
FLOW = ["throughput_eps", "delivered_eps", "sent", "delivered", "lost", "duplicates", "mean_batch",
        "server_cpu_s"]
LAT = ["latency_us.p50", "latency_us.p90", "latency_us.p99", "latency_us.p999", "latency_us.max",
       "achieved_eps", "lost", "rate"]
REDIS_CMDS = ["xadd", "xreadgroup", "eval", "xautoclaim", "xpending", "xgroup", "publish",
              "hset", "hgetall", "hmget"]


def median_of(scen, key):
    m = scen.get(key) if scen else None
    return m["median"] if m else None


def pick_cdf(recs, scenario):
    """CDF points of the run whose p99 is the median one."""
    runs = [r for r in recs if r["scenario"] == scenario and get(r, "latency_us.p99") is not None]
    if not runs:
        return None
    runs.sort(key=lambda r: get(r, "latency_us.p99"))
    return runs[len(runs) // 2]["result"]["latency_us"].get("cdf")


def ratio(a, b):
    return a / b if a is not None and b else None


def cmd_summarize(raw, workdir, meta_path, out_dated, out_latest):
    recs = load_raw(raw)
    meta = json.load(open(meta_path))
    scenarios = {}
    for name in sorted({r["scenario"] for r in recs}):
        if name in METRICS:
            keys = METRICS[name]
        elif "latency" in name:
            keys = LAT
        else:
            keys = FLOW
        s = {"cmd": next(r["cmd"] for r in recs if r["scenario"] == name),
             "runs": sum(1 for r in recs if r["scenario"] == name), "metrics": {}}
        for k in keys:
            st = stat(values(recs, name, k))
            if st:
                s["metrics"][k] = st
        # Redis calls per delivered event (what the server really sends).
        if name.startswith("sealpost_"):
            per = {}
            for r in recs:
                if r["scenario"] != name:
                    continue
                ev = get(r, "delivered") or 0
                calls = r["extra"].get("redis_calls", {})
                for c in REDIS_CMDS:
                    if ev and c in calls:
                        per.setdefault(c, []).append(calls[c] / ev)
                usec = r["extra"].get("redis_usec", {})
                if ev and usec:
                    per.setdefault("redis_usec_per_event", []).append(sum(usec.values()) / ev)
                if ev and r["extra"].get("server_cpu_s"):
                    per.setdefault("server_cpu_us_per_event", []).append(
                        r["extra"]["server_cpu_s"] * 1e6 / ev)
            s["per_event"] = {k: statistics.median(v) for k, v in per.items()}
        if "latency" in name:
            s["cdf"] = pick_cdf(recs, name)
        scenarios[name] = s

    def m(scen, key):
        return median_of(scenarios.get(scen, {}).get("metrics"), key)

    def mm(scen, key):
        return scenarios.get(scen, {}).get("metrics", {}).get(key)

    # Memory-vs-connections series sampled during the ramp-ups.
    series = {}
    for name in ["sealpost", "mosquitto_idle", "mosquitto_tls_idle", "nats_idle"]:
        path = os.path.join(workdir, "series-%s.dat" % name)
        if os.path.exists(path):
            raw_pts = [tuple(map(float, l.split())) for l in open(path) if len(l.split()) == 2]
            # The ramp-up only: up to the peak, connections never decreasing.
            peak = max(range(len(raw_pts)), key=lambda i: raw_pts[i][0]) if raw_pts else -1
            pts = []
            for p in raw_pts[:peak + 1]:
                if not pts or p[0] >= pts[-1][0]:
                    pts.append(p)
            step = max(1, len(pts) // 200)
            series[name] = pts[::step]

    tp = {
        "sealpost_aof": m("sealpost_aof_100", "throughput_eps"),
        "sealpost": m("sealpost_noaof_100", "throughput_eps"),
        "sealpost_aof_1000": m("sealpost_aof_1000", "throughput_eps"),
        "sealpost_1000": m("sealpost_noaof_1000", "throughput_eps"),
        "mosquitto": m("mosquitto", "throughput_eps"),
        "jetstream": m("jetstream_workqueue", "throughput_eps"),
        "jetstream_limits": m("jetstream_limits", "throughput_eps"),
        "redis_floor": m("floor_aof_100", "throughput_eps"),
        "redis_floor_noaof": m("floor_noaof_100", "throughput_eps"),
        "redis_floor_1000": m("floor_aof_1000", "throughput_eps"),
        "redis_floor_noaof_1000": m("floor_noaof_1000", "throughput_eps"),
    }
    lat = {
        "rate": m("latency_fixed", "rate"),
        "p50": m("latency_fixed", "latency_us.p50"),
        "p99": m("latency_fixed", "latency_us.p99"),
        "p999": m("latency_fixed", "latency_us.p999"),
        "achieved_eps": m("latency_fixed", "achieved_eps"),
        "mosquitto_p50": m("mosquitto_latency_fixed", "latency_us.p50"),
        "mosquitto_p99": m("mosquitto_latency_fixed", "latency_us.p99"),
        "mosquitto_p999": m("mosquitto_latency_fixed", "latency_us.p999"),
        "jetstream_p99": m("jetstream_latency_fixed", "latency_us.p99"),
        "half_rate": m("latency_half", "rate"),
        "half_p50": m("latency_half", "latency_us.p50"),
        "half_p99": m("latency_half", "latency_us.p99"),
        "half_p999": m("latency_half", "latency_us.p999"),
        "mosquitto_half_p99": m("mosquitto_latency_half", "latency_us.p99"),
    }
    storm_lost = [v for v in values(recs, "storm", "lost")]
    lost_all = 0
    for r in recs:
        if r["scenario"].startswith(("sealpost_", "latency_", "storm")):
            lost_all += abs(get(r, "lost") or 0)
    hs_cpu = m("idle_19k", "handshakes_per_server_cpu_s")
    ceiling = m("x25519", "responder_ceiling_hs_per_s")
    summary = {
        "meta": meta,
        "bytes_per_connection": m("idle_19k", "bytes_per_connection"),
        "bytes_per_connection_100k": m("idle_100k", "bytes_per_connection"),
        "connections_100k": m("idle_100k", "live"),
        "handshakes_per_s": m("idle_19k", "handshakes_per_s"),
        "handshakes_per_server_cpu_s": hs_cpu,
        "idle_cpu_percent": m("idle_19k", "idle_cpu_percent"),
        "x25519": {"dh_per_s": m("x25519", "dh_per_s"), "keygen_per_s": m("x25519", "keygen_per_s"),
                   "responder_ceiling_hs_per_s": ceiling,
                   "noise_responder_hs_per_s": m("x25519", "noise_responder_hs_per_s")},
        "throughput_eps": tp,
        "latency_us": lat,
        "storm_seconds": m("storm", "storm_seconds"),
        "storm_acked_seconds": m("storm", "acked_seconds"),
        "lost": sum(abs(x) for x in storm_lost) if storm_lost else None,
        "lost_all_sealpost_runs": lost_all,
        "peer_memory": {
            "mosquitto_bytes_per_connection": m("mosquitto_idle", "bytes_per_connection"),
            "mosquitto_tls_bytes_per_connection": m("mosquitto_tls_idle", "bytes_per_connection"),
            "nats_bytes_per_connection": m("nats_idle", "bytes_per_connection"),
        },
        "ratios": {
            "sealpost_aof_vs_mosquitto": ratio(tp["sealpost_aof"], tp["mosquitto"]),
            "sealpost_aof_vs_jetstream": ratio(tp["sealpost_aof"], tp["jetstream"]),
            "sealpost_aof_vs_jetstream_limits": ratio(tp["sealpost_aof"], tp["jetstream_limits"]),
            "sealpost_aof_vs_redis_floor": ratio(tp["sealpost_aof"], tp["redis_floor"]),
            "sealpost_vs_redis_floor_noaof": ratio(tp["sealpost"], tp["redis_floor_noaof"]),
            "sealpost_aof_1000_vs_redis_floor_1000": ratio(tp["sealpost_aof_1000"],
                                                           tp["redis_floor_1000"]),
            "handshakes_per_cpu_s_vs_x25519_ceiling": ratio(hs_cpu, ceiling),
            "handshakes_wall_vs_x25519_ceiling": ratio(m("idle_19k", "handshakes_per_s"), ceiling),
            "p99_vs_mosquitto_p99": ratio(lat["p99"], lat["mosquitto_p99"]),
            "memory_vs_mosquitto": ratio(m("idle_19k", "bytes_per_connection"),
                                         m("mosquitto_idle", "bytes_per_connection")),
            "memory_vs_mosquitto_tls": ratio(m("idle_19k", "bytes_per_connection"),
                                             m("mosquitto_tls_idle", "bytes_per_connection")),
            "memory_vs_nats": ratio(m("idle_19k", "bytes_per_connection"),
                                    m("nats_idle", "bytes_per_connection")),
        },
        "series_memory": series,
        "scenarios": scenarios,
    }

    def target(name, measured, goal, ok, note=""):
        return {"target": name, "goal": goal, "measured": measured, "note": note,
                "met": None if measured is None else bool(ok(measured))}

    storm_runs = [r for r in recs if r["scenario"] == "storm"]
    storm_done = sum(1 for r in storm_runs if r["result"].get("phase") == "done")
    summary["storm_completed_runs"] = storm_done
    summary["storm_runs"] = len(storm_runs)
    storm_note = ""
    if storm_runs and storm_done < len(storm_runs):
        storm_note = "%d of %d runs completed; at the time limit %s of 19,000 clients " \
                     "were authenticated (per run)" % (storm_done, len(storm_runs), "/".join(
                         str(r["result"].get("reconnect", {}).get("connected", "?"))
                         for r in storm_runs))
    undelivered = values(recs, "storm", "undelivered")
    lost_note = ""
    if undelivered and max(undelivered) > 0:
        lost_note = "nothing lost, but up to %s events were still undelivered (kept in Redis) " \
                    "when the runs ended" % fmt(max(undelivered))

    r = summary["ratios"]
    summary["targets"] = [
        target("memory per idle encrypted connection", summary["bytes_per_connection"],
               "<= 1024 B", lambda v: v <= 1024),
        target("concurrent authenticated connections on the box", summary["connections_100k"],
               ">= 100,000", lambda v: v >= 100000,
               "6 server processes on one port; %s B per connection there"
               % fmt(summary["bytes_per_connection_100k"])),
        target("durable throughput vs Mosquitto QoS 1", r["sealpost_aof_vs_mosquitto"], ">= 1.1x",
               lambda v: v >= 1.1),
        target("durable throughput vs JetStream", r["sealpost_aof_vs_jetstream"], ">= 2.5x",
               lambda v: v >= 2.5),
        target("durable throughput vs Redis floor", r["sealpost_aof_vs_redis_floor"], ">= 0.5x",
               lambda v: v >= 0.5),
        target("p99 at 45,000 events/s", lat["p99"], "<= 1000 us", lambda v: v <= 1000,
               "Mosquitto QoS 1 at the same rate: %s us; sealpost at %s ev/s: %s us"
               % (fmt(lat["mosquitto_p99"]), fmt(lat["half_rate"]), fmt(lat["half_p99"]))),
        target("handshakes/s per process vs X25519 floor", r["handshakes_per_cpu_s_vs_x25519_ceiling"],
               ">= 0.75x", lambda v: v >= 0.75,
               "handshakes per server CPU-second / (1 / (3 DH + 1 keygen)); wall clock: %sx"
               % fmt(r["handshakes_wall_vs_x25519_ceiling"], 2)),
        target("reconnect storm of 19,000 clients", summary["storm_seconds"], "<= 10 s",
               lambda v: v <= 10 and storm_done == len(storm_runs), storm_note),
        target("events lost in the storm", summary["lost"], "0", lambda v: v == 0, lost_note),
    ]
    for path in (out_dated, out_latest):
        with open(path, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=False)
            f.write("\n")


# ---- plots ---------------------------------------------------------------------------


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def cmd_plots(latest, workdir, outdir):
    s = json.load(open(latest))
    sc = s["scenarios"]
    d = os.path.join(workdir, "plotdata")
    os.makedirs(d, exist_ok=True)
    term = "set terminal pngcairo size 900,560 font 'DejaVu Sans,10'\n"
    if subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode:
        term = "set terminal png size 900,560\n"

    # 1. Latency CDF
    curves = []
    labels = {"latency_fixed": "sealpost (AOF) at %s/s", "latency_half": "sealpost (AOF) at %s/s",
              "mosquitto_latency_fixed": "Mosquitto QoS 1 at %s/s",
              "mosquitto_latency_half": "Mosquitto QoS 1 at %s/s",
              "jetstream_latency_fixed": "JetStream at %s/s"}
    for name, label in labels.items():
        cdf = sc.get(name, {}).get("cdf")
        if not cdf:
            continue
        path = os.path.join(d, name + ".dat")
        with open(path, "w") as f:
            for us, q in cdf:
                f.write("%f %f\n" % (max(us, 1.0), q))
        rate = sc[name]["metrics"].get("rate", {}).get("median", 0)
        curves.append("'%s' using 1:2 with linespoints title '%s'" % (path, label % int(rate)))
    if curves:
        gnuplot(term + "set output '%s/latency_cdf.png'\nset logscale x\nset grid\n"
                "set xlabel 'latency from XADD/PUBLISH to receipt (us, log)'\n"
                "set ylabel 'fraction of events'\nset key bottom right\nset yrange [0:1.01]\n"
                "set title 'Latency CDF (100 sealpost clients / 100 MQTT subscribers)'\n"
                "plot %s\n" % (outdir, ", ".join(curves)))

    # 2. Throughput against client count
    rows = [("sealpost (AOF everysec)", "sealpost_aof_%d"), ("sealpost (no AOF)", "sealpost_noaof_%d"),
            ("Redis floor (AOF everysec)", "floor_aof_%d"), ("Redis floor (no AOF)", "floor_noaof_%d"),
            ("Mosquitto QoS 1", "mosquitto"), ("JetStream WorkQueue", "jetstream_workqueue"),
            ("JetStream Limits", "jetstream_limits")]
    curves = []
    for i, (label, pat) in enumerate(rows):
        path = os.path.join(d, "tp%d.dat" % i)
        n_pts = 0
        with open(path, "w") as f:
            for n in (100, 1000):
                name = pat % n if "%d" in pat else (pat if n == 100 else None)
                st = sc.get(name, {}).get("metrics", {}).get("throughput_eps") if name else None
                if st:
                    f.write("%d %f %f %f\n" % (n, st["median"], st["min"], st["max"]))
                    n_pts += 1
        if n_pts:
            curves.append("'%s' using 1:2:3:4 with yerrorlines title '%s'" % (path, label))
    if curves:
        gnuplot(term + "set output '%s/throughput_clients.png'\nset logscale x\nset grid\n"
                "set xrange [70:1400]\nset xtics (100, 1000)\nset yrange [0:*]\n"
                "set xlabel 'clients (subscribers)'\nset ylabel 'events/s (median, min-max bars)'\n"
                "set key outside right\nset title 'End-to-end throughput, 256-byte events'\n"
                "plot %s\n" % (outdir, ", ".join(curves)))

    # 3. Memory against connections
    curves = []
    names = {"sealpost": "sealpost-server (Noise)", "mosquitto_idle": "Mosquitto (plain)",
             "mosquitto_tls_idle": "Mosquitto (TLS 1.3)", "nats_idle": "nats-server"}
    for name, label in names.items():
        pts = s.get("series_memory", {}).get(name)
        if not pts:
            continue
        path = os.path.join(d, "mem-%s.dat" % name)
        with open(path, "w") as f:
            for conns, kb in pts:
                f.write("%f %f\n" % (conns, kb / 1024.0))
        curves.append("'%s' using 1:2 with lines lw 2 title '%s'" % (path, label))
    if curves:
        gnuplot(term + "set output '%s/memory_connections.png'\nset grid\n"
                "set xlabel 'open connections (one process)'\n"
                "set ylabel 'private memory of the process (MiB)'\nset key top left\n"
                "set title 'User-space memory against idle connections (kernel socket buffers not included)'\n"
                "plot %s\n" % (outdir, ", ".join(curves)))


# ---- docs ----------------------------------------------------------------------------


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and digits:
        return "{:,.{}f}".format(v, digits)
    return "{:,.0f}".format(v)


def cell(st, digits=0, scale=1.0):
    if not st:
        return "n/a", "-", 0
    return (fmt(st["median"] * scale, digits),
            "%s – %s" % (fmt(st["min"] * scale, digits), fmt(st["max"] * scale, digits)), st["n"])


def short_cmd(cmd):
    """Commands as a reader would type them: placeholders for run-time values."""
    cmd = re.sub(r"--server-pk \S+", "--server-pk $SERVER_PK", cmd)
    cmd = re.sub(r"redis://127\.0\.0\.1:\d+/0", "$REDIS_URL", cmd)
    cmd = re.sub(r"127\.0\.0\.1:\d+ ", "127.0.0.1:$PORT ", cmd)
    cmd = re.sub(r"--(port|url) (nats://127\.0\.0\.1:)?\d+", lambda m: "--%s %s$PORT" % (
        m.group(1), m.group(2) or ""), cmd)
    return cmd


def cmd_docs(latest, out_md):
    s = json.load(open(latest))
    sc = s["scenarios"]
    meta = s["meta"]
    L = []
    L.append("# Benchmarks\n")
    L.append("Generated by `scripts/bench%s` on %s (commit %s, %s mode, %s s of measurements). "
             "Every figure was measured on this one machine over loopback (127.0.0.0/8); "
             "figures are the **median of the runs** with the min – max range and the run count; "
             "every comparison is a ratio of medians of runs made in the same invocation. "
             "Raw numbers: `bench/results/%s.json` (the same as `bench/results/latest.json`).\n"
             % (" --quick" if meta["mode"] == "quick" else "", meta["date"], meta["commit"],
                meta["mode"], meta["elapsed_s"], meta["date"]))
    L.append("Machine: %s, %d cores, %d GiB, Linux %s; Redis %s, Mosquitto %s, nats-server %s, "
             "libsodium %s. Open files per process: %d (hard limit). Kernel settings were read, "
             "not changed: `net.ipv4.ip_local_port_range` = %s, `net.ipv4.tcp_tw_reuse` = %s, "
             "`net.core.somaxconn` = %s, `net.ipv4.tcp_max_syn_backlog` = %s. Generators, servers, "
             "Redis and the peers all share the same 2 cores, so every throughput figure includes "
             "the cost of the load generator. Load average (1, 5, 15 min) before the run: %s, after: %s "
             "(other work on the machine shares the cores too).\n"
             % (meta["cpu"], meta["cores"], meta["mem_gib"], meta["kernel"], meta["redis"],
                meta["mosquitto"], meta["nats_server"], meta["libsodium"], meta["nofile"],
                meta["ip_local_port_range"], meta["tcp_tw_reuse"], meta["somaxconn"],
                meta["tcp_max_syn_backlog"], meta.get("loadavg_before", "n/a"),
                meta.get("loadavg_after", "n/a")))
    L.append("Run it: `scripts/bench --quick` (a smoke run under 10 minutes: 3 runs of the short "
             "flows, one run of the idle, 100,000-connection, storm and peer-memory scenarios) or "
             "`scripts/bench` (3 runs of everything, longer durations). `--only idle,storm` "
             "runs a subset; `--runs N` changes the run count; `BENCH_BUILD_DIR=dir` builds "
             "elsewhere than `build/`. In the commands below `$PORT`, `$REDIS_URL` and "
             "`$SERVER_PK` stand for the private Redis / server started by the script (free ports "
             "below the ephemeral range) and the server's public key.\n")

    L.append("## Targets\n")
    L.append("| target | goal | measured (median) | met | note |")
    L.append("|---|---|---|---|---|")
    for t in s["targets"]:
        v = t["measured"]
        if v is None:
            shown = "not measured"
        elif "x" in t["goal"]:
            shown = "%.2fx" % v
        elif "us" in t["goal"]:
            shown = "%s us" % fmt(v)
        elif " s" in t["goal"]:
            shown = "%.2f s" % v
        elif t["goal"].endswith(" B"):
            shown = "%s B" % fmt(v)
        else:
            shown = fmt(v)
        met = {True: "yes", False: "**no**", None: "-"}[t["met"]]
        L.append("| %s | %s | %s | %s | %s |" % (t["target"], t["goal"], shown, met,
                                               t.get("note", "")))
    L.append("")

    def row(label, scen, key, unit="", digits=0, scale=1.0):
        st = sc.get(scen, {}).get("metrics", {}).get(key)
        med, rng, n = cell(st, digits, scale)
        cmd = short_cmd(sc.get(scen, {}).get("cmd", ""))
        return "| %s | %s%s | %s | %s | `%s` |" % (label, med, unit, rng, n, cmd)

    head = ["| measurement | median | min – max | runs | command |", "|---|---|---|---|---|"]
    L.append("## Idle connections and handshakes\n")
    L.append("Memory is the server's private user-space memory (`Private_Clean + Private_Dirty` of "
             "`/proc/PID/smaps_rollup`) after the ramp-up minus before it, divided by the "
             "connections. Kernel socket buffers are **not** in it. Every connection is "
             "authenticated (Noise_XX + registry lookup) and heartbeating (server ping every 5 s). "
             "Handshakes/s is wall-clock during the ramp-up with the generator (which does the "
             "initiator's share of the X25519 work) on the same 2 cores; handshakes per server "
             "CPU-second divides by the server's own CPU time during the ramp-up, which is what "
             "one dedicated core would sustain.\n")
    L += head
    L.append(row("bytes per idle connection, 19,000 on one process", "idle_19k", "bytes_per_connection", " B"))
    L.append(row("RSS bytes per idle connection (VmRSS)", "idle_19k", "rss_bytes_per_connection", " B"))
    L.append(row("handshakes/s while ramping up (wall clock)", "idle_19k", "handshakes_per_s"))
    L.append(row("handshakes per server CPU-second", "idle_19k", "handshakes_per_server_cpu_s"))
    L.append(row("server CPU while idle (19,000 connections)", "idle_19k", "idle_cpu_percent", " %", 2))
    L.append(row("X25519 DH per second (one core)", "x25519", "dh_per_s"))
    L.append(row("X25519 key generations per second", "x25519", "keygen_per_s"))
    L.append(row("responder ceiling: 1 / (3 DH + 1 keygen)", "x25519", "responder_ceiling_hs_per_s"))
    L.append(row("sealpost Noise responder, in memory, one core", "x25519", "noise_responder_hs_per_s"))
    L.append(row("connections held on the box (6 servers, 6 generators)", "idle_100k", "live"))
    L.append(row("bytes per connection at 100,000", "idle_100k", "bytes_per_connection", " B"))
    L.append(row("handshakes/s on the box during the 100,000 ramp-up", "idle_100k", "handshakes_per_s"))
    L.append("")
    r = s["ratios"]
    L.append("Handshakes per server CPU-second / X25519 responder ceiling: **%s**; wall clock / "
             "ceiling: %s.\n" % (fmt(r.get("handshakes_per_cpu_s_vs_x25519_ceiling"), 2),
                                 fmt(r.get("handshakes_wall_vs_x25519_ceiling"), 2)))

    L.append("## Throughput\n")
    L.append("256-byte events XADDed (pipelined) by one producer, at most 128 per client between "
             "XADD and receipt (twice the server's inflight window of 64), received, acked by the "
             "client, and XACK+XDEL'd by the server: the clock stops when every stream is empty "
             "again. Mosquitto: 100 subscribers on their own topic, one publisher, QoS 1, broker "
             "max_inflight 20, at most 40 messages per subscriber outstanding. JetStream: file "
             "storage, 100 durable push consumers with explicit ack, one async publisher, at most 40 "
             "per consumer outstanding. Delivered == sent is checked for every run. Redis floor: "
             "sealpost's Redis command mix without sealpost (see below).\n")
    L += head
    L.append(row("sealpost, 100 clients, AOF everysec", "sealpost_aof_100", "throughput_eps", " ev/s"))
    L.append(row("sealpost, 100 clients, no AOF", "sealpost_noaof_100", "throughput_eps", " ev/s"))
    L.append(row("sealpost, 1,000 clients, AOF everysec", "sealpost_aof_1000", "throughput_eps", " ev/s"))
    L.append(row("sealpost, 1,000 clients, no AOF", "sealpost_noaof_1000", "throughput_eps", " ev/s"))
    L.append(row("Redis floor, 100 clients, AOF everysec", "floor_aof_100", "throughput_eps", " ev/s"))
    L.append(row("Redis floor, 100 clients, no AOF", "floor_noaof_100", "throughput_eps", " ev/s"))
    L.append(row("Redis floor, 1,000 clients, AOF everysec", "floor_aof_1000", "throughput_eps", " ev/s"))
    L.append(row("Redis floor, 1,000 clients, no AOF", "floor_noaof_1000", "throughput_eps", " ev/s"))
    L.append(row("Mosquitto 2.0 QoS 1, 100 subscribers", "mosquitto", "throughput_eps", " ev/s"))
    L.append(row("JetStream 2.9 WorkQueue, 100 consumers", "jetstream_workqueue", "throughput_eps", " ev/s"))
    L.append(row("JetStream 2.9 Limits, 100 consumers", "jetstream_limits", "throughput_eps", " ev/s"))
    L.append("")
    L.append("| ratio (medians, same invocation) | value |")
    L.append("|---|---|")
    for key, label in [("sealpost_aof_vs_mosquitto", "sealpost AOF / Mosquitto QoS 1 (100 clients)"),
                       ("sealpost_aof_vs_jetstream", "sealpost AOF / JetStream WorkQueue"),
                       ("sealpost_aof_vs_jetstream_limits", "sealpost AOF / JetStream Limits"),
                       ("sealpost_aof_vs_redis_floor", "sealpost AOF / Redis floor AOF (100 clients)"),
                       ("sealpost_vs_redis_floor_noaof", "sealpost / Redis floor, no AOF (100 clients)"),
                       ("sealpost_aof_1000_vs_redis_floor_1000", "sealpost AOF / Redis floor AOF (1,000 clients)")]:
        L.append("| %s | %s |" % (label, fmt(r.get(key), 2)))
    L.append("")
    per = sc.get("sealpost_aof_100", {}).get("per_event")
    if per:
        L.append("What sealpost-server sent to Redis per delivered event (Redis `INFO commandstats`, "
                 "100 clients, AOF): " + ", ".join("%s %.2f" % (k, v) for k, v in sorted(per.items())
                                                      if k not in ("redis_usec_per_event", "server_cpu_us_per_event"))
                 + "; Redis CPU %.1f us per event; sealpost-server CPU %.1f us per event. The floor "
                 "issued one XREADGROUP and one ack EVAL per %.0f events on average.\n"
                 % (per.get("redis_usec_per_event", 0), per.get("server_cpu_us_per_event", 0),
                    sc.get("floor_aof_100", {}).get("metrics", {}).get("mean_batch", {}).get("median", 0)))

    L.append("## Latency\n")
    L.append("From the XADD (or PUBLISH) to the client's receipt, at a fixed offered rate. Each "
             "event carries its *scheduled* send time, so a stalled producer cannot hide latency "
             "(no coordinated omission). sealpost: 100 clients, AOF everysec; the second rate "
             "is 50% of the measured 100-client AOF maximum. Mosquitto: 100 subscribers.\n")
    L += ["| measurement | p50 (us) | p99 (us) | p99 range | p99.9 (us) | runs | command |",
          "|---|---|---|---|---|---|---|"]
    for scen, label in [("latency_fixed", "sealpost"), ("latency_half", "sealpost"),
                        ("mosquitto_latency_fixed", "Mosquitto QoS 1"),
                        ("mosquitto_latency_half", "Mosquitto QoS 1"),
                        ("jetstream_latency_fixed", "JetStream WorkQueue")]:
        ms = sc.get(scen, {}).get("metrics", {})
        if not ms:
            continue
        p99 = ms.get("latency_us.p99")
        L.append("| %s at %s ev/s (achieved %s) | %s | %s | %s | %s | %d | `%s` |" % (
            label, fmt(ms.get("rate", {}).get("median")), fmt(ms.get("achieved_eps", {}).get("median")),
            fmt(ms.get("latency_us.p50", {}).get("median")), fmt(p99["median"] if p99 else None),
            cell(p99)[1], fmt(ms.get("latency_us.p999", {}).get("median")),
            sc[scen]["runs"], short_cmd(sc[scen]["cmd"])))
    L.append("")

    L.append("## Reconnect storm\n")
    L.append("19,000 clients connect, pause (their next event is delivered but never acked), "
             "disconnect; two more events per client are XADDed while they are away; the server "
             "is stopped (SIGTERM) and started again; then all 19,000 reconnect at once. Storm "
             "time runs from the restarted server listening until every client is authenticated "
             "and every pending event (3 per client) has been delivered; lost = pending - "
             "distinct delivered. Redis with AOF everysec.\n")
    L += head
    L.append(row("storm time: all authenticated, all delivered", "storm", "storm_seconds", " s", 2))
    L.append(row("all authenticated", "storm", "connected_seconds", " s", 2))
    L.append(row("all acks in Redis (streams empty)", "storm", "acked_seconds", " s", 2))
    L.append(row("events pending before the storm", "storm", "expected"))
    L.append(row("clients authenticated after the restart", "storm", "reconnect.connected"))
    L.append(row("undelivered when the storm ended", "storm", "undelivered"))
    L.append(row("lost (undelivered and no longer in Redis)", "storm", "lost"))
    L.append(row("duplicates seen by the clients", "storm", "duplicates"))
    L.append(row("for scale: storm time with 3,000 clients", "storm_3k", "storm_seconds", " s", 2))
    L.append(row("for scale: 3,000 clients, clients authenticated", "storm_3k", "reconnect.connected"))
    L.append(row("for scale: 3,000 clients, lost", "storm_3k", "lost"))
    L.append("")

    L.append("## Peers: idle connection memory\n")
    L.append("Same method as for sealpost-server: private memory delta of the broker divided by "
             "its idle connections (MQTT CONNECT with keepalive 600 s; NATS CONNECT + PING). The "
             "TLS 1.3 certificate is a throwaway self-signed P-256 certificate generated at run "
             "time.\n")
    L += head
    L.append(row("Mosquitto, plain TCP", "mosquitto_idle", "bytes_per_connection", " B"))
    L.append(row("Mosquitto, TLS 1.3", "mosquitto_tls_idle", "bytes_per_connection", " B"))
    L.append(row("nats-server", "nats_idle", "bytes_per_connection", " B"))
    L.append(row("sealpost-server, Noise (for comparison)", "idle_19k", "bytes_per_connection", " B"))
    L.append("")

    L.append("## Durability is not the same everywhere\n")
    L.append("- **sealpost** keeps every event in a Redis stream until the client acks it; with "
             "`appendonly yes` + `appendfsync everysec` (our durability promise) an acknowledged "
             "XADD can be lost only within the last second before a Redis crash.\n"
             "- **Mosquitto** keeps QoS 1 messages in memory only (`persistence false` here; even "
             "with persistence on it writes its database only on an interval or at shutdown): a "
             "broker crash loses every queued message.\n"
             "- **JetStream** writes to its file store but does not fsync per message (it relies "
             "on the OS page cache and syncs periodically): comparable to AOF everysec, not to "
             "fsync-always.\n"
             "- The Redis floor uses the same Redis settings as the sealpost run it is compared "
             "with.\n")

    L.append("## Plots\n")
    L.append("![Latency CDF](../bench/results/latency_cdf.png)\n")
    L.append("![Throughput against clients](../bench/results/throughput_clients.png)\n")
    L.append("![Memory against connections](../bench/results/memory_connections.png)\n")

    analysis = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ANALYSIS.md")
    if os.path.exists(analysis):
        L.append(open(analysis).read().rstrip() + "\n")
    prof = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results",
                        "profile-%s.txt" % meta["date"])
    if os.path.exists(prof):
        L.append("## Profile of sealpost-server at full throughput\n")
        L.append("`perf record -F 999 -g -p <server>` for 4 s while 1,000 clients run at full "
                 "throughput with AOF (self time, entries above 1.5%%; `bench/results/profile-%s.txt`):\n"
                 % meta["date"])
        L.append("```\n" + open(prof).read().rstrip() + "\n```\n")
    with open(out_md, "w") as f:
        f.write("\n".join(L))


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"record": cmd_record, "cmdstats": cmd_cmdstats, "half-max": cmd_half_max,
     "summarize": cmd_summarize, "plots": cmd_plots, "docs": cmd_docs}[cmd](*args)


if __name__ == "__main__":
    main()
