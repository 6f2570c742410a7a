#!/usr/bin/env python3
"""Compares flinkgen's table of Flink release lines (LINES in src/flink/mod.rs) with what is
published: the versions of apache-flink-libraries on PyPI and, given a checkout of
apache/flink-docker, the official image tags in its release.metadata files.

Reports every release line PyPI has that the table lacks (from the oldest line the table
supports on), and every line whose pinned patch is behind the newest patch on PyPI, saying
whether an official image of that patch exists. Exits 1 when anything is reported.

Usage: scripts/check-releases.py [--docker PATH-TO-flink-docker-CHECKOUT]
"""
import glob
import os
import re
import subprocess
import sys

REPO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def table():
    """{(major, minor): pinned_patch} from the LINES table."""
    src = open(os.path.join(REPO, "src", "flink", "mod.rs")).read()
    body = src[src.index("const LINES: &[Line] = &["):]
    body = body[: body.index("];")]
    lines = {}
    for block in re.findall(r"Line \{(.*?)\}", body, re.S):
        get = lambda k: int(re.search(rf"{k}: (\d+)", block).group(1))  # noqa: E731
        lines[(get("major"), get("minor"))] = get("pinned_patch")
    return lines


def pypi_versions():
    """Every final release of apache-flink-libraries on PyPI, as (major, minor, patch)."""
    p = subprocess.run([sys.executable, "-m", "pip", "index", "versions", "apache-flink-libraries"],
                       capture_output=True, text=True, check=True)
    found = re.search(r"Available versions: (.*)", p.stdout)
    out = []
    for v in (found.group(1).split(", ") if found else []):
        m = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", v.strip())
        if m:
            out.append(tuple(int(x) for x in m.groups()))
    return out


def image_tags(docker):
    """Every tag named by a release.metadata file of a flink-docker checkout (working tree)."""
    tags = set()
    for f in glob.glob(os.path.join(docker, "*", "*", "release.metadata")):
        for line in open(f):
            if line.startswith("Tags:"):
                tags.update(t.strip() for t in line[5:].split(","))
    return tags


def main():
    docker = None
    if "--docker" in sys.argv:
        docker = sys.argv[sys.argv.index("--docker") + 1]
    lines = table()
    oldest = min(lines)
    published = [v for v in pypi_versions() if (v[0], v[1]) >= oldest]
    tags = image_tags(docker) if docker else None
    problems = []
    newest = {}
    for v in published:
        key = (v[0], v[1])
        newest[key] = max(newest.get(key, -1), v[2])
    for (major, minor), patch in sorted(newest.items()):
        if (major, minor) not in lines:
            problems.append(f"missing line {major}.{minor}: PyPI has {major}.{minor}.{patch}")
            continue
        pinned = lines[(major, minor)]
        if patch > pinned:
            release = f"{major}.{minor}.{patch}"
            if tags is None:
                image = "image not checked (pass --docker)"
            elif f"{release}-scala_2.12" in tags or any(t.startswith(f"{release}-") for t in tags):
                image = "official image exists"
            else:
                image = "no official image in this flink-docker checkout yet"
            problems.append(f"behind {major}.{minor}: pinned {major}.{minor}.{pinned}, PyPI has {release} ({image})")
    for (major, minor), pinned in sorted(lines.items()):
        if (major, minor) not in newest:
            problems.append(f"unknown {major}.{minor}: PyPI publishes no {major}.{minor} release")
    for p in problems:
        print(p)
    print(f"{len(lines)} lines in the table, {len(problems)} finding(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
