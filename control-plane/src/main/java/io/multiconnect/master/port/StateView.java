package io.multiconnect.master.port;

import io.multiconnect.master.core.ClusterState;

/** The newest state this master applied. */
@FunctionalInterface
public interface StateView {
  ClusterState state();
}
