#!/usr/bin/env python3
"""Starts real Flink jobs from what flinkgen renders for each form of `jar` and `image.lib`.

For each Flink release (default: 1.18.1 1.20.4 2.2.1 2.3.0) this writes a small flinkgen
project into a fresh folder under /var/tmp (not /tmp: the pods mount an emptyDir over /tmp,
so flinkgen refuses jars there) with up to three application jobs running the same job jar
(scripts/java/verify):

  built     jar: build/verify-job.jar, image.lib: [build/verify-lib.jar]   (every release)
  in-usrlib jar: local:///opt/flink/usrlib/verify-job.jar on image.ref     (every release)
  in-image  jar: local:///<folder>/image/jobs/verify-job.jar on image.ref  (1.19+)
  remote    jar: http://127.0.0.1:<port>/verify-job.jar, from a local HTTP server  (1.19+)

It renders the project with flinkgen, then for each job lays out a Flink home the way the
generated Dockerfile builds the image (the release's lib/ from PyPI, then each COPY line; for
image.ref the jar is placed where the spec says the image has it), writes the ConfigMap's files
into conf/, and starts the JobManager with the container arguments of the generated manifest
and one TaskManager, both with the JVM flags Flink's BashJavaUtils derives. Only the RPC
address is changed (127.0.0.1 instead of the Service). A job passes when the JobManager exits
0 after the job FINISHED, its main printed the marker from the lib/ jar, and the TaskManager's
print sink did too (so lib/ is on every process's classpath). The remote job's jar must have
been fetched into user.artifacts.base-dir.

Usage: scripts/verify-jars.py [VERSION ...]   (1.17.2 needs no Java 8/11: the harness adds the
Java 17 flags 1.18 ships.) Needs Java 17 and Python 3; not run in CI.
"""
import functools
import glob
import http.server
import importlib.util
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("local_cluster", os.path.join(HERE, "local_cluster.py"))
local_cluster = importlib.util.module_from_spec(spec)
spec.loader.exec_module(local_cluster)
vwf = local_cluster.vwf


def build_jars(lib, out):
    """Compiles the verify job against this release and packs the job and the lib/ jar."""
    classes = os.path.join(out, "classes")
    dist = glob.glob(os.path.join(lib, "flink-dist-*.jar"))[0]
    sources = glob.glob(os.path.join(HERE, "java", "verify", "*.java"))
    subprocess.run(["javac", "--release", "11", "-nowarn", "-cp", dist, "-d", classes] + sources, check=True)

    def pack(name, prefix, main=None):
        path = os.path.join(out, name)
        with zipfile.ZipFile(path, "w") as z:
            manifest = "Manifest-Version: 1.0\n" + (f"Main-Class: {main}\n" if main else "")
            z.writestr("META-INF/MANIFEST.MF", manifest)
            for root, _, files in os.walk(os.path.join(classes, prefix)):
                for f in files:
                    full = os.path.join(root, f)
                    z.write(full, os.path.relpath(full, classes))
        return path

    job = pack("verify-job.jar", "flinkgen/verify", "flinkgen.verify.VerifyJob")
    # The job jar must not carry the lib/ class: strip it so only lib/ can provide it.
    with zipfile.ZipFile(job) as z:
        entries = [(i, z.read(i)) for i in z.infolist() if "/lib/" not in i.filename]
    with zipfile.ZipFile(job, "w") as z:
        for info, data in entries:
            z.writestr(info, data)
    pack("verify-lib.jar", "flinkgen/verify/lib")


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(folder):
    handler = functools.partial(QuietHandler, directory=folder)
    server = socketserver.TCPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_project(root, version, port, image_dir):
    os.makedirs(os.path.join(root, "jobs"))
    os.makedirs(os.path.join(root, "profiles"))
    with open(os.path.join(root, "flinkgen.yaml"), "w") as f:
        f.write(f'flinkVersion: "{version}"\nimage:\n  registry: registry.example.com/verify\n'
                "profiles:\n  jobManager: small\n  taskManager: small\n")
    with open(os.path.join(root, "profiles", "small.yaml"), "w") as f:
        f.write("cpu: 1\nmemory:\n  process: 1g\n")
    jobs = {"built": 'image:\n  tag: "1"\n  lib: [build/verify-lib.jar]\njar: build/verify-job.jar\n'}
    line = tuple(map(int, version.split(".")[:2]))
    ref = f"flink:{version}-scala_2.12-java{17 if line >= (1, 18) else 11}"
    # A jar inside the image under usrlib/ is found by the usrlib scan on every version.
    jobs["in-usrlib"] = f"image:\n  ref: {ref}\njar: local:///opt/flink/usrlib/verify-job.jar\n"
    if line >= (1, 19):
        jobs["in-image"] = f"image:\n  ref: {ref}\njar: local://{image_dir}/jobs/verify-job.jar\n"
        jobs["remote"] = f"image:\n  ref: {ref}\njar: http://127.0.0.1:{port}/verify-job.jar\n"
    for name, text in jobs.items():
        with open(os.path.join(root, "jobs", f"{name}.yaml"), "w") as f:
            f.write(text)
    return list(jobs)


def container_args(manifest):
    """The JobManager container's args, as Kubernetes passes them (`$$` is `$`)."""
    lines = open(manifest).read().splitlines()
    start = lines.index("          args:") + 1
    args = []
    for line in lines[start:]:
        if not line.startswith("            - "):
            break
        value = line[len("            - "):]
        args.append((json.loads(value) if value.startswith('"') else value).replace("$$", "$"))
    return args


def flink_home(root, job_dir, lib, image_dir, work, jar_in_usrlib):
    """The image as the generated Dockerfile builds it, or as image.ref is said to be: the job
    jar is in usrlib/ only when the spec says so (`jar_in_usrlib`), so a job whose jar lies
    elsewhere in the image runs only if its `--jars local://…` argument reaches Flink."""
    home = os.path.join(work, "flink")
    for sub in ["lib", "usrlib", "conf", "log", "plugins"]:
        os.makedirs(os.path.join(home, sub))
    for jar in glob.glob(os.path.join(lib, "*.jar")):
        os.symlink(jar, os.path.join(home, "lib", os.path.basename(jar)))
    dockerfile = os.path.join(job_dir, "Dockerfile")
    if not os.path.exists(dockerfile):
        # image.ref: the image the user built has the lib/ jar, and the job jar where the spec
        # says: in usrlib/, or in the image's jobs/ folder (which stays where it is).
        for jar in glob.glob(os.path.join(image_dir, "lib", "*.jar")):
            shutil.copy(jar, os.path.join(home, "lib"))
        if jar_in_usrlib:
            shutil.copy(os.path.join(image_dir, "jobs", "verify-job.jar"), os.path.join(home, "usrlib"))
    else:
        for line in open(dockerfile).read().splitlines():
            if line.startswith("COPY "):
                local_cluster.copy(line, root, lambda p: p.replace("$FLINK_HOME", home).replace("/opt/flink", home))
    text = open(os.path.join(job_dir, "configmap.yaml")).read()
    for name in ["config.yaml", "flink-conf.yaml", "log4j-console.properties"]:
        if f"  {name}: |" in text:
            body = vwf.block(text, name)
            if name != "log4j-console.properties":
                body = "\n".join("jobmanager.rpc.address: 127.0.0.1" if l.startswith("jobmanager.rpc.address:") else l
                                 for l in body.splitlines()) + "\n"
            with open(os.path.join(home, "conf", name), "w") as f:
                f.write(body)
    return home


def java(home, lib, command, entry, args, log):
    conf = os.path.join(home, "conf")
    code, results, out = vwf.run(lib, conf, command)
    if code != 0:
        raise SystemExit(out)
    jvm, dynamic = results[0].split(), results[1].split() if len(results) > 1 else []
    # 1.17 ships images for Java 8 and 11 only and sets no JVM flags; this machine has Java 17,
    # which needs the flags 1.18 started to ship.
    opts = ["--add-exports=java.base/sun.net.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED"]
    for name in ["config.yaml", "flink-conf.yaml"]:
        path = os.path.join(conf, name)
        if os.path.exists(path):
            for l in open(path):
                if l.startswith("env.java.opts.all:"):
                    opts = l.split(":", 1)[1].split()
    jars = sorted(glob.glob(os.path.join(home, "lib", "*.jar")), key=lambda j: "flink-dist" in j)
    env = dict(os.environ, FLINK_HOME=home, FLINK_LIB_DIR=os.path.join(home, "lib"), FLINK_CONF_DIR=conf)
    cmd = (["java"] + jvm + opts
           + [f"-Dlog.file={log}.log", f"-Dlog4j.configuration=file:{conf}/log4j-console.properties",
              f"-Dlog4j.configurationFile=file:{conf}/log4j-console.properties",
              "-classpath", os.pathsep.join(jars), entry, "--configDir", conf] + dynamic + args)
    return subprocess.Popen(cmd, env=env, stdout=open(f"{log}.out", "w"), stderr=subprocess.STDOUT)


def run_job(root, name, lib, image_dir, work):
    job_dir = os.path.join(root, "out", name)
    home = flink_home(root, job_dir, lib, image_dir, work, name == "in-usrlib")
    args = container_args(os.path.join(job_dir, "jobmanager-job.yaml"))
    assert args[0] == "standalone-job", args
    shutil.rmtree("/tmp/flink-artifacts", ignore_errors=True)
    jm = java(home, lib, "GET_JM_RESOURCE_PARAMS",
              "org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint",
              args[1:], os.path.join(work, "jobmanager"))
    tm = java(home, lib, "GET_TM_RESOURCE_PARAMS", "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
              [], os.path.join(work, "taskmanager"))
    try:
        code = jm.wait(timeout=240)
    except subprocess.TimeoutExpired:
        jm.kill()
        code = "timeout"
    finally:
        tm.kill()
        tm.wait()
    jm_out = open(os.path.join(work, "jobmanager.out")).read()
    tm_out = open(os.path.join(work, "taskmanager.out")).read()
    checks = {
        "JobManager exited 0": code == 0,
        "job FINISHED": "switched from state RUNNING to FINISHED" in jm_out,
        "main saw the lib/ jar": "flinkgen-verify main: flinkgen-lib-marker" in jm_out,
        "TaskManager saw the lib/ jar": "flinkgen-lib-marker 100" in tm_out,
    }
    if name == "remote":
        checks["jar fetched into user.artifacts.base-dir"] = os.path.exists("/tmp/flink-artifacts/verify-job.jar")
    failed = [c for c, ok in checks.items() if not ok]
    return failed, " ".join(args)


def main():
    versions = sys.argv[1:] or ["1.18.1", "1.20.4", "2.2.1", "2.3.0"]
    failures = 0
    subprocess.run(["cargo", "build", "-q", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml")], check=True)
    flinkgen = os.path.join(REPO, "target", "release", "flinkgen")
    for version in versions:
        lib = vwf.flink_lib(version)
        base = tempfile.mkdtemp(prefix="flinkgen-verify-", dir="/var/tmp")
        try:
            root = os.path.join(base, "project")
            image_dir = os.path.join(base, "image")
            build = os.path.join(root, "build")
            os.makedirs(build)
            build_jars(lib, build)
            os.makedirs(os.path.join(image_dir, "jobs"))
            os.makedirs(os.path.join(image_dir, "lib"))
            shutil.copy(os.path.join(build, "verify-job.jar"), os.path.join(image_dir, "jobs"))
            shutil.copy(os.path.join(build, "verify-lib.jar"), os.path.join(image_dir, "lib"))
            server = serve(build)
            jobs = write_project(root, version, server.server_address[1], image_dir)
            subprocess.run([flinkgen, "render", "--root", root], check=True, capture_output=True)
            for name in jobs:
                work = os.path.join(base, f"run-{name}")
                os.makedirs(work)
                failed, args = run_job(root, name, lib, image_dir, work)
                if failed:
                    failures += 1
                    print(f"FAIL Flink {version} {name}: {', '.join(failed)} (logs in {work})")
                else:
                    print(f"ok   Flink {version} {name}: {args} -> job FINISHED, lib/ jar on JobManager and TaskManager")
            server.shutdown()
        finally:
            if not failures:
                shutil.rmtree(base, ignore_errors=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
