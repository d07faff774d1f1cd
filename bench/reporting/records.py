"""Raw records: one JSON line per scenario run, and the statistics over them."""
import json
import statistics
import sys


def parse_json(text):
    """The last line of text that parses as a JSON object; {} when none does."""
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


def delivered_events(r):
    """Events a throughput run delivered (sealpost: delivered, the floor: events acked)."""
    return r.get("delivered") or r.get("events")


def cpu_per_event(d, who, ticks, clk, events):
    """d[who_cpu_s] and d[who_cpu_us_per_event] from /proc clock ticks over a run."""
    secs = int(ticks) / float(clk)
    d[who + "_cpu_s"] = secs
    if events:
        d[who + "_cpu_us_per_event"] = secs * 1e6 / events
    return d


def cmd_redis_cpu(result, redis_ticks, clk):
    """redis-server's CPU over a run (clock ticks from /proc) per event it delivered."""
    print(json.dumps(cpu_per_event({}, "redis", redis_ticks, clk, delivered_events(parse_json(result)))))


def read_cmdstats(path):
    """Redis `INFO commandstats` -> (calls, usec) per command; summed when the file holds
    the INFO of several redis-servers (the primaries of a cluster) one after another."""
    calls, usec, rejected = {}, {}, {}
    for line in open(path):
        line = line.strip()
        if not line.startswith("cmdstat_"):
            continue
        name, _, fields = line.partition(":")
        kv = dict(x.split("=", 1) for x in fields.split(","))
        calls[name[8:]] = calls.get(name[8:], 0) + int(kv.get("calls", 0))
        usec[name[8:]] = usec.get(name[8:], 0) + int(kv.get("usec", 0))
        rejected[name[8:]] = rejected.get(name[8:], 0) + int(kv.get("rejected_calls", 0))
    return calls, usec, rejected


def cmd_cmdstats(path, ticks, clk, redis_ticks=None, result=None):
    """Redis `INFO commandstats` -> calls and usec per command, plus server CPU seconds;
    with redis-server's CPU ticks and the run's result also the CPU per delivered
    event of both."""
    calls, usec, _ = read_cmdstats(path)
    d = {"redis_calls": calls, "redis_usec": usec, "server_cpu_s": int(ticks) / float(clk)}
    if redis_ticks is not None:
        events = delivered_events(parse_json(result))
        cpu_per_event(d, "server", ticks, clk, events)
        cpu_per_event(d, "redis", redis_ticks, clk, events)
    print(json.dumps(d))


def cmd_child_cpu(out_path, *argv):
    """Runs argv (stdout passed through) and writes its user + system CPU seconds (the
    child's rusage) to out_path; exits with its exit code."""
    import resource
    import subprocess
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    rc = subprocess.call(list(argv))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out_path, "w") as f:
        f.write("%.3f\n" % (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime))
    sys.exit(rc)


def cmd_nodecpu(path, server_ticks, redis_ticks, clk, result, nodes, redis_procs, window_ms,
                client_cpu_s=None):
    """A run of several sealpost nodes on one Redis or a cluster: the CPU ticks of all nodes
    and all redis-servers over the generator's run (from /proc), per delivered event and as
    cores used over that window; Redis' commandstats summed over its processes."""
    calls, usec, rejected = read_cmdstats(path)
    events = delivered_events(parse_json(result))
    d = {"nodes": int(nodes), "redis_processes": int(redis_procs), "redis_calls": calls,
         "redis_usec": usec, "redis_rejected_calls": sum(rejected.values()),
         "window_s": int(window_ms) / 1000.0}
    cpu_per_event(d, "server", server_ticks, clk, events)
    cpu_per_event(d, "redis", redis_ticks, clk, events)
    if client_cpu_s is not None and float(client_cpu_s) > 0:  # the generator
        d["client_cpu_s"] = float(client_cpu_s)
        if events:
            d["client_cpu_us_per_event"] = d["client_cpu_s"] * 1e6 / events
    if d["window_s"] > 0:
        for who in ("server", "redis", "client"):
            if who + "_cpu_s" in d:
                d[who + "_cores"] = d[who + "_cpu_s"] / d["window_s"]
    if events:
        d["server_cpu_us_per_event_per_node"] = d.get("server_cpu_us_per_event", 0) / int(nodes)
    print(json.dumps(d))


def cmd_rate_ok(result, rate, p99_us, min_achieved):
    """true when a fixed-rate run met p99 <= p99_us at >= min_achieved x the rate, lost
    nothing and drained; false otherwise (also when it printed no result)."""
    r = parse_json(result)
    p99 = (r.get("latency_us") or {}).get("p99")
    ok = (r.get("phase") == "done" and p99 is not None and p99 <= float(p99_us)
          and (r.get("achieved_eps") or 0) >= float(min_achieved) * float(rate)
          and not r.get("lost"))
    print("true" if ok else "false")


def cmd_maxrate_extra(probes, best, p99_us, min_achieved):
    """The extra of a maxrate record: "rate:true,rate:false," -> the probes in order
    and the highest passing rate (0: none)."""
    tried = [(int(p.split(":")[0]), p.split(":")[1] == "true") for p in probes.split(",") if p]
    print(json.dumps({"max_rate": int(best), "probes": [{"rate": r, "passed": ok} for r, ok in tried],
                      "p99_limit_us": float(p99_us), "min_achieved": float(min_achieved)}))


def cmd_msgcpu(result, server_ticks, redis_ticks, clk, info_path):
    """A messaging run's CPU split: sealpost-server, Redis (both from /proc) and the
    generator process (its own rusage), in seconds and us per delivered copy; and
    Redis' calls per delivered copy."""
    r = parse_json(result)
    clk = float(clk)
    d = {"server_cpu_s": int(server_ticks) / clk, "redis_cpu_s": int(redis_ticks) / clk,
         "client_cpu_s": r.get("process_cpu_s")}
    n = r.get("deliveries") or (r.get("copies_expected") if r.get("bench") == "fanout"
                                else r.get("delivered"))
    secs = r.get("seconds")
    for k in ("server", "redis", "client"):
        if secs and d[k + "_cpu_s"] is not None:
            d[k + "_cores"] = d[k + "_cpu_s"] / secs  # share of one core over the run
    if n:
        for k in ("server", "redis", "client"):
            if d[k + "_cpu_s"] is not None:
                d[k + "_cpu_us_per_delivery"] = d[k + "_cpu_s"] * 1e6 / n
        calls = {}
        for line in open(info_path):
            if line.startswith("cmdstat_"):
                name, _, fields = line.strip().partition(":")
                kv = dict(x.split("=", 1) for x in fields.split(","))
                calls[name[8:]] = round(int(kv.get("calls", 0)) / n, 3)
        d["redis_calls_per_delivery"] = calls
    print(json.dumps(d))


def load_raw(raw):
    recs = []
    with open(raw) as f:
        for line in f:
            if line.strip():
                recs.append(json.loads(line))
    return recs


def get(rec, path):
    """A number at a dotted path of a record's result and extra (extra wins); None otherwise."""
    merged = dict(rec.get("result", {}))
    merged.update(rec.get("extra", {}))
    cur = merged
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur if isinstance(cur, (int, float)) and not isinstance(cur, bool) else None


def runs_of(recs, scenario):
    return [r for r in recs if r["scenario"] == scenario]


def values(recs, scenario, path):
    return [v for v in (get(r, path) for r in runs_of(recs, scenario)) if v is not None]


def stat(vals):
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals),
            "values": vals}


def cmd_half_max(raw, scenario, default):
    """Half the median throughput of a scenario, rounded to thousands (at least 1,000)."""
    try:
        vals = values(load_raw(raw), scenario, "throughput_eps")
    except OSError:
        vals = []
    if not vals:
        print(int(default))
        return
    print(max(1000, int(round(statistics.median(vals) * 0.5 / 1000.0)) * 1000))
