"""How numbers and commands are written in the results and docs."""
import re


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, float) and digits:
        return "{:,.{}f}".format(v, digits)
    return "{:,.0f}".format(v)


def cell(st, digits=0, scale=1.0):
    """(median, "min – max", runs) of a statistic, as table cells."""
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
