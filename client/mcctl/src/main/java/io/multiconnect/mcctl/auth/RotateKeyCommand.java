package io.multiconnect.mcctl.auth;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.RotateTokenKeyResponse;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl auth rotate-key}. */
@Command(
    name = "rotate-key",
    mixinStandardHelpOptions = true,
    description =
        "Make a new key that signs API tokens. Tokens signed with an older key stay valid until"
            + " they expire (7 days at most); new logins get tokens of the new key.")
public final class RotateKeyCommand implements Callable<Integer> {
  @ParentCommand AuthCommand group;
  @Spec CommandSpec spec;

  @Option(
      names = "--drop-previous",
      description =
          "Accept no token of an older key from now on (after a key leaked): every user logs in"
              + " again.")
  boolean dropPrevious;

  @Override
  public Integer call() {
    RotateTokenKeyResponse r;
    try (AdminClient client = group.root.client()) {
      r = client.rotateTokenKey(dropPrevious);
    }
    group.root.print(
        spec.commandLine(),
        "new token key "
            + r.getKeyId()
            + " at index "
            + r.getVersion()
            + "; older keys still accepted for their tokens: "
            + (r.getRetiredKeyIdsList().isEmpty()
                ? "none"
                : String.join(", ", r.getRetiredKeyIdsList()))
            + "\n",
        Map.of(
            "key_id",
            r.getKeyId(),
            "version",
            r.getVersion(),
            "retired_key_ids",
            r.getRetiredKeyIdsList()));
    return 0;
  }
}
