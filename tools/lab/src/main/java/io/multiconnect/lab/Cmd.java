package io.multiconnect.lab;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a short system command (ip, nft, kill) with a time limit. */
public final class Cmd {
  private Cmd() {}

  /** Runs it; fails with its output unless it exits 0 within 10 s. */
  public static String run(String... command) throws IOException {
    return run(List.of(command), null);
  }

  /** Runs it with {@code stdin}; fails with its output unless it exits 0 within 10 s. */
  public static String run(List<String> command, String stdin) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", command) + ": no answer in 10 s");
      }
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", command) + ": exit " + p.exitValue() + ": " + out.trim());
      }
      return out;
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException(String.join(" ", command) + ": interrupted");
    }
  }

  /** Whether it exited 0 within 10 s; never throws (clean-up must go on, probes may fail). */
  public static boolean quietly(String... command) {
    try {
      run(command);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
