#!/usr/bin/env python3
"""Proves with Flink's own entrypoint parser that a FlinkDeployment's job.args carry a
flinkConfigFromSecrets option to the JobManager as a dynamic property, and the user's
arguments through unchanged.

The Operator's standalone application JobManager runs `/docker-entrypoint.sh standalone-job
--job-classname <class> [-D jobmanager.rpc.address=…] <job.args>` (its
CmdStandaloneJobManagerDecorator), and the entrypoint hands the rest to standalone-job.sh with
--configDir. This script takes job.args from a rendered FlinkDeployment, expands `$(VAR)` as
the kubelet does (the pod template's secretKeyRef variable set from a stand-in Secret, `$$`
becoming `$`), and parses the result with StandaloneApplicationClusterConfigurationParserFactory
from the release's jars (scripts/java/EntrypointArgs.java). It passes when the option's value
is the Secret's and the program arguments are the spec's, as written.

Usage: scripts/verify-operator-args.py [VERSION ...]   (default 1.20.4 2.2.1; Java 17, PyYAML)
"""
import os
import re
import subprocess
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

verify = import_module("verify-with-flink")
REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
CASE = os.path.join(REPO, "tests/cases/operator-application")
SECRET = "secret-params-9c1e"


def kubelet(arg, env):
    """The kubelet's expansion of container arguments: $(VAR) from env, $$ to $."""
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)",
                  lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)), arg)


def main():
    versions = sys.argv[1:] or ["1.20.4", "2.2.1"]
    with open(os.path.join(CASE, "expected/audit-log/flinkdeployment.yaml")) as f:
        spec = yaml.safe_load(f)["spec"]
    with open(os.path.join(CASE, "input/jobs/audit-log.yaml")) as f:
        wanted = [str(a) for a in yaml.safe_load(f)["args"]]
    env = {}
    for c in spec["jobManager"]["podTemplate"]["spec"]["containers"]:
        for e in c.get("env", []):
            if "secretKeyRef" in e.get("valueFrom", {}):
                env[e["name"]] = SECRET
    assert env, "the JobManager's pod template reads a Secret"
    for c in spec["taskManager"].get("podTemplate", {}).get("spec", {}).get("containers", []):
        assert not any("valueFrom" in e for e in c.get("env", [])), "TaskManagers get no secret variable"
    args = [kubelet(a, env) for a in spec["job"]["args"]]
    java = os.path.join(REPO, "scripts/java/EntrypointArgs.java")
    for version in versions:
        lib = verify.flink_lib(version)
        out = subprocess.run(["java", "-cp", os.path.join(lib, "*"), java, "--configDir", "/opt/flink/conf",
                              "--job-classname", "com.example.Audit", *args],
                             capture_output=True, text=True, check=True).stdout
        dynamic = f"getDynamicProperties={{pipeline.global-job-parameters={SECRET}}}"
        program = "getArgs=[" + ", ".join(wanted) + "]"
        ok = dynamic in out and program in out
        print(f"{version}: {'pass' if ok else 'FAIL'}\n{out}")
        if not ok:
            sys.exit(1)


if __name__ == "__main__":
    main()
