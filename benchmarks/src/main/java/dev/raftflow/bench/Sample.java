package dev.raftflow.bench;

/** One second of a run, as printed on the progress line and drawn in the report. */
record Sample(
    int second,
    long ops,
    double p50us,
    double p99us,
    double maxUs,
    String leader,
    long term,
    long commit,
    long heapMb,
    long queued,
    long unapplied,
    long overloaded,
    long shed) {}
