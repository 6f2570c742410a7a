#!/usr/bin/env python3
"""Regenerates src/flink/keys/<line>.txt: every option key (and fallback key) a ConfigOption of
that Flink release declares, read by reflection from its jars (scripts/java/FlinkOptionKeys.java
--all). flinkgen warns about a user option its target version does not declare, so these
lists are data from the distributions, never typed by hand. Flink comes from PyPI
(apache-flink-libraries), cached in ~/.cache/flinkgen; Java 11+ must be on PATH.

Usage: scripts/option-keys.py   (one list per line of src/flink/mod.rs, at its pinned patch)
"""
import glob
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from importlib import import_module  # noqa: E402

verify = import_module("verify-with-flink")
releases = import_module("check-releases")

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    source = os.path.join(REPO, "scripts", "java", "FlinkOptionKeys.java")
    out_dir = os.path.join(REPO, "src", "flink", "keys")
    os.makedirs(out_dir, exist_ok=True)
    for (major, minor), patch in sorted(releases.table().items()):
        lib = verify.flink_lib(f"{major}.{minor}.{patch}")
        jars = sorted(glob.glob(os.path.join(lib, "*.jar")))
        p = subprocess.run(["java", "-cp", os.path.join(lib, "*"), source, "--all", *jars],
                           capture_output=True, text=True, check=True)
        keys = [k for k in p.stdout.split("\n") if k.strip()]
        with open(os.path.join(out_dir, f"{major}.{minor}.txt"), "w") as f:
            f.write("\n".join(keys) + "\n")
        p = subprocess.run(["java", "-cp", os.path.join(lib, "*"), source, "--deprecated", *jars],
                           capture_output=True, text=True, check=True)
        old = [k for k in p.stdout.split("\n") if k.strip()]
        with open(os.path.join(out_dir, f"{major}.{minor}.deprecated.txt"), "w") as f:
            f.write("\n".join(old) + "\n")
        print(f"{major}.{minor}.{patch}: {len(keys)} keys, {len(old)} deprecated")


if __name__ == "__main__":
    main()
