#!/usr/bin/env python3
"""Proves with real Flink that options in `flinkConfigFromSecrets` reach the processes.

Renders a small project whose standalone session cluster takes two options from Secrets:
`s3.secret-key` (a value Flink treats as sensitive) and `taskmanager.resource-id` (whose effect
is visible: the TaskManager registers under it). Then it starts the JobManager and TaskManager
as the generated Deployments do: the container args after `jobmanager` / `taskmanager` go to
Flink's own `bin/jobmanager.sh start-foreground` / `bin/taskmanager.sh start-foreground` (what
the image's entrypoint runs), after the kubelet's `$(VAR)` expansion with each `secretKeyRef`
variable set from a stand-in Secret. It passes when:

  - the rendered files contain neither secret value (out/ holds references only);
  - the TaskManager registered with the resource id from its Secret;
  - the JobManager's configuration has `s3.secret-key`, shown masked by Flink.

Usage: scripts/verify-secrets.py [VERSION]   (default 2.2.1; needs Java 17, PyYAML, port 8081)
"""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def load(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vwf = load("verify-with-flink")
vss = load("verify-session-submit")

SECRETS = {("s3-creds", "secret-key"): "s3-secret-value-7f3a", ("tm-identity", "id"): "tm-from-secret"}


def container(path):
    import yaml
    doc = yaml.safe_load(open(path))
    return doc["spec"]["template"]["spec"]["containers"][0]


def expanded_args(c):
    """The container's args as the process gets them: Secret references resolved."""
    env = {}
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            env[e["name"]] = SECRETS[(ref["name"], ref["key"])]
        elif "value" in e:
            env[e["name"]] = e["value"]
    return [vss.k8s_expand(a, env) for a in c["args"]], env


def get(path):
    with urllib.request.urlopen(f"http://localhost:8081{path}", timeout=5) as r:
        return json.load(r)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else "2.2.1"
    base = tempfile.mkdtemp(prefix="flinkgen-secrets-")
    root = os.path.join(base, "project")
    for d in ["clusters", "profiles"]:
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "flinkgen.yaml"), "w").write(
        f'flinkVersion: "{version}"\nimage:\n  registry: registry.example.com/verify\n'
        "profiles:\n  jobManager: small\n  taskManager: small\n")
    open(os.path.join(root, "profiles", "small.yaml"), "w").write("cpu: 1\nmemory:\n  process: 1g\n")
    open(os.path.join(root, "clusters", "shared.yaml"), "w").write(
        'image:\n  tag: "1"\nflinkConfigFromSecrets:\n'
        "  s3.secret-key: { secret: s3-creds, key: secret-key }\n"
        "  taskmanager.resource-id: { secret: tm-identity, key: id }\n")
    subprocess.run(["cargo", "run", "-q", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml"),
                    "--", "render", "--root", root], check=True)
    out = os.path.join(root, "out", "shared")
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        if not ok:
            failures.append(name)

    rendered = "".join(open(os.path.join(out, f)).read() for f in os.listdir(out))
    check("out/ holds no secret value", not any(v in rendered for v in SECRETS.values()))

    jm_args, _ = expanded_args(container(os.path.join(out, "jobmanager-deployment.yaml")))
    tm_args, _ = expanded_args(container(os.path.join(out, "taskmanager-deployment.yaml")))
    assert jm_args[0] == "jobmanager" and tm_args[0] == "taskmanager", (jm_args, tm_args)

    home = os.path.join(base, "flink")
    shutil.copytree(vss.flink_home(version), home, symlinks=True)
    text = open(os.path.join(out, "configmap.yaml")).read()
    name = "config.yaml" if "  config.yaml: |" in text else "flink-conf.yaml"
    for f in ["config.yaml", "flink-conf.yaml"]:
        if os.path.exists(os.path.join(home, "conf", f)):
            os.remove(os.path.join(home, "conf", f))
    conf = "\n".join("jobmanager.rpc.address: localhost" if l.startswith("jobmanager.rpc.address:") else l
                     for l in vwf.block(text, name).splitlines()) + "\n"
    open(os.path.join(home, "conf", name), "w").write(conf)
    open(os.path.join(home, "conf", "log4j-console.properties"), "w").write(vwf.block(text, "log4j-console.properties"))
    logs = os.path.join(base, "log")
    env = dict(os.environ, FLINK_HOME=home, FLINK_LOG_DIR=logs)
    procs = [subprocess.Popen(["bash", os.path.join(home, "bin", script), "start-foreground", *args[1:]], env=env,
                              stdout=open(os.path.join(base, f"{script}.out"), "w"), stderr=subprocess.STDOUT)
             for script, args in [("jobmanager.sh", jm_args), ("taskmanager.sh", tm_args)]]
    try:
        ids, config = [], {}
        for _ in range(60):
            time.sleep(2)
            try:
                ids = [t["id"] for t in get("/taskmanagers")["taskmanagers"]]
                config = {e["key"]: e["value"] for e in get("/jobmanager/config")}
            except OSError:
                continue
            if ids:
                break
        check("the TaskManager runs under the resource id from its Secret", ids == ["tm-from-secret"], str(ids))
        check("the JobManager has s3.secret-key, masked by Flink",
              config.get("s3.secret-key") == "******", str(config.get("s3.secret-key")))
        def shown(args):
            masked = []
            for a in args:
                for v in SECRETS.values():
                    a = a.replace(v, "<from Secret>")
                masked.append(a)
            return " ".join(masked)

        print(f"     JobManager args: {shown(jm_args)}")
        print(f"     TaskManager args: {shown(tm_args)}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["pkill", "-f", "--", f"-Dlog.file={logs}"], check=False)
    if not failures:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"logs in {base}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
