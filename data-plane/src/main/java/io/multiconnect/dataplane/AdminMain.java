package io.multiconnect.dataplane;

import io.grpc.StatusRuntimeException;
import io.multiconnect.proto.v1.ClusterStatus;
import io.multiconnect.proto.v1.GetStatusRequest;
import io.multiconnect.proto.v1.SetShardCountRequest;

/**
 * A minimal admin command for scripts and the demo: {@code AdminMain --masters h:p,... status |
 * set-shards N}. Exit codes: 0 done, 1 refused or no leader, 2 usage.
 */
public final class AdminMain {
  private AdminMain() {}

  public static void main(String[] args) {
    if (args.length < 3 || !args[0].equals("--masters")) {
      System.err.println("usage: AdminMain --masters host:port,... (status | set-shards N)");
      System.exit(2);
    }
    try (AdminForwarder admin = new AdminForwarder(Endpoints.parseList("--masters", args[1]))) {
      switch (args[2]) {
        case "status" -> {
          ClusterStatus s = admin.call(a -> a.getStatus(GetStatusRequest.getDefaultInstance()));
          System.out.println(
              "leader "
                  + s.getLeader().getLeaderId()
                  + ", term "
                  + s.getTerm()
                  + ", shards "
                  + s.getShardMap().getShardCount()
                  + ", coreapps "
                  + s.getCoreappsCount());
        }
        case "set-shards" -> {
          int n = Integer.parseInt(args[3]);
          admin.call(
              a -> a.setShardCount(SetShardCountRequest.newBuilder().setShardCount(n).build()));
          System.out.println("shard count set to " + n);
        }
        default -> {
          System.err.println("unknown command '" + args[2] + "'");
          System.exit(2);
        }
      }
    } catch (StatusRuntimeException e) {
      System.err.println("refused: " + e.getStatus().getDescription());
      System.exit(1);
    } catch (AdminForwarder.NoMasterException e) {
      System.err.println(e.getMessage());
      System.exit(1);
    } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
      System.err.println(
          "usage: AdminMain --masters host:port,... (status | set-shards N): " + e.getMessage());
      System.exit(2);
    }
  }
}
