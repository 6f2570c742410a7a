#!/usr/bin/env bash
# Rebuilds src/derive/ha_upgrade/HaUpgrade.class, which flinkgen embeds in the HA upgrade
# ConfigMap, from its source: Java 8 bytecode, so every Flink image's JRE runs it.
# tests/ha_upgrade.rs fails while the class and the source disagree.
set -euo pipefail
cd "$(dirname "$0")/../src/derive/ha_upgrade"
tmp=$(mktemp -d)
javac --release 8 -Xlint:-options -d "$tmp" HaUpgrade.java
cp "$tmp/HaUpgrade.class" HaUpgrade.class
rm -rf "$tmp"
