package dev.raftflow.bench.storage;

import dev.raftflow.engine.message.LogEntry;
import dev.raftflow.engine.spi.LogWrite;
import dev.raftflow.engine.spi.PersistentState;
import dev.raftflow.engine.spi.Snapshot;
import dev.raftflow.storage.chronicle.ChronicleLogStore;
import dev.raftflow.storage.chronicle.Durability;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * One-shot storage figures that are not throughput: disk used by a fresh store, before and after
 * compaction, and restart (recovery) time of a large log. Disk use is measured with {@code du}
 * (real blocks: Chronicle's files are sparse). Usage: {@code StorageFigures <dir> <logMiB>}.
 */
public final class StorageFigures {

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args.length > 0 ? args[0] : Files.createTempDirectory("raftflow-figures").toString());
    long mib = args.length > 1 ? Long.parseLong(args[1]) : 1024;
    Path fresh = dir.resolve("fresh");
    try (ChronicleLogStore s = ChronicleLogStore.open(fresh)) {
      s.load();
      s.write(new LogWrite(null, null, List.of(LogEntry.command(1, 1, new byte[64])), 1, 1)).join();
      System.out.printf("fresh store with one entry: %s KiB on disk while open%n", du(fresh));
    }
    System.out.printf("fresh store with one entry: %s KiB on disk after close%n", du(fresh));
    Path big = dir.resolve("big");
    byte[] data = new byte[1024];
    long entries = mib * 1024;
    long t0 = System.nanoTime();
    try (ChronicleLogStore s = ChronicleLogStore.open(big, ChronicleLogStore.Options.defaults().withDurability(Durability.OS_CACHE))) {
      s.load();
      long i = 1;
      while (i <= entries) {
        List<LogEntry> es = new ArrayList<>(1024);
        for (int k = 0; k < 1024 && i <= entries; k++, i++) {
          es.add(LogEntry.command(i, 1, data));
        }
        s.write(new LogWrite(null, null, es, i - 1, 1)).join();
      }
    }
    System.out.printf("wrote %d x 1 KiB entries in %.1f s; %s KiB on disk%n", entries, (System.nanoTime() - t0) / 1e9, du(big));
    for (int round = 0; round < 2; round++) {
      long r0 = System.nanoTime();
      try (ChronicleLogStore s = ChronicleLogStore.open(big)) {
        PersistentState ps = s.load();
        double secs = (System.nanoTime() - r0) / 1e9;
        System.out.printf("restart %d: load() of %d entries took %.2f s%n", round, ps.entries().size(), secs);
        if (round == 1) {
          long keep = 1000;
          s.write(new LogWrite(null, new Snapshot(entries - keep, 1, new byte[1 << 20]), List.of(), entries, 1)).join();
          System.out.printf("after a snapshot at %d (1 MiB snapshot, %d entries kept): %s KiB on disk%n",
              entries - keep, keep, du(big));
        }
      }
    }
  }

  private static String du(Path p) throws IOException, InterruptedException {
    Process pr = new ProcessBuilder("du", "-sk", p.toString()).start();
    String out = new String(pr.getInputStream().readAllBytes()).trim();
    pr.waitFor();
    return out.split("\\s+")[0];
  }
}
