package dev.raftflow.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Test helper: a {@code node} command in a child JVM on this module's test classpath, and free loopback ports. */
final class NodeProcess {

  private NodeProcess() {}

  /**
   * Starts {@code node args} in a child JVM (what {@code raftflow.jar node} runs), copies what it
   * prints into {@code output}, echoes its error lines tagged with {@code id}, and waits until it
   * printed {@code READY}.
   */
  static Process launch(String id, List<String> args, StringBuffer output) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-Dchronicle.analytics.disable=true");
    for (String flag : System.getProperty("chronicle.jvm.flags", "").split("\\s+")) {
      if (!flag.isBlank()) {
        cmd.add(flag);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(NodeCommand.class.getName());
    cmd.addAll(args);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CountDownLatch ready = new CountDownLatch(1);
    Thread pump = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          output.append(line).append('\n');
          if (line.startsWith("READY")) {
            ready.countDown();
          }
          if (line.contains("ERROR") || line.contains("Exception")) {
            System.out.println("[" + id + "] " + line);
          }
        }
      } catch (IOException e) {
        // process gone
      }
    }, "out-" + id);
    pump.setDaemon(true);
    pump.start();
    assertThat(ready.await(30, TimeUnit.SECONDS)).as("%s printed READY; it printed:%n%s", id, output).isTrue();
    return p;
  }

}
