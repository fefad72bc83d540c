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
 * frames (the syncs' page write-back shows there) at a cost to the run, {@code itimer} does not. The file's extension picks the format ({@code
 * .html} an interactive flame graph, {@code .collapsed} folded stacks for scripts, {@code .jfr}).
 * Where the library cannot load (an unsupported OS or CPU), the command refuses the flag before it
 * starts anything.
 */
final class ProfileOption {

  /** The events {@code --profile} accepts (async-profiler's names). */
  static final String[] EVENTS = {"cpu", "wall", "alloc", "lock", "itimer", "ctimer"};

  @Option(names = "--profile",
      description = "Profile the measured seconds with async-profiler: cpu (perf events: kernel frames included, but "
          + "each thread switch pays for them: in a VM this loaded workload can lose a third of its throughput), itimer or "
          + "ctimer (CPU samples from timers: user frames only; itimer barely perturbs the run), wall (every thread, "
          + "running or not), alloc (heap allocations) or lock (contended locks). Off by default.")
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
    profiler.execute("start,event=" + event + ",threads"); // the profiler's default interval (10 ms of CPU)
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
