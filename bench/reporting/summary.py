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
FLOW = ["throughput_eps", "delivered_eps", "sent", "delivered", "lost", "duplicates", "mean_batch",
        "server_cpu_s"]
LAT = ["latency_us.p50", "latency_us.p90", "latency_us.p99", "latency_us.p999", "latency_us.max",
       "achieved_eps", "lost", "rate"]
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
    if name.startswith("sealpost_"):
        s["per_event"] = redis_per_event(runs)
    if "latency" in name:
        s["cdf"] = pick_cdf(recs, name)
    return s


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
    }


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
    return {
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


def lost_in_storm(recs):
    storm_lost = values(recs, "storm", "lost")
    return sum(abs(x) for x in storm_lost) if storm_lost else None


def lost_in_sealpost_runs(recs):
    return sum(abs(get(r, "lost") or 0) for r in recs
               if r["scenario"].startswith(("sealpost_", "latency_", "storm")))


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
        "storm_seconds": m("storm", "storm_seconds"),
        "storm_acked_seconds": m("storm", "acked_seconds"),
        "lost": lost_in_storm(recs),
        "lost_all_sealpost_runs": lost_in_sealpost_runs(recs),
        "peer_memory": peer_memory(m),
        "ratios": ratios(m, tp, lat),
        "clients": client_medians(m),
        "messaging": {"ratios": messaging.ratios(recs, scenarios),
                      "calls_per_delivery": {k: messaging.calls_per_delivery(recs, k)
                                             for k in messaging.METRICS}},
        "series_memory": series,
        "scenarios": scenarios,
    }

# ---- targets ---------------------------------------------------------------------------


def target(name, measured, goal, ok, note=""):
    return {"target": name, "goal": goal, "measured": measured, "note": note,
            "met": None if measured is None else bool(ok(measured))}


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
    r = summary["ratios"]
    lat = summary["latency_us"]
    return [
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
