package io.multiconnect.lab;

import io.multiconnect.master.MasterMain;
import io.multiconnect.master.core.ClusterVersion;

/**
 * A master of the next release, as far as the cluster version goes: {@code MasterMain} that
 * supports one version more than this release ({@link Lab#runMasterWith}).
 */
public final class NextReleaseMaster {
  private NextReleaseMaster() {}

  public static void main(String[] args) throws Exception {
    MasterMain.run(args, ClusterVersion.SUPPORTED + 1);
  }
}
