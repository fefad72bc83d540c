package dev.raftflow.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import one.profiler.AsyncProfiler;
import picocli.CommandLine.Option;

/**
 * The {@code --profile} flags of a load command, as a picocli mixin: async-profiler (its native
 * library is in the jar) samples the process over the measured seconds only, not the warm-up, and
 * writes the profile when they end. Stacks are split by thread, so the loops, the log writers,
 * Netty's event loops and the load driver each have their own tower; {@code cpu} includes kernel
 * frames (the syncs' page write-back shows there). The file's extension picks the format ({@code
 * .html} an interactive flame graph, {@code .collapsed} folded stacks for scripts, {@code .jfr}).
 * Where the library cannot load (an unsupported OS or CPU), the command refuses the flag before it
 * starts anything.
 */
final class ProfileOption {

  /** The events {@code --profile} accepts (async-profiler's names). */
  static final String[] EVENTS = {"cpu", "wall", "alloc", "lock", "itimer"};

  @Option(names = "--profile",
      description = "Profile the measured seconds with async-profiler: cpu (on-CPU samples, kernel frames included), wall "
          + "(every thread, running or not), alloc (heap allocations), lock (contended locks) or itimer (CPU where perf "
          + "events are not allowed). Off by default.")
  String event;

  @Option(names = "--profile-file",
      description = "Where the profile goes; its extension picks the format: .html a flame graph, .collapsed folded stacks, "
          + ".jfr (default raftflow-<event>.html).")
  Path file;

  /** Refuses an unknown event, a directory as the file, or a platform the profiler cannot run on. */
  void validate(FlagCheck check) {
    if (event == null) {
      check.require(file == null, "--profile-file needs --profile");
      return;
    }
    check.oneOf("--profile", event, EVENTS);
    check.require(!Files.isDirectory(target()), "--profile-file " + target() + " is a directory; name a file")
        .require(!target().toAbsolutePath().toString().contains(","),
            "--profile-file " + target() + ": the path may not contain a comma (the profiler's argument separator)");
    try {
      AsyncProfiler.getInstance();
    } catch (Throwable e) { // UnsatisfiedLinkError or IllegalStateException where no library fits
      check.refuse("--profile: async-profiler cannot run here (" + e.getMessage() + ")");
    }
  }

  /** Starts profiling when {@code --profile} was given; the session's {@link Session#stop()} writes the file. */
  Session start() throws IOException {
    if (event == null) {
      return null;
    }
    AsyncProfiler profiler = AsyncProfiler.getInstance();
    // 1 ms (not the default 10 ms) for CPU and wall clock: a 10 s run gives enough samples per thread
    String interval = event.equals("cpu") || event.equals("itimer") || event.equals("wall") ? ",interval=1ms" : "";
    profiler.execute("start,event=" + event + interval + ",threads");
    return new Session(profiler, event, target());
  }

  private Path target() {
    return file != null ? file : Path.of("raftflow-" + event + ".html");
  }

  /** One profile being taken: {@link #stop()} ends it and writes its file. */
  record Session(AsyncProfiler profiler, String event, Path file) {

    /** Stops sampling and writes the profile; returns the file. */
    Path stop() throws IOException {
      Path abs = file.toAbsolutePath();
      if (abs.getParent() != null) {
        Files.createDirectories(abs.getParent());
      }
      profiler.execute("stop,file=" + abs);
      return abs;
    }
  }
}
