package io.multiconnect.dataplane;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/**
 * Node-local settings of a coreapp or webapp: {@code --config FILE} (a properties file whose keys
 * are the variable names, e.g. {@code MC_MASTERS=...}), overridden by the environment.
 */
public final class NodeSettings {
  private NodeSettings() {}

  /** Merges the optional config file named by {@code --config} with {@code env} (env wins). */
  public static Map<String, String> load(String[] args, Map<String, String> env) {
    Map<String, String> merged = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        Properties p = new Properties();
        Path file = Path.of(args[++i]);
        try (Reader r = Files.newBufferedReader(file)) {
          p.load(r);
        } catch (IOException e) {
          throw new IllegalArgumentException(
              "--config: cannot read " + file + ": " + e.getMessage());
        }
        p.stringPropertyNames().forEach(k -> merged.put(k, p.getProperty(k).trim()));
      } else {
        throw new IllegalArgumentException(
            "unknown argument '" + args[i] + "' (only --config FILE)");
      }
    }
    env.forEach(
        (k, v) -> {
          if (k.startsWith("MC_") || k.equals("WA_API_KEY")) {
            merged.put(k, v);
          }
        });
    return merged;
  }
}
