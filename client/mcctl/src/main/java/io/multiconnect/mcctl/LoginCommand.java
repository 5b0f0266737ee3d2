package io.multiconnect.mcctl;

import io.multiconnect.client.AdminClient;
import io.multiconnect.proto.v1.LoginResponse;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code mcctl login}: checks the password (changing it when asked) and prints a token. */
@Command(
    name = "login",
    mixinStandardHelpOptions = true,
    description =
        "Log in with --user and the password (--password-file or $MC_ADMIN_PASSWORD) and print a"
            + " token for MC_ADMIN_TOKEN. The first login of a new cluster must set a new password"
            + " (the default admin password is 'secret').")
public final class LoginCommand implements Callable<Integer> {
  @ParentCommand Mcctl root;
  @Spec CommandSpec spec;

  @Option(
      names = "--new-password-file",
      description = "File holding a new password to set (required at the first login).")
  Path newPasswordFile;

  @Override
  public Integer call() throws IOException {
    String newPassword = newPasswordFile == null ? "" : Files.readString(newPasswordFile).strip();
    LoginResponse r;
    try (AdminClient client = root.client()) {
      r = client.login(root.user(), root.password(), newPassword);
    }
    root.print(
        spec.commandLine(),
        r.getToken() + "\n",
        Map.of("token", r.getToken(), "expires_at", r.getExpiresAtUnixSeconds()));
    return 0;
  }
}
