#!/usr/bin/env python3
"""Proves with real Flink that `metrics.prometheus` makes the processes serve Prometheus metrics.

Renders a small project whose standalone session cluster has `metrics.prometheus` on, then
starts its JobManager and TaskManager on 127.0.0.1 with Flink's own start scripts, the
generated configuration and the generated container arguments, in a Flink home that has the
release's `plugins/metrics-prometheus` (as the official image does; taken from the release's
source distribution on PyPI, cached in ~/.cache/flinkgen). The TaskManager's reporter port is
moved by one (both processes share this host; in Kubernetes each pod has its own). It passes
when http://127.0.0.1:<port>/metrics of the JobManager serves
`flink_jobmanager_numRegisteredTaskManagers 1` and the TaskManager's serves
`flink_taskmanager_` metrics. From 2.1 (whose lib/ ships log4j's JSON template layout) the
cluster also has `logging.format: json`, and from its first record on every line of the
JobManager's console must be a JSON object with `message` and `log.level`.

Usage: scripts/verify-metrics.py [VERSION ...]   (default 1.20.4 2.3.0; needs Java 17, PyYAML)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_cluster  # noqa: E402

CACHE = os.path.expanduser("~/.cache/flinkgen")


def prometheus_plugin(version):
    """The release's plugins/metrics-prometheus folder (from its PyPI source distribution)."""
    dest = os.path.join(CACHE, f"plugins-{version}", "metrics-prometheus")
    if glob.glob(os.path.join(dest, "*.jar")):
        return dest
    tmp = tempfile.mkdtemp()
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                    f"apache-flink-libraries=={version}", "-d", tmp], check=True)
    sdist = glob.glob(os.path.join(tmp, "apache*flink*libraries*.tar.gz"))[0]
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(sdist) as t:
        for m in t.getmembers():
            if "/deps/plugins/metrics-prometheus/" in m.name and m.name.endswith(".jar"):
                with open(os.path.join(dest, os.path.basename(m.name)), "wb") as f:
                    f.write(t.extractfile(m).read())
    shutil.rmtree(tmp)
    return dest


def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return ""


def json_lines(path):
    """The console log's records and the first line that is not one. The start script may print
    before the JVM does; from the first record on, every line must be a JSON record with
    `message` and `log.level` (one plain line would mean an appender still writes text)."""
    lines = [l for l in open(path).read().splitlines() if l.strip()]
    parsed, bad = [], None
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and "message" in record and "log.level" in record:
            parsed.append(record)
        elif parsed and bad is None:
            bad = line
    return parsed, bad


def run(version):
    json_logs = tuple(map(int, version.split(".")[:2])) >= (2, 1)
    base, out = local_cluster.render(
        version,
        'image:\n  tag: "1"\nmetrics:\n  prometheus: { podMonitor: true }\n'
        + ("logging: { format: json }\n" if json_logs else ""),
        "flinkgen-metrics-")
    conf = open(os.path.join(out, "configmap.yaml")).read()
    port = int(next(l.split(":", 1)[1].strip().strip('"') for l in conf.splitlines()
                    if l.strip().startswith("metrics.reporter.prom.port:")))
    cluster = local_cluster.Cluster(version, base, out, plugins={"metrics-prometheus": prometheus_plugin(version)},
                                    tm_extra=[f"-Dmetrics.reporter.prom.port={port + 1}"])
    failures = []

    def check(name, ok, detail):
        print(("ok   " if ok else "FAIL ") + f"Flink {version} {name}: {detail}")
        if not ok:
            failures.append(name)

    try:
        jm, tm = "", ""
        for _ in range(60):
            time.sleep(2)
            jm, tm = scrape(port), scrape(port + 1)
            registered = any(l.startswith("flink_jobmanager_numRegisteredTaskManagers") and l.endswith(" 1.0")
                             for l in jm.splitlines())
            if registered and "flink_taskmanager_" in tm:
                break
        line = next((l for l in jm.splitlines() if l.startswith("flink_jobmanager_numRegisteredTaskManagers")), None)
        check(f"JobManager :{port}/metrics", line is not None and line.endswith(" 1.0"), line)
        count = sum(1 for l in tm.splitlines() if l.startswith("flink_taskmanager_"))
        check(f"TaskManager :{port + 1}/metrics", count > 0, f"{count} flink_taskmanager_ samples")
        if json_logs:
            parsed, bad = json_lines(cluster.output("jobmanager.sh"))
            ok = len(parsed) > 10 and bad is None
            example = json.dumps(parsed[0])[:120] if parsed else None
            check("console logs as JSON", ok,
                  f"{len(parsed)} records, e.g. {example}" if ok else f"{len(parsed)} records; not one: {bad!r:.160}")
    finally:
        cluster.stop()
    if failures:
        print(f"     logs in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return failures


def main():
    failures = []
    for version in sys.argv[1:] or ["1.20.4", "2.3.0"]:
        failures += run(version)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
