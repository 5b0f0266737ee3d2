package io.multiconnect.master.core;

/**
 * Why a command or request was refused: the offending field (as the caller spelled it on the wire)
 * and a sentence a person can act on. An expected outcome, not an exception.
 */
public record Rejection(String field, String message) {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
