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
cluster also has `logging.format: json`, and the JobManager's console lines must parse as JSON
objects with `message` and `log.level`.

Usage: scripts/verify-metrics.py [VERSION ...]   (default 1.20.4 2.3.0; needs Java 17, PyYAML)
"""
import glob
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CACHE = os.path.expanduser("~/.cache/flinkgen")


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vwf = load("verify-with-flink")
vss = load("verify-session-submit")
vsec = load("verify-secrets")


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


def run(version):
    base = tempfile.mkdtemp(prefix="flinkgen-metrics-")
    root = os.path.join(base, "project")
    for d in ["clusters", "profiles"]:
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "flinkgen.yaml"), "w").write(
        f'flinkVersion: "{version}"\nimage:\n  registry: registry.example.com/verify\n'
        "profiles:\n  jobManager: small\n  taskManager: small\n")
    open(os.path.join(root, "profiles", "small.yaml"), "w").write("cpu: 1\nmemory:\n  process: 1g\n")
    json_logs = tuple(map(int, version.split(".")[:2])) >= (2, 1)
    open(os.path.join(root, "clusters", "shared.yaml"), "w").write(
        'image:\n  tag: "1"\nmetrics:\n  prometheus: { podMonitor: true }\n'
        + ("logging: { format: json }\n" if json_logs else ""))
    subprocess.run([os.path.join(REPO, "target", "release", "flinkgen"), "render", "--root", root],
                   check=True, capture_output=True)
    out = os.path.join(root, "out", "shared")
    jm_args, _ = vsec.expanded_args(vsec.container(os.path.join(out, "jobmanager-deployment.yaml")))
    tm_args, _ = vsec.expanded_args(vsec.container(os.path.join(out, "taskmanager-deployment.yaml")))
    home = os.path.join(base, "flink")
    shutil.copytree(vss.flink_home(version), home, symlinks=True)
    shutil.copytree(prometheus_plugin(version), os.path.join(home, "plugins", "metrics-prometheus"))
    text = open(os.path.join(out, "configmap.yaml")).read()
    name = "config.yaml" if "  config.yaml: |" in text else "flink-conf.yaml"
    for f in ["config.yaml", "flink-conf.yaml"]:
        if os.path.exists(os.path.join(home, "conf", f)):
            os.remove(os.path.join(home, "conf", f))
    conf = vwf.block(text, name)
    port = int(next(l.split(":", 1)[1].strip().strip('"') for l in conf.splitlines()
                    if l.startswith("metrics.reporter.prom.port:")))
    conf = "\n".join("jobmanager.rpc.address: localhost" if l.startswith("jobmanager.rpc.address:") else l
                     for l in conf.splitlines()) + "\n"
    open(os.path.join(home, "conf", name), "w").write(conf)
    open(os.path.join(home, "conf", "log4j-console.properties"), "w").write(vwf.block(text, "log4j-console.properties"))
    logs = os.path.join(base, "log")
    env = dict(os.environ, FLINK_HOME=home, FLINK_LOG_DIR=logs)
    tm_args = tm_args + [f"-Dmetrics.reporter.prom.port={port + 1}"]
    procs = [subprocess.Popen(["bash", os.path.join(home, "bin", script), "start-foreground", *args[1:]], env=env,
                              stdout=open(os.path.join(base, f"{script}.out"), "w"), stderr=subprocess.STDOUT)
             for script, args in [("jobmanager.sh", jm_args), ("taskmanager.sh", tm_args)]]
    failures = []
    try:
        jm, tm = "", ""
        for _ in range(60):
            time.sleep(2)
            jm, tm = scrape(port), scrape(port + 1)
            if "flink_jobmanager_numRegisteredTaskManagers 1.0" in jm and "flink_taskmanager_" in tm:
                break
        line = next((l for l in jm.splitlines() if l.startswith("flink_jobmanager_numRegisteredTaskManagers")), None)
        ok = line is not None and line.endswith(" 1.0")
        print(("ok   " if ok else "FAIL ") + f"Flink {version} JobManager :{port}/metrics: {line}")
        if not ok:
            failures.append("jobmanager")
        count = sum(1 for l in tm.splitlines() if l.startswith("flink_taskmanager_"))
        print(("ok   " if count else "FAIL ") + f"Flink {version} TaskManager :{port + 1}/metrics: {count} flink_taskmanager_ samples")
        if not count:
            failures.append("taskmanager")
        if json_logs:
            lines = open(os.path.join(base, "jobmanager.sh.out")).read().splitlines()
            parsed = []
            for l in lines:
                try:
                    parsed.append(json.loads(l))
                except ValueError:
                    pass
            ok = any(isinstance(p, dict) and "message" in p and "log.level" in p for p in parsed)
            print(("ok   " if ok else "FAIL ") + f"Flink {version} console logs as JSON: {len(parsed)} of {len(lines)} lines parse, "
                  f"e.g. {json.dumps(parsed[0])[:120] if parsed else None}")
            if not ok:
                failures.append("json logs")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["pkill", "-f", "--", f"-Dlog.file={logs}"], check=False)
    if failures:
        print(f"     logs in {base}")
    else:
        shutil.rmtree(base, ignore_errors=True)
    return failures


def main():
    subprocess.run(["cargo", "build", "-q", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
    failures = []
    for version in sys.argv[1:] or ["1.20.4", "2.3.0"]:
        failures += run(version)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
