#!/usr/bin/env python3
"""Writes tests/data/podmonitor-crd.json from the Prometheus Operator's PodMonitor CRD.

The test suite validates every generated PodMonitor against this schema (tests/common). It is
the CRD's openAPIV3Schema without descriptions, made strict: an object that lists its
properties refuses any other field (the API server would prune it silently), unless the CRD
says it keeps unknown fields.

Usage: scripts/podmonitor-crd.py <prometheus-operator checkout> [REV]   (needs PyYAML)
"""
import json
import os
import subprocess
import sys

import yaml

PATH = "example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml"


def strict(s):
    if isinstance(s, dict):
        s = {k: strict(v) for k, v in s.items() if k != "description"}
        if s.get("type") == "object" and "properties" in s and "additionalProperties" not in s \
                and not s.get("x-kubernetes-preserve-unknown-fields"):
            s["additionalProperties"] = False
        return s
    if isinstance(s, list):
        return [strict(x) for x in s]
    return s


def main():
    repo, rev = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "HEAD")
    text = subprocess.run(["git", "-C", repo, "show", f"{rev}:{PATH}"], check=True,
                          capture_output=True, text=True).stdout
    crd = yaml.safe_load(text)
    commit = subprocess.run(["git", "-C", repo, "rev-parse", "--short", rev], check=True,
                            capture_output=True, text=True).stdout.strip()
    version = crd["metadata"]["annotations"].get("operator.prometheus.io/version", "?")
    v1 = next(v for v in crd["spec"]["versions"] if v["name"] == "v1")
    schema = strict(v1["schema"]["openAPIV3Schema"])
    schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "metadata", "spec"})
    out = {
        "$comment": f"monitoring.coreos.com/v1 PodMonitor from the Prometheus Operator {version} "
                    f"({PATH} at {commit}), by scripts/podmonitor-crd.py: descriptions dropped, "
                    "unknown fields refused where the CRD lists the properties.",
        "PodMonitor": schema,
    }
    dest = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "data", "podmonitor-crd.json")
    with open(dest, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"wrote {dest}")


if __name__ == "__main__":
    main()
