"""A rendered standalone session cluster, started on this machine the way its pods start it.

Shared by scripts/verify-secrets.py and scripts/verify-metrics.py: render a one-cluster project
with flinkgen, then run Flink's own `bin/jobmanager.sh` / `bin/taskmanager.sh start-foreground`
(what the image's entrypoint runs) with the generated container arguments, after the kubelet's
`$(VAR)` expansion, and with the generated configuration, whose RPC address is the only change
(localhost instead of the Service).
"""
import importlib.util
import os
import shutil
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def load(name):
    """A script of this folder as a module (their names have dashes)."""
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


vwf = load("verify-with-flink")
vss = load("verify-session-submit")


def render(version, cluster_yaml, prefix):
    """Renders a project whose only spec is `clusters/shared.yaml`; returns (scratch folder,
    the cluster's output folder)."""
    base = tempfile.mkdtemp(prefix=prefix)
    root = os.path.join(base, "project")
    for d in ["clusters", "profiles"]:
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, "flinkgen.yaml"), "w") as f:
        f.write(f'flinkVersion: "{version}"\nimage:\n  registry: registry.example.com/verify\n'
                "profiles:\n  jobManager: small\n  taskManager: small\n")
    with open(os.path.join(root, "profiles", "small.yaml"), "w") as f:
        f.write("cpu: 1\nmemory:\n  process: 1g\n")
    with open(os.path.join(root, "clusters", "shared.yaml"), "w") as f:
        f.write(cluster_yaml)
    subprocess.run(["cargo", "run", "-q", "--release", "--manifest-path", os.path.join(REPO, "Cargo.toml"),
                    "--", "render", "--root", root], check=True, capture_output=True)
    return base, os.path.join(root, "out", "shared")


def copy(line, root, path_of, built=None):
    """Carries out one `COPY` line of a generated Dockerfile on a local folder standing in for
    the image: project files from `root` (a folder when the source ends with `/`; several
    sources into a folder ending with `/`), or, with `--from=<stage>`, the file that stage
    built (`built`: the local file). `path_of` maps an image path to its local stand-in."""
    parts = line.split()[1:]
    from_stage = any(p.startswith("--from=") for p in parts)
    parts = [p for p in parts if not p.startswith("--")]
    dest = path_of(parts[-1])
    for src in parts[:-1]:
        if src.endswith("/") and not from_stage:
            shutil.copytree(os.path.join(root, src), dest, dirs_exist_ok=True)
            continue
        target = os.path.join(dest, os.path.basename(src)) if dest.endswith("/") else dest
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(built if from_stage else os.path.join(root, src), target)


def container(path):
    import yaml
    doc = yaml.safe_load(open(path))
    return doc["spec"]["template"]["spec"]["containers"][0]


def expanded_args(c, secrets=None):
    """The container's args as the process gets them: each variable resolved (a secretKeyRef
    from `secrets`, {(name, key): value}), then `$(VAR)` expanded as the kubelet does."""
    env = {}
    for e in c.get("env", []):
        ref = e.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            env[e["name"]] = (secrets or {})[(ref["name"], ref["key"])]
        elif "value" in e:
            env[e["name"]] = e["value"]
    return [vss.k8s_expand(a, env) for a in c["args"]]


class Cluster:
    """The JobManager and TaskManager of `out`, running until `stop()`. `plugins` are extra
    folders for `plugins/` (name -> path); `tm_extra` are extra TaskManager arguments."""

    def __init__(self, version, base, out, secrets=None, plugins=None, tm_extra=()):
        self.base = base
        self.jm_args = expanded_args(container(os.path.join(out, "jobmanager-deployment.yaml")), secrets)
        self.tm_args = expanded_args(container(os.path.join(out, "taskmanager-deployment.yaml")), secrets)
        assert self.jm_args[0] == "jobmanager" and self.tm_args[0] == "taskmanager", (self.jm_args, self.tm_args)
        home = os.path.join(base, "flink")
        shutil.copytree(vss.flink_home(version), home, symlinks=True)
        for name, path in (plugins or {}).items():
            shutil.copytree(path, os.path.join(home, "plugins", name))
        text = open(os.path.join(out, "configmap.yaml")).read()
        name = "config.yaml" if "  config.yaml: |" in text else "flink-conf.yaml"
        for f in ["config.yaml", "flink-conf.yaml"]:
            if os.path.exists(os.path.join(home, "conf", f)):
                os.remove(os.path.join(home, "conf", f))
        self.conf = vwf.block(text, name)
        conf = "\n".join("jobmanager.rpc.address: localhost" if l.startswith("jobmanager.rpc.address:") else l
                         for l in self.conf.splitlines()) + "\n"
        with open(os.path.join(home, "conf", name), "w") as f:
            f.write(conf)
        with open(os.path.join(home, "conf", "log4j-console.properties"), "w") as f:
            f.write(vwf.block(text, "log4j-console.properties"))
        self.logs = os.path.join(base, "log")
        env = dict(os.environ, FLINK_HOME=home, FLINK_LOG_DIR=self.logs)
        self.procs = [subprocess.Popen(["bash", os.path.join(home, "bin", script), "start-foreground", *args[1:]],
                                       env=env, stdout=open(self.output(script), "w"), stderr=subprocess.STDOUT)
                      for script, args in [("jobmanager.sh", self.jm_args),
                                           ("taskmanager.sh", self.tm_args + list(tm_extra))]]

    def output(self, script):
        """What `jobmanager.sh` or `taskmanager.sh` printed (the console log)."""
        return os.path.join(self.base, f"{script}.out")

    def stop(self):
        for p in self.procs:
            p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        subprocess.run(["pkill", "-f", "--", f"-Dlog.file={self.logs}"], check=False)
