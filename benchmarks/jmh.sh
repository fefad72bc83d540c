#!/usr/bin/env bash
# Runs the JMH suite from the shaded jar and writes JSON results.
#   benchmarks/jmh.sh                       # everything (long: tens of minutes)
#   benchmarks/jmh.sh CodecBenchmark -f 1   # one class, any JMH options after it
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=benchmarks/target/raftflow.jar
[ -f "$JAR" ] || mvn -B -q package -DskipTests
OUT=${JMH_RESULT:-benchmarks/target/jmh-result.json}
FLAGS="-Dchronicle.analytics.disable=true --add-exports=java.base/jdk.internal.ref=ALL-UNNAMED --add-exports=java.base/sun.nio.ch=ALL-UNNAMED --add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED --add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED --add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED"
exec java $FLAGS -cp "$JAR" org.openjdk.jmh.Main -jvmArgsAppend "$FLAGS" -rf json -rff "$OUT" "$@"
