"""latest.json -> the PNG plots of docs/BENCHMARKS.md (gnuplot)."""
import json
import os
import subprocess

LATENCY_CURVES = {"latency_fixed": "sealpost (AOF) at %s/s", "latency_half": "sealpost (AOF) at %s/s",
                  "mosquitto_latency_fixed": "Mosquitto QoS 1 at %s/s",
                  "mosquitto_latency_half": "Mosquitto QoS 1 at %s/s",
                  "jetstream_latency_fixed": "JetStream at %s/s"}
# label, scenario (with %d for the client count where it has several)
THROUGHPUT_CURVES = [
    ("sealpost (AOF everysec)", "sealpost_aof_%d"), ("sealpost (no AOF)", "sealpost_noaof_%d"),
    ("Redis floor (AOF everysec)", "floor_aof_%d"), ("Redis floor (no AOF)", "floor_noaof_%d"),
    ("Mosquitto QoS 1", "mosquitto"), ("JetStream WorkQueue", "jetstream_workqueue"),
    ("JetStream Limits", "jetstream_limits")]
MEMORY_CURVES = {"sealpost": "sealpost-server (Noise)", "mosquitto_idle": "Mosquitto (plain)",
                 "mosquitto_tls_idle": "Mosquitto (TLS 1.3)", "nats_idle": "nats-server"}


def gnuplot(script):
    subprocess.run(["gnuplot"], input=script.encode(), check=True)


def terminal():
    term = "set terminal pngcairo size 900,560 font 'DejaVu Sans,10'\n"
    if subprocess.run(["gnuplot", "-e", "set terminal pngcairo"], capture_output=True).returncode:
        term = "set terminal png size 900,560\n"
    return term


def curve(d, filename, rows, line_fmt, style, title):
    """Writes a curve's points to d/filename; its gnuplot plot clause."""
    path = os.path.join(d, filename)
    with open(path, "w") as f:
        for r in rows:
            f.write(line_fmt % r)
    return "'%s' using %s title '%s'" % (path, style, title)


def draw(term, outdir, png, settings, curves):
    """One PNG of the curves (none when there is no curve)."""
    if curves:
        gnuplot(term + "set output '%s/%s'\n" % (outdir, png) + settings
                + "plot %s\n" % ", ".join(curves))


def latency_cdf_curves(sc, d):
    curves = []
    for name, label in LATENCY_CURVES.items():
        cdf = sc.get(name, {}).get("cdf")
        if cdf:
            rate = sc[name]["metrics"].get("rate", {}).get("median", 0)
            curves.append(curve(d, name + ".dat", [(max(us, 1.0), q) for us, q in cdf], "%f %f\n",
                                "1:2 with linespoints", label % int(rate)))
    return curves


def throughput_points(sc, pat):
    """(clients, median, min, max) of a curve at 100 and 1,000 clients, where measured."""
    pts = []
    for n in (100, 1000):
        name = pat % n if "%d" in pat else (pat if n == 100 else None)
        st = sc.get(name, {}).get("metrics", {}).get("throughput_eps") if name else None
        if st:
            pts.append((n, st["median"], st["min"], st["max"]))
    return pts


def throughput_curves(sc, d):
    curves = []
    for i, (label, pat) in enumerate(THROUGHPUT_CURVES):
        pts = throughput_points(sc, pat)
        # the file is written even when empty
        clause = curve(d, "tp%d.dat" % i, pts, "%d %f %f %f\n", "1:2:3:4 with yerrorlines", label)
        if pts:
            curves.append(clause)
    return curves


def memory_curves(s, d):
    curves = []
    for name, label in MEMORY_CURVES.items():
        pts = s.get("series_memory", {}).get(name)
        if pts:
            curves.append(curve(d, "mem-%s.dat" % name, [(c, kb / 1024.0) for c, kb in pts],
                                "%f %f\n", "1:2 with lines lw 2", label))
    return curves


def cmd_plots(latest, workdir, outdir):
    s = json.load(open(latest))
    d = os.path.join(workdir, "plotdata")
    os.makedirs(d, exist_ok=True)
    term = terminal()
    draw(term, outdir, "latency_cdf.png",
         "set logscale x\nset grid\n"
         "set xlabel 'latency from XADD/PUBLISH to receipt (us, log)'\n"
         "set ylabel 'fraction of events'\nset key bottom right\nset yrange [0:1.01]\n"
         "set title 'Latency CDF (100 sealpost clients / 100 MQTT subscribers)'\n",
         latency_cdf_curves(s["scenarios"], d))
    draw(term, outdir, "throughput_clients.png",
         "set logscale x\nset grid\n"
         "set xrange [70:1400]\nset xtics (100, 1000)\nset yrange [0:*]\n"
         "set xlabel 'clients (subscribers)'\nset ylabel 'events/s (median, min-max bars)'\n"
         "set key outside right\nset title 'End-to-end throughput, 256-byte events'\n",
         throughput_curves(s["scenarios"], d))
    draw(term, outdir, "memory_connections.png",
         "set grid\n"
         "set xlabel 'open connections (one process)'\n"
         "set ylabel 'private memory of the process (MiB)'\nset key top left\n"
         "set title 'User-space memory against idle connections (kernel socket buffers not included)'\n",
         memory_curves(s, d))
