/**
 * The runnable {@code raftflow.jar} ({@link dev.raftflow.bench.Main}): a local cluster in one process,
 * the closed- and open-loop load drivers ({@code run}, {@code sweep}, {@code overload}), the disk floor
 * ({@code disk}), HTML reports, and the commands of the {@code server} module. Measures; never
 * asserts speed.
 */
package dev.raftflow.bench;
