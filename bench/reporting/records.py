"""Raw records: one JSON line per scenario run, and the statistics over them."""
import json
import statistics


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


def cmd_cmdstats(path, ticks, clk):
    """Redis `INFO commandstats` -> calls and usec per command, plus server CPU seconds."""
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
