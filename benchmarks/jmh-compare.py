#!/usr/bin/env python3
"""Compares JMH results with a baseline and flags regressions (not run in CI; run before a release).

    benchmarks/jmh.sh -f 3                                   # writes benchmarks/target/jmh-result.json
    benchmarks/jmh-compare.py benchmarks/jmh-baseline.json benchmarks/target/jmh-result.json

Benchmarks are matched by name and parameters. For throughput modes (thrpt) higher is better, for
time modes (avgt, sample, ss) lower is better. A benchmark more than --threshold percent worse than
the baseline (default 10) is a regression, unless the two scores' error intervals overlap and
--strict is not given. Exit 0 when there is no regression, 1 when there is, 2 on bad input.
Secondary results (e.g. -prof gc's alloc.rate.norm) are compared too, lower being better.
Only the standard library: python3 3.8 or later.
"""
import argparse
import json
import sys


def fail(message):
    print(f"jmh-compare: {message}", file=sys.stderr)
    sys.exit(2)


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            runs = json.load(f)
    except (OSError, ValueError) as e:
        fail(f"cannot read {path}: {e}")
    if not isinstance(runs, list):
        fail(f"{path} is not a JMH JSON result (a list of runs)")
    out = {}
    for run in runs:
        try:
            params = ",".join(f"{k}={v}" for k, v in sorted((run.get("params") or {}).items()))
            key = f"{run['benchmark']}({params})" if params else run["benchmark"]
            mode = run["mode"]
            primary = run["primaryMetric"]
            out[key] = (mode, primary["score"], primary.get("scoreError") or 0.0, primary.get("scoreUnit", ""))
            for name, metric in (run.get("secondaryMetrics") or {}).items():
                if name.endswith("alloc.rate.norm"):
                    out[f"{key}:{name}"] = ("alloc", metric["score"], metric.get("scoreError") or 0.0,
                                            metric.get("scoreUnit", ""))
        except (KeyError, TypeError) as e:
            fail(f"{path}: a run without {e}")
    return out


def main():
    p = argparse.ArgumentParser(description="flag JMH regressions against a baseline")
    p.add_argument("baseline")
    p.add_argument("results")
    p.add_argument("--threshold", type=float, default=10.0, help="percent worse that counts (default 10)")
    p.add_argument("--strict", action="store_true", help="ignore error intervals")
    a = p.parse_args()
    if a.threshold <= 0:
        fail("--threshold must be positive")
    base, new = load(a.baseline), load(a.results)
    regressions = 0
    for key in sorted(set(base) | set(new)):
        if key not in new:
            print(f"MISSING   {key} (in the baseline only)")
            continue
        if key not in base:
            print(f"NEW       {key}: {new[key][1]:.4g} {new[key][3]}")
            continue
        mode, b, berr, unit = base[key]
        _, n, nerr, _ = new[key]
        higher_better = mode == "thrpt"
        change = (n - b) / b * 100 if b else 0.0
        worse = -change if higher_better else change
        overlap = abs(n - b) <= (berr + nerr)
        flag = worse > a.threshold and (a.strict or not overlap)
        regressions += flag
        label = "REGRESSED" if flag else ("better   " if worse < -a.threshold else "ok       ")
        print(f"{label} {key}: {b:.4g} -> {n:.4g} {unit} ({change:+.1f}%)")
    print(f"{regressions} regression(s) over {a.threshold:g}%")
    return 1 if regressions else 0


if __name__ == "__main__":
    sys.exit(main())
