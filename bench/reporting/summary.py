"""Raw records -> medians per scenario, the headline figures, ratios and targets:
bench/results/<date>.json and latest.json."""
import json
import os
import statistics

from . import messaging
from .records import get, load_raw, runs_of, stat, values
from .text import fmt

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
# One client process per library (scripts/bench --only clients): clients_recv_<lang>, clients_handshakes_<lang>
CLIENT_LANGS = ["cpp", "node", "python"]
METRICS.update({"clients_recv_" + lang: ["events_per_s", "cpu_us_per_event", "server_cpu_us_per_event",
                                          "events", "stream_left"] for lang in CLIENT_LANGS})
METRICS.update({"clients_handshakes_" + lang: ["handshakes_per_s", "cpu_us_per_handshake",
                                               "server_cpu_us_per_handshake", "handshakes"]
                for lang in CLIENT_LANGS})
METRICS.update(messaging.METRICS)
# sealpost nodes on one Redis and on a 3-primary Redis Cluster (scripts/bench --only cluster):
# scale_<single|cluster>_<nodes>
SCALE_SETUPS = ["single", "cluster"]
SCALE_NODES = [1, 2, 3]
SCALE = ["throughput_eps", "delivered_eps", "sent", "delivered", "lost", "duplicates",
         "disconnects", "nodes", "redis_processes", "window_s", "server_cpu_s", "redis_cpu_s",
         "server_cpu_us_per_event", "redis_cpu_us_per_event", "server_cpu_us_per_event_per_node",
         "server_cores", "redis_cores", "client_cpu_s", "client_cpu_us_per_event", "client_cores",
         "redis_rejected_calls"]
METRICS.update({"scale_%s_%d" % (setup, n): SCALE for setup in SCALE_SETUPS for n in SCALE_NODES})
# The machine's wake-up cost (sealpost-bench wakeup), without and with /dev/cpu_dma_latency held at 0
WAKEUP = ["%s.%s_us.%s" % (phase, what, q) for phase in ("backtoback", "sparse", "sparse_spin")
          for what in ("rtt", "oversleep") for q in ("p50", "p99")
          if what == "rtt" or phase != "backtoback"] + ["sparse_minus_backtoback_p50_us",
                                                        "sparse_spin_minus_backtoback_p50_us"]
METRICS.update({"wakeup": WAKEUP, "wakeup_held": WAKEUP, "maxrate": ["max_rate"],
                "maxrate_probe": ["rate", "latency_us.p50", "latency_us.p99", "achieved_eps"]})
FLOW = ["throughput_eps", "delivered_eps", "sent", "delivered", "lost", "duplicates", "mean_batch",
        "server_cpu_s", "redis_cpu_s", "server_cpu_us_per_event", "redis_cpu_us_per_event"]
LAT = ["latency_us.p50", "latency_us.p90", "latency_us.p99", "latency_us.p999", "latency_us.max",
       "achieved_eps", "lost", "rate", "send_lateness_us.p50", "send_lateness_us.p99"]
# The latency rows at fixed rates (scripts/bench --only latency), sealpost and Mosquitto QoS 1
LATENCY_RATES = ["1k", "10k", "35k"]
REDIS_CMDS = ["xadd", "xreadgroup", "eval", "xautoclaim", "xpending", "xgroup", "publish",
              "hset", "hgetall", "hmget"]
# processes whose memory is sampled against their connections (series-<name>.dat)
SERIES = ["sealpost", "mosquitto_idle", "mosquitto_tls_idle", "nats_idle"]

# ---- per scenario ----------------------------------------------------------------------


def metric_keys(name):
    if name in METRICS:
        return METRICS[name]
    return LAT if "latency" in name else FLOW


def redis_per_event(runs):
    """Medians over runs of what sealpost-server sent to Redis per delivered event."""
    per = {}
    for r in runs:
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
    return {k: statistics.median(v) for k, v in per.items()}


def calls_per_event(runs):
    """Medians over runs of every command's calls per delivered event (`INFO commandstats`),
    and of the calls Redis rejected (e.g. MOVED on a cluster); the ones >= 0.001."""
    per = {}
    for r in runs:
        ev = get(r, "delivered") or 0
        for c, n in r["extra"].get("redis_calls", {}).items():
            if ev and not c.startswith("config"):
                per.setdefault(c, []).append(n / ev)
        if ev and "redis_rejected_calls" in r["extra"]:
            per.setdefault("(rejected)", []).append(r["extra"]["redis_rejected_calls"] / ev)
    med = {k: statistics.median(v) for k, v in per.items()}
    return {k: v for k, v in sorted(med.items()) if v >= 0.001}


def pick_cdf(recs, scenario):
    """CDF points of the run whose p99 is the median one."""
    runs = [r for r in runs_of(recs, scenario) if get(r, "latency_us.p99") is not None]
    if not runs:
        return None
    runs.sort(key=lambda r: get(r, "latency_us.p99"))
    return runs[len(runs) // 2]["result"]["latency_us"].get("cdf")


def summarize_scenario(recs, name):
    runs = runs_of(recs, name)
    s = {"cmd": runs[0]["cmd"], "runs": len(runs), "metrics": {}}
    for k in metric_keys(name):
        st = stat(values(recs, name, k))
        if st:
            s["metrics"][k] = st
    # Redis calls per delivered event (what the server really sends).
    if name.startswith(("sealpost_", "scale_")):
        s["per_event"] = redis_per_event(runs)
    if name.startswith("scale_"):
        s["calls_per_event"] = calls_per_event(runs)
    if "latency" in name:
        s["cdf"] = pick_cdf(recs, name)
    if name.startswith("wakeup") and runs:
        for k in ("cpuidle_driver", "cpuidle_governor", "timerslack_ns"):
            s[k] = runs[0]["result"].get(k)
    if name == "maxrate":
        s["searches"] = maxrate_searches(recs)
    return s


def maxrate_searches(recs):
    """Per search (run): its probes in order, each with its rate, p99, achieved rate and verdict."""
    out = []
    for run in sorted({r["run"] for r in runs_of(recs, "maxrate_probe")}):
        probes = [r for r in runs_of(recs, "maxrate_probe") if r["run"] == run]
        probes.sort(key=lambda r: r["extra"].get("probe", 0))
        best = [get(r, "max_rate") for r in runs_of(recs, "maxrate") if r["run"] == run]
        out.append({"run": run, "max_rate": best[0] if best else None, "probes": [
            {"rate": get(r, "rate"), "p99_us": get(r, "latency_us.p99"),
             "achieved_eps": get(r, "achieved_eps"), "passed": r["extra"].get("passed")}
            for r in probes]})
    return out


def summarize_scenarios(recs):
    return {name: summarize_scenario(recs, name) for name in sorted({r["scenario"] for r in recs})}

# ---- memory against connections ------------------------------------------------------


def ramp_up(raw_pts):
    """The ramp-up only: up to the peak, connections never decreasing."""
    peak = max(range(len(raw_pts)), key=lambda i: raw_pts[i][0]) if raw_pts else -1
    pts = []
    for p in raw_pts[:peak + 1]:
        if not pts or p[0] >= pts[-1][0]:
            pts.append(p)
    return pts


def memory_series(workdir):
    """Memory-vs-connections series sampled during the ramp-ups, at most ~200 points each."""
    series = {}
    for name in SERIES:
        path = os.path.join(workdir, "series-%s.dat" % name)
        if os.path.exists(path):
            raw_pts = [tuple(map(float, l.split())) for l in open(path) if len(l.split()) == 2]
            pts = ramp_up(raw_pts)
            step = max(1, len(pts) // 200)
            series[name] = pts[::step]
    return series

# ---- headline figures ------------------------------------------------------------------


def ratio(a, b):
    return a / b if a is not None and b else None


def median_getter(scenarios):
    """m(scenario, metric) -> the median, None when not measured."""
    def m(scen, key):
        st = scenarios.get(scen, {}).get("metrics", {}).get(key)
        return st["median"] if st else None
    return m


def throughput_medians(m):
    return {
        "sealpost_aof": m("sealpost_aof_100", "throughput_eps"),
        "sealpost": m("sealpost_noaof_100", "throughput_eps"),
        "sealpost_aof_1000": m("sealpost_aof_1000", "throughput_eps"),
        "sealpost_1000": m("sealpost_noaof_1000", "throughput_eps"),
        "mosquitto": m("mosquitto", "throughput_eps"),
        "mosquitto_nodelay_false": m("mosquitto_nodelay_false", "throughput_eps"),
        "jetstream": m("jetstream_workqueue", "throughput_eps"),
        "jetstream_limits": m("jetstream_limits", "throughput_eps"),
        "redis_floor": m("floor_aof_100", "throughput_eps"),
        "redis_floor_noaof": m("floor_noaof_100", "throughput_eps"),
        "redis_floor_1000": m("floor_aof_1000", "throughput_eps"),
        "redis_floor_noaof_1000": m("floor_noaof_1000", "throughput_eps"),
    }


def latency_medians(m):
    return {
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
        "rates": rate_latencies(m),
    }


def rate_latencies(m):
    """sealpost and Mosquitto at each of LATENCY_RATES (and 1k with /dev/cpu_dma_latency held)."""
    out = {}
    for tag in LATENCY_RATES + ["1k_held"]:
        for who, prefix in (("sealpost", "latency_"), ("mosquitto", "mosquitto_latency_")):
            scen = prefix + tag
            out.setdefault(tag, {})[who] = {
                k: m(scen, "latency_us." + k) for k in ("p50", "p99", "p999")}
            out[tag][who]["achieved_eps"] = m(scen, "achieved_eps")
            out[tag][who]["send_lateness_p50"] = m(scen, "send_lateness_us.p50")
        out[tag]["rate"] = m("latency_" + tag, "rate") or m("mosquitto_latency_" + tag, "rate")
    return out


def wakeup_medians(m):
    """The loopback ping-pong's round trips (p50, us), without and with idle states held off."""
    out = {}
    for scen in ("wakeup", "wakeup_held"):
        out[scen] = {k: m(scen, k) for k in WAKEUP}
    return out


def mosquitto_best(tp):
    """Mosquitto QoS 1's higher throughput median of its two set_tcp_nodelay settings, and which."""
    options = [(v, k) for k, v in (("false", tp.get("mosquitto_nodelay_false")),
                                   ("true", tp.get("mosquitto"))) if v]
    if not options:
        return None, None
    return max(options)


def x25519_medians(m):
    return {"dh_per_s": m("x25519", "dh_per_s"), "keygen_per_s": m("x25519", "keygen_per_s"),
            "responder_ceiling_hs_per_s": m("x25519", "responder_ceiling_hs_per_s"),
            "noise_responder_hs_per_s": m("x25519", "noise_responder_hs_per_s")}


def peer_memory(m):
    return {
        "mosquitto_bytes_per_connection": m("mosquitto_idle", "bytes_per_connection"),
        "mosquitto_tls_bytes_per_connection": m("mosquitto_tls_idle", "bytes_per_connection"),
        "nats_bytes_per_connection": m("nats_idle", "bytes_per_connection"),
    }


def ratios(m, tp, lat):
    hs_cpu = m("idle_19k", "handshakes_per_server_cpu_s")
    ceiling = m("x25519", "responder_ceiling_hs_per_s")
    memory = m("idle_19k", "bytes_per_connection")
    best, best_nodelay = mosquitto_best(tp)
    return {
        "sealpost_aof_vs_mosquitto": ratio(tp["sealpost_aof"], tp["mosquitto"]),
        "sealpost_aof_vs_mosquitto_nodelay_false": ratio(tp["sealpost_aof"],
                                                         tp.get("mosquitto_nodelay_false")),
        "sealpost_aof_vs_mosquitto_best": ratio(tp["sealpost_aof"], best),
        "mosquitto_best_tcp_nodelay": best_nodelay,
        "sealpost_aof_vs_jetstream": ratio(tp["sealpost_aof"], tp["jetstream"]),
        "sealpost_aof_vs_jetstream_limits": ratio(tp["sealpost_aof"], tp["jetstream_limits"]),
        "sealpost_aof_vs_redis_floor": ratio(tp["sealpost_aof"], tp["redis_floor"]),
        "sealpost_vs_redis_floor_noaof": ratio(tp["sealpost"], tp["redis_floor_noaof"]),
        "sealpost_aof_1000_vs_redis_floor_1000": ratio(tp["sealpost_aof_1000"],
                                                       tp["redis_floor_1000"]),
        "handshakes_per_cpu_s_vs_x25519_ceiling": ratio(hs_cpu, ceiling),
        "handshakes_wall_vs_x25519_ceiling": ratio(m("idle_19k", "handshakes_per_s"), ceiling),
        "p99_vs_mosquitto_p99": ratio(lat["p99"], lat["mosquitto_p99"]),
        "memory_vs_mosquitto": ratio(memory, m("mosquitto_idle", "bytes_per_connection")),
        "memory_vs_mosquitto_tls": ratio(memory, m("mosquitto_tls_idle", "bytes_per_connection")),
        "memory_vs_nats": ratio(memory, m("nats_idle", "bytes_per_connection")),
    }


def client_medians(m):
    """Per client library: received events/s and handshakes/s, and their ratio to C++."""
    out = {}
    for lang in CLIENT_LANGS:
        eps = m("clients_recv_" + lang, "events_per_s")
        hs = m("clients_handshakes_" + lang, "handshakes_per_s")
        out[lang] = {
            "events_per_s": eps, "handshakes_per_s": hs,
            "events_per_s_vs_cpp": ratio(eps, m("clients_recv_cpp", "events_per_s")),
            "handshakes_per_s_vs_cpp": ratio(hs, m("clients_handshakes_cpp", "handshakes_per_s")),
            "cpu_us_per_event": m("clients_recv_" + lang, "cpu_us_per_event"),
            "cpu_us_per_event_vs_cpp": ratio(m("clients_recv_" + lang, "cpu_us_per_event"),
                                             m("clients_recv_cpp", "cpu_us_per_event")),
            "cpu_us_per_handshake": m("clients_handshakes_" + lang, "cpu_us_per_handshake"),
            "cpu_us_per_handshake_vs_cpp": ratio(m("clients_handshakes_" + lang, "cpu_us_per_handshake"),
                                                 m("clients_handshakes_cpp", "cpu_us_per_handshake")),
        }
    return out


def scaleout(m):
    """The cluster scenario's comparisons (ratios of medians); {} when it did not run."""
    if not any(m("scale_%s_%d" % (st, n), "throughput_eps") for st in SCALE_SETUPS
               for n in SCALE_NODES):
        return {}
    tp = {"%s_%d" % (st, n): m("scale_%s_%d" % (st, n), "throughput_eps")
          for st in SCALE_SETUPS for n in SCALE_NODES}
    redis_us = {"%s_%d" % (st, n): m("scale_%s_%d" % (st, n), "redis_cpu_us_per_event")
                for st in SCALE_SETUPS for n in SCALE_NODES}
    out = {"throughput_eps": tp, "redis_cpu_us_per_event": redis_us,
           "cluster_3_vs_single_1": ratio(tp["cluster_3"], tp["single_1"]),
           "cluster_3_vs_cluster_1": ratio(tp["cluster_3"], tp["cluster_1"]),
           "single_3_vs_single_1": ratio(tp["single_3"], tp["single_1"]),
           "redis_us_cluster_3_vs_single_1": ratio(redis_us["cluster_3"], redis_us["single_1"])}
    for n in SCALE_NODES:
        out["cluster_vs_single_%d" % n] = ratio(tp["cluster_%d" % n], tp["single_%d" % n])
        out["redis_us_cluster_vs_single_%d" % n] = ratio(redis_us["cluster_%d" % n],
                                                         redis_us["single_%d" % n])
    return out


def lost_in_storm(recs):
    storm_lost = values(recs, "storm", "lost")
    return sum(abs(x) for x in storm_lost) if storm_lost else None


def lost_in_sealpost_runs(recs):
    return sum(abs(get(r, "lost") or 0) for r in recs
               if r["scenario"].startswith(("sealpost_", "latency_", "storm", "scale_")))


def headline(recs, meta, scenarios, series):
    m = median_getter(scenarios)
    tp = throughput_medians(m)
    lat = latency_medians(m)
    return {
        "meta": meta,
        "bytes_per_connection": m("idle_19k", "bytes_per_connection"),
        "bytes_per_connection_100k": m("idle_100k", "bytes_per_connection"),
        "connections_100k": m("idle_100k", "live"),
        "handshakes_per_s": m("idle_19k", "handshakes_per_s"),
        "handshakes_per_server_cpu_s": m("idle_19k", "handshakes_per_server_cpu_s"),
        "idle_cpu_percent": m("idle_19k", "idle_cpu_percent"),
        "x25519": x25519_medians(m),
        "throughput_eps": tp,
        "latency_us": lat,
        "max_rate_p99_10ms": m("maxrate", "max_rate"),
        "wakeup": wakeup_medians(m),
        "storm_seconds": m("storm", "storm_seconds"),
        "storm_acked_seconds": m("storm", "acked_seconds"),
        "lost": lost_in_storm(recs),
        "lost_all_sealpost_runs": lost_in_sealpost_runs(recs),
        "peer_memory": peer_memory(m),
        "ratios": ratios(m, tp, lat),
        "clients": client_medians(m),
        "scaleout": scaleout(m),
        "messaging": {"ratios": messaging.ratios(recs, scenarios),
                      "calls_per_delivery": {k: messaging.calls_per_delivery(recs, k)
                                             for k in messaging.METRICS}},
        "series_memory": series,
        "scenarios": scenarios,
    }

# ---- targets ---------------------------------------------------------------------------


def target(name, measured, goal, ok, note="", previous=None, text=None, group="earlier"):
    """One row of the targets table: measured is the number ok() judges; text, when given,
    is how the measured value is written (several figures, a unit)."""
    return {"target": name, "goal": goal, "measured": measured, "note": note,
            "met": None if measured is None else bool(ok(measured)), "previous": previous,
            "text": text, "group": group}


def ms_text(*vals):
    """Latencies in us -> "0.84 / 4.12 ms"; None when any is missing."""
    if any(v is None for v in vals):
        return None
    return " / ".join("{:,.2f}".format(v / 1000.0) for v in vals) + " ms"


def lat_note(row, keys, label="Mosquitto QoS 1 (set_tcp_nodelay true), same run"):
    mq = row["mosquitto"]
    text = ms_text(*(mq[k] for k in keys))
    return "%s: %s" % (label, text) if text else ""


def below(a, b):
    return a is not None and b is not None and a < b


def wakeup_note(summary):
    """The 1,000/s question: the machine's own loopback round trip, sparse vs back to
    back, with and without CPU idle states held off; sealpost and Mosquitto at 1,000/s
    with them held off."""
    w = summary.get("wakeup", {})
    free, held = w.get("wakeup", {}), w.get("wakeup_held", {})
    rates = summary["latency_us"].get("rates", {})
    parts = []
    if free.get("sparse.rtt_us.p50") is not None:
        parts.append("machine, loopback ping-pong between two processes, p50: %s us back to back, "
                     "%s us at 1,000/s (sleeping between), %s us at 1,000/s spinning instead of "
                     "sleeping" % (fmt(free.get("backtoback.rtt_us.p50")),
                                   fmt(free.get("sparse.rtt_us.p50")),
                                   fmt(free.get("sparse_spin.rtt_us.p50"))))
    if held.get("sparse.rtt_us.p50") is not None:
        parts.append("with /dev/cpu_dma_latency held at 0: %s us back to back, %s us at 1,000/s"
                     % (fmt(held.get("backtoback.rtt_us.p50")), fmt(held.get("sparse.rtt_us.p50"))))
    h = rates.get("1k_held", {})
    if h.get("sealpost", {}).get("p50") is not None:
        parts.append("at 1,000 ev/s with it held: sealpost p50 %s, Mosquitto %s"
                     % (ms_text(h["sealpost"]["p50"]), ms_text(h["mosquitto"]["p50"])))
    late = rates.get("1k", {})
    if late.get("sealpost", {}).get("send_lateness_p50") is not None:
        parts.append("the generators' own send lateness at 1,000/s (p50, part of the latency): "
                     "sealpost-bench %s us, sealpost-bench-mqtt %s us"
                     % (fmt(late["sealpost"]["send_lateness_p50"]),
                        fmt(late["mosquitto"]["send_lateness_p50"])))
    return "; ".join(parts)


def round2_targets(summary):
    """The targets of "Performance round 2", in the order of its table."""
    r = summary["ratios"]
    rates = summary["latency_us"].get("rates", {})
    empty = {"sealpost": {}, "mosquitto": {}}
    r35, r10, r1 = (rates.get(k, empty) for k in ("35k", "10k", "1k"))
    s35, s10, s1 = r35["sealpost"], r10["sealpost"], r1["sealpost"]
    m10 = r10["mosquitto"]
    held1 = rates.get("1k_held", empty)["sealpost"]
    tp = summary["throughput_eps"]
    nodelay = r.get("mosquitto_best_tcp_nodelay")

    def both(a, b):
        return None if a is None or b is None else (a, b)

    p10 = both(s10.get("p99"), s10.get("p999"))
    rows = [
        target("p50 / p99 at 35,000 ev/s, 100 clients, AOF everysec",
               both(s35.get("p50"), s35.get("p99")), "<= 1 / <= 5 ms",
               lambda v: v[0] <= 1000 and v[1] <= 5000,
               lat_note(r35, ("p50", "p99")), "9.5 / 45 ms", ms_text(s35.get("p50"), s35.get("p99"))),
        target("p99 / p99.9 at 10,000 ev/s", p10, "<= 1 / <= 5 ms, and below Mosquitto's in the same run",
               lambda v: v[0] <= 1000 and v[1] <= 5000 and below(v[0], m10.get("p99"))
               and below(v[1], m10.get("p999")),
               lat_note(r10, ("p99", "p999")), "3.1 / 20.9 ms", ms_text(*(p10 or (None,)))),
        target("p50 at 1,000 ev/s", s1.get("p50"), "<= 0.5 ms, or the cause shown to be outside the process",
               lambda v: v <= 500 or (held1.get("p50") is not None and held1["p50"] <= 500),
               "; ".join(x for x in (lat_note(r1, ("p50",)), wakeup_note(summary)) if x),
               "1.56 ms (Mosquitto 1.62)", ms_text(s1.get("p50"))),
        target("highest fixed rate with p99 <= 10 ms", summary.get("max_rate_p99_10ms"), ">= 50,000 ev/s",
               lambda v: v >= 50000,
               "bisected between 10,000 and 80,000 ev/s, at most 6 short runs; a rate counts when "
               "p99 <= 10 ms and >= 97% of it was achieved (0: none did)", "~28k/s (estimate)",
               None if summary.get("max_rate_p99_10ms") is None
               else "%s ev/s" % fmt(summary["max_rate_p99_10ms"])),
        target("durable throughput / Redis floor (AOF)", r.get("sealpost_aof_vs_redis_floor"), ">= 0.75x",
               lambda v: v >= 0.75, "100 clients; %s / %s ev/s" % (fmt(tp.get("sealpost_aof")),
                                                                  fmt(tp.get("redis_floor"))),
               "0.64x"),
        target("durable throughput / Mosquitto QoS 1 at its best", r.get("sealpost_aof_vs_mosquitto_best"),
               ">= 2.5x", lambda v: v >= 2.5,
               "Mosquitto with set_tcp_nodelay %s (its faster setting in this run): %s ev/s; "
               "set_tcp_nodelay true: %s ev/s, false: %s ev/s"
               % (nodelay or "n/a", fmt(mosquitto_best(tp)[0]), fmt(tp.get("mosquitto")),
                  fmt(tp.get("mosquitto_nodelay_false"))), "~3x"),
        target("handshakes per server CPU-second / X25519 ceiling",
               r.get("handshakes_per_cpu_s_vs_x25519_ceiling"), ">= 0.75x", lambda v: v >= 0.75,
               "%s handshakes per server CPU-second; ceiling 1 / (3 DH + 1 keygen) = %s/s"
               % (fmt(summary.get("handshakes_per_server_cpu_s")),
                  fmt(summary["x25519"].get("responder_ceiling_hs_per_s"))), "0.55x"),
        target("bytes per idle connection", both(summary.get("bytes_per_connection"),
                                                 summary.get("bytes_per_connection_100k")),
               "<= 1 KiB, at 100k too", lambda v: v[0] <= 1024 and v[1] <= 1024,
               "19,000 on one process; 100,000 over 6 processes", "923 B (1,048 B at 100k)",
               None if summary.get("bytes_per_connection") is None
               else "%s B (%s B at 100k)" % (fmt(summary.get("bytes_per_connection")),
                                             fmt(summary.get("bytes_per_connection_100k")))),
    ]
    for t in rows:
        t["group"] = "round2"
    return rows


def storm_note(storm_runs, storm_done):
    if not storm_runs or storm_done >= len(storm_runs):
        return ""
    return "%d of %d runs completed; at the time limit %s of 19,000 clients " \
           "were authenticated (per run)" % (storm_done, len(storm_runs), "/".join(
               str(r["result"].get("reconnect", {}).get("connected", "?")) for r in storm_runs))


def undelivered_note(recs):
    undelivered = values(recs, "storm", "undelivered")
    if not undelivered or max(undelivered) <= 0:
        return ""
    return "nothing lost, but up to %s events were still undelivered (kept in Redis) " \
           "when the runs ended" % fmt(max(undelivered))


def targets(summary, recs, storm_runs, storm_done):
    """Performance round 2's targets, then the earlier ones it does not replace."""
    r = summary["ratios"]
    return round2_targets(summary) + [
        target("concurrent authenticated connections on the box", summary["connections_100k"],
               ">= 100,000", lambda v: v >= 100000,
               "6 server processes on one port; %s B per connection there"
               % fmt(summary["bytes_per_connection_100k"])),
        target("durable throughput vs JetStream", r["sealpost_aof_vs_jetstream"], ">= 2.5x",
               lambda v: v >= 2.5),
        target("reconnect storm of 19,000 clients", summary["storm_seconds"], "<= 10 s",
               lambda v: v <= 10 and storm_done == len(storm_runs),
               storm_note(storm_runs, storm_done)),
        target("events lost in the storm", summary["lost"], "0", lambda v: v == 0,
               undelivered_note(recs)),
    ]


def write_json(summary, paths):
    for path in paths:
        with open(path, "w") as f:
            json.dump(summary, f, indent=1, sort_keys=False)
            f.write("\n")


def cmd_summarize(raw, workdir, meta_path, out_dated, out_latest):
    recs = load_raw(raw)
    meta = json.load(open(meta_path))
    summary = headline(recs, meta, summarize_scenarios(recs), memory_series(workdir))
    storm_runs = runs_of(recs, "storm")
    storm_done = sum(1 for r in storm_runs if r["result"].get("phase") == "done")
    summary["storm_completed_runs"] = storm_done
    summary["storm_runs"] = len(storm_runs)
    summary["targets"] = targets(summary, recs, storm_runs, storm_done)
    write_json(summary, (out_dated, out_latest))
