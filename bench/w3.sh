#!/usr/bin/env bash
# W3 (issue 8): 15,000 idle client TLS connections on one CMG instance, then 1,000 active.
# Usage: bench/w3.sh [--clients N] [--per-process N] [--active N] [--net N] [--out FILE]
# Builds what is missing, then runs org.cmglab.bench.w3.W3Driver with the bench module's class path.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -f bench/target/classpath.txt || ! -f client-sim/target/client-sim.jar ]]; then
  ./mvnw -q -B -DskipTests package
fi
# The front door closes a silent kept-alive connection after 120 s, as HTTP.sys does (IdleConnection timer). Making
# 15,000 connections takes longer than that on 2 cores, so the lab this driver starts keeps idle connections for an
# hour (every JVM it starts inherits JAVA_TOOL_OPTIONS); W3_IDLE_TIMEOUT_MS changes it.
export JAVA_TOOL_OPTIONS="${JAVA_TOOL_OPTIONS:-} -Dcmglab.frontDoor.idleTimeoutMs=${W3_IDLE_TIMEOUT_MS:-3600000}"
exec java -cp "bench/target/classes:$(cat bench/target/classpath.txt)" org.cmglab.bench.w3.W3Driver "$@"
