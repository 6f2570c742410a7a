#!/usr/bin/env python3
"""Feeds each rendered job's Flink configuration to the real Flink release it targets.

For every out/<job>/configmap.yaml this extracts the Flink config file, puts it in a conf
folder exactly as the ConfigMap mount does, and runs Flink's own BashJavaUtils
(GET_JM_RESOURCE_PARAMS and GET_TM_RESOURCE_PARAMS --configDir), the code the start scripts run
before a JobManager or TaskManager starts. That proves the file loads with the version's own
parser and that its memory settings are accepted, and the JVM flags Flink derives must equal
those `flinkgen explain` reports. Every key of the file must also be one a ConfigOption of that
Flink version declares (scripts/java/FlinkOptionKeys.java), apart from keys Flink builds from
a user-chosen name (reporters, external resources, filesystem and table options). Flink comes from PyPI
(apache-flink-libraries) and is cached in ~/.cache/flinkgen; Java 11+ must be on PATH.

Usage: scripts/verify-with-flink.py [OUT_DIR]   (default: out)
"""
import glob
import json
import os
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import import_module

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
releases = import_module("check-releases")

CACHE = os.path.expanduser("~/.cache/flinkgen")


def flink_lib(version):
    """Folder with flink-dist and its lib jars for `version`, downloading it once."""
    home = os.path.join(CACHE, f"flink-{version}")
    if not glob.glob(os.path.join(home, "**", "flink-dist-*.jar"), recursive=True):
        os.makedirs(home, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        f"apache-flink-libraries=={version}", "-d", home], check=True)
        for archive in glob.glob(os.path.join(home, "apache*flink*libraries*")):
            if archive.endswith(".whl"):
                with zipfile.ZipFile(archive) as z:
                    z.extractall(home, [n for n in z.namelist() if "/lib/" in n or "/bin/" in n])
            elif archive.endswith(".tar.gz"):
                with tarfile.open(archive) as t:
                    t.extractall(home, [m for m in t.getmembers() if "/deps/lib/" in m.name or "/deps/bin/" in m.name])
            os.remove(archive)
    dist = glob.glob(os.path.join(home, "**", "flink-dist-*.jar"), recursive=True)[0]
    return os.path.dirname(dist)


def block(text, key):
    """The literal block scalar under `  <key>: |` in a ConfigMap."""
    lines = text.splitlines()
    start = lines.index(f"  {key}: |") + 1
    out = []
    for line in lines[start:]:
        if line and not line.startswith("    "):
            break
        out.append(line[4:])
    return "\n".join(out).rstrip("\n") + "\n"


def run(lib, conf_dir, command):
    cp = os.pathsep.join([os.path.join(lib, "*"), os.path.join(os.path.dirname(lib), "bin", "*")])
    p = subprocess.run(["java", "-cp", cp, "org.apache.flink.runtime.util.bash.BashJavaUtils",
                        command, "--configDir", conf_dir], capture_output=True, text=True)
    results = [l.split("BASH_JAVA_UTILS_EXEC_RESULT:", 1)[1] for l in p.stdout.splitlines()
               if "BASH_JAVA_UTILS_EXEC_RESULT:" in l]
    return p.returncode, results, p.stdout + p.stderr


def project_root(job_dir):
    """The project a rendered job folder came from, and its environment: <root>/out/<job>,
    <root>/out/<env>/<job>, or the same below a golden case's expected/."""
    out_dir = os.path.dirname(os.path.abspath(job_dir))
    env = None
    if not os.path.exists(os.path.join(os.path.dirname(out_dir), "flinkgen.yaml")) and \
            os.path.basename(os.path.dirname(out_dir)) in ("out", "expected"):
        env = os.path.basename(out_dir)
        out_dir = os.path.dirname(out_dir)
    parent = os.path.dirname(out_dir)
    if os.path.basename(out_dir) == "expected":
        return os.path.join(parent, "input"), env
    return parent, env


def flinkgen_flags(job_dir):
    """JVM flags flinkgen derived for the job, from `flinkgen explain --format json`."""
    repo = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    name = os.path.basename(os.path.normpath(job_dir))
    root, env = project_root(job_dir)
    p = subprocess.run(["cargo", "run", "-q", "--release", "--manifest-path", os.path.join(repo, "Cargo.toml"),
                        "--", "explain", name, "--format", "json", "--root", root]
                       + (["--env", env] if env else []),
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None
    e = json.loads(p.stdout)
    return {"GET_JM_RESOURCE_PARAMS": e["jobManager"]["jvmFlags"], "GET_TM_RESOURCE_PARAMS": e["taskManager"]["jvmFlags"]}


# Keys whose names Flink builds from a user-chosen part, so no ConfigOption declares them:
# reporters and external resources by name, `s3.*` (the S3 filesystems mirror every such key
# into Hadoop's or Presto's configuration), per-scheme connection limits
# (`fs.<scheme>.limit.*`), and keys Flink passes on to Hadoop (`fs.s3a.*`, `fs.gs.*`, …).
# Every other key, `table.*` and `fs.*` included, must be declared by a jar of lib/.
TEMPLATED = ("metrics.reporter.", "external-resource.gpu.", "s3.", "custom.",
             "fs.s3a.", "fs.gs.", "fs.azure.", "fs.oss.")
TEMPLATED_RE = re.compile(r"^fs\.[a-z0-9]+\.limit\.")


def python_jar(version):
    """The release's opt/flink-python jar, which declares the `python.*` options (not in
    lib/), extracted once from apache-flink-libraries."""
    path = os.path.join(CACHE, f"flink-python-{version}.jar")
    if not os.path.exists(path):
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            f"apache-flink-libraries=={version}", "-d", tmp], check=True)
            archive = glob.glob(os.path.join(tmp, "apache*flink*libraries*"))[0]
            wanted = lambda n: "/opt/flink-python" in n and n.endswith(".jar")
            if archive.endswith(".whl"):
                with zipfile.ZipFile(archive) as z:
                    data = z.read(next(n for n in z.namelist() if wanted(n)))
            else:
                with tarfile.open(archive) as t:
                    data = t.extractfile(next(m for m in t.getmembers() if wanted(m.name))).read()
            with open(path, "wb") as f:
                f.write(data)
    return path


def unknown_keys(lib, keys, version):
    """The keys no ConfigOption in Flink's jars declares, by FlinkOptionKeys.java (with the
    flink-python jar when a Python job's keys are among them)."""
    source = os.path.join(os.path.dirname(os.path.abspath(__file__)), "java", "FlinkOptionKeys.java")
    # flink-dist first (the class path's head), then every other jar of lib/: the table
    # planner and API declare the table.* options.
    jars = glob.glob(os.path.join(lib, "flink-dist-*.jar")) + sorted(
        j for j in glob.glob(os.path.join(lib, "*.jar")) if "flink-dist-" not in j)
    if any(k.startswith("python.") for k in keys):
        jars.append(python_jar(version))
    p = subprocess.run(["java", "-cp", os.pathsep.join([os.path.join(lib, "*")] + jars[1:]), source, *jars],
                       input="\n".join(sorted(keys)), capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(p.stderr)
    return [k for k in p.stdout.split() if not k.startswith(TEMPLATED) and not TEMPLATED_RE.match(k)]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "out"
    failures = 0
    for cm in sorted(glob.glob(os.path.join(out, "**", "configmap.yaml"), recursive=True)):
        job_dir = os.path.dirname(cm)
        text = open(cm).read()
        # The release the pods run: an image.ref may pin another patch than the line's.
        version = re.search(r'app\.kubernetes\.io/version: "([^"]+)"', text).group(1)
        if version.count(".") == 1:
            # A moving tag or an image of the user's own: the line's pinned release stands in.
            major, minor = (int(x) for x in version.split("."))
            version = f"{version}.{releases.table()[(major, minor)]}"
        name = "config.yaml" if "  config.yaml: |" in text else "flink-conf.yaml"
        lib = flink_lib(version)
        ours = flinkgen_flags(job_dir)
        config_text = block(text, name)
        keys = {l.split(": ", 1)[0] for l in config_text.splitlines() if ": " in l and not l.startswith("#")}
        unknown = unknown_keys(lib, keys, version)
        if unknown and "warnings-deprecated-keys" not in job_dir:
            failures += 1
            print(f"FAIL {job_dir} Flink {version}: not Flink options: {', '.join(unknown)}")
        else:
            print(f"ok   {job_dir} Flink {version}: all {len(keys)} keys are Flink options")
        with tempfile.TemporaryDirectory() as conf:
            with open(os.path.join(conf, name), "w") as f:
                f.write(config_text)
            for command in ["GET_JM_RESOURCE_PARAMS", "GET_TM_RESOURCE_PARAMS"]:
                code, results, log = run(lib, conf, command)
                if code != 0 or not results:
                    failures += 1
                    print(f"FAIL {job_dir} Flink {version} {command}\n{log}")
                elif ours is None or ours[command] != results[0].strip():
                    failures += 1
                    print(f"FAIL {job_dir} Flink {version} {command}: Flink {results[0]} but flinkgen explain says {ours and ours[command]}")
                else:
                    print(f"ok   {job_dir} Flink {version} {name} {command}: {results[0]} (= flinkgen explain)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
