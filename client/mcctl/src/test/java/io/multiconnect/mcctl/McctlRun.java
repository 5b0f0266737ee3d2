package io.multiconnect.mcctl;

import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * One in-process mcctl run, as a user would see it: exit code, standard output, standard error. The
 * in-process clusters speak plaintext: {@link #of} says so ({@code --plaintext}).
 */
record McctlRun(int exit, String out, String err) {

  static McctlRun of(String... args) {
    String[] plaintext = new String[args.length + 1];
    plaintext[0] = "--plaintext";
    System.arraycopy(args, 0, plaintext, 1, args.length);
    return exactly(plaintext);
  }

  /** A run with exactly these arguments. */
  static McctlRun exactly(String... args) {
    CommandLine cmd = Mcctl.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int exit = cmd.execute(args);
    return new McctlRun(exit, out.toString(), err.toString());
  }
}
