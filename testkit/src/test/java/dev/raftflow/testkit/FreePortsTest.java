package dev.raftflow.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FreePortsTest {

  @Test
  void portsAreBelowTheEphemeralRangeDistinctAndBindable() throws Exception {
    int ephemeralLow = FreePorts.ephemeralLow(Path.of("/proc/sys/net/ipv4/ip_local_port_range"));
    if (Files.exists(Path.of("/proc/sys/net/ipv4/ip_local_port_range"))) {
      assertThat(ephemeralLow).as("the range file is read whole (a short read once gave 3)").isGreaterThan(1024);
    }
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      int port = FreePorts.forServer();
      assertThat(seen.add(port)).as("port %d handed out twice", port).isTrue();
      if (ephemeralLow - 10_000 >= 1_000) {
        assertThat(port).isBetween(10_000, ephemeralLow - 1);
      }
      try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThat(s.getLocalPort()).isEqualTo(port);
      }
    }
  }

  @Test
  void theRangeFileNamesTheEphemeralLowOrLinuxDefaultApplies(@TempDir Path dir) throws Exception {
    Path range = dir.resolve("range");
    Files.writeString(range, "40000\t60999\n");
    assertThat(FreePorts.ephemeralLow(range)).isEqualTo(40_000);
    assertThat(FreePorts.ephemeralLow(dir.resolve("missing"))).isEqualTo(32_768);
    Files.writeString(range, "garbage");
    assertThat(FreePorts.ephemeralLow(range)).isEqualTo(32_768);
  }
}
