package dev.raftflow.engine.lab;

import dev.raftflow.engine.RaftOptions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Base of the lab scenario classes: the per-test seed and how clusters are made. Another module
 * runs the same scenarios on its own store by extending a scenario class and overriding
 * {@link #persisters()}.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
public abstract class LabTestBase {

  /** Seeds each scenario and puts the seed into its failure. */
  @RegisterExtension
  public final LabSeed seed = new LabSeed();

  /** The persisters the scenarios' servers use. Default: in memory. */
  protected PersisterFactory persisters() {
    return PersisterFactory.memory();
  }

  /** The node options the scenarios run with. Default: {@link LabOptions#raftOptions()}. */
  protected RaftOptions options() {
    return LabOptions.raftOptions();
  }

  /** The lab's {@code make_config(n, unreliable, snapshot)}. */
  protected LabCluster make(int servers, boolean unreliable, boolean snapshot) {
    LabCluster c = LabCluster.builder()
        .name(seed.testName())
        .seed(seed.seed())
        .servers(servers)
        .unreliable(unreliable)
        .snapshots(snapshot)
        .persisters(persisters())
        .options(options())
        .build();
    seed.attach(c);
    return c;
  }
}
