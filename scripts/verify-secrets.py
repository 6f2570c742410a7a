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
import json
import os
import shutil
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import local_cluster  # noqa: E402

SECRETS = {("s3-creds", "secret-key"): "s3-secret-value-7f3a", ("tm-identity", "id"): "tm-from-secret"}


def get(path):
    with urllib.request.urlopen(f"http://localhost:8081{path}", timeout=5) as r:
        return json.load(r)


def main():
    version = sys.argv[1] if len(sys.argv) > 1 else "2.2.1"
    base, out = local_cluster.render(
        version,
        'image:\n  tag: "1"\nflinkConfigFromSecrets:\n'
        "  s3.secret-key: { secret: s3-creds, key: secret-key }\n"
        "  taskmanager.resource-id: { secret: tm-identity, key: id }\n",
        "flinkgen-secrets-")
    failures = []

    def check(name, ok, detail=""):
        print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""))
        if not ok:
            failures.append(name)

    rendered = "".join(open(os.path.join(out, f)).read() for f in os.listdir(out))
    check("out/ holds no secret value", not any(v in rendered for v in SECRETS.values()))
    cluster = local_cluster.Cluster(version, base, out, secrets=SECRETS)
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

        print(f"     JobManager args: {shown(cluster.jm_args)}")
        print(f"     TaskManager args: {shown(cluster.tm_args)}")
    finally:
        cluster.stop()
    if not failures:
        shutil.rmtree(base, ignore_errors=True)
    else:
        print(f"logs in {base}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
