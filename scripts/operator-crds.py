#!/usr/bin/env python3
"""Regenerates src/flink/operator/<release>.json: the spec schemas of the Flink Kubernetes
Operator's FlinkDeployment and FlinkSessionJob CRDs (flink.apache.org/v1beta1) of each release
flinkgen supports, read from the Operator's own Helm chart at each release tag. flinkgen checks
every FlinkDeployment and FlinkSessionJob it writes against the release a project names
(`operatorVersion`), so these are data from the Operator's repository, never typed by hand.

The schemas are cut to what the check reads: type, properties, additionalProperties, items,
required and enum (descriptions dropped); an embedded Pod template becomes
`{"x-kubernetes-pod-template": true}` (it is the Kubernetes Pod type, checked as such).

Usage: scripts/operator-crds.py OPERATOR_GIT_DIR
  (a clone of https://github.com/apache/flink-kubernetes-operator with its release tags)
"""
import json
import os
import subprocess
import sys

import yaml

RELEASES = ["1.10.0", "1.11.0", "1.12.0", "1.13.0", "1.14.0", "1.15.0"]
CRDS = {
    "FlinkDeployment": "helm/flink-kubernetes-operator/crds/flinkdeployments.flink.apache.org-v1.yml",
    "FlinkSessionJob": "helm/flink-kubernetes-operator/crds/flinksessionjobs.flink.apache.org-v1.yml",
}
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "flink", "operator")


def cut(schema, name=""):
    if name == "podTemplate":
        return {"x-kubernetes-pod-template": True}
    out = {}
    if "type" in schema and not schema.get("x-kubernetes-int-or-string"):
        out["type"] = schema["type"]
    for key in ("enum", "required"):
        if key in schema:
            out[key] = schema[key]
    if "properties" in schema:
        out["properties"] = {k: cut(v, k) for k, v in sorted(schema["properties"].items())}
        if not schema.get("x-kubernetes-preserve-unknown-fields"):
            out["additionalProperties"] = False
    add = schema.get("additionalProperties")
    if isinstance(add, dict):
        out["additionalProperties"] = cut(add)
    if "items" in schema:
        out["items"] = cut(schema["items"])
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    git = sys.argv[1]
    os.makedirs(OUT, exist_ok=True)
    for release in RELEASES:
        data = {}
        for kind, path in CRDS.items():
            text = subprocess.run(["git", "-C", git, "show", f"release-{release}:{path}"],
                                  capture_output=True, text=True, check=True).stdout
            crd = yaml.safe_load(text)
            version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1beta1")
            data[kind] = cut(version["schema"]["openAPIV3Schema"]["properties"]["spec"])
        line = ".".join(release.split(".")[:2])
        with open(os.path.join(OUT, f"{line}.json"), "w") as f:
            json.dump(data, f, sort_keys=True, separators=(",", ":"))
            f.write("\n")
        enum = data["FlinkDeployment"]["properties"]["flinkVersion"]["enum"]
        print(f"Operator {release}: flinkVersion {enum[0]} to {enum[-1]}")


if __name__ == "__main__":
    main()
