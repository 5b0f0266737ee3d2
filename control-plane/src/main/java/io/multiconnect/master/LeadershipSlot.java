package io.multiconnect.master;

import io.multiconnect.master.port.Leadership;
import java.util.Optional;
import java.util.function.LongPredicate;

/**
 * Where this master's current {@link Leadership} lives. Ratis reports "ready as leader" on its
 * apply thread and "another master leads" on other threads, in no order guaranteed between them:
 * both transitions run under one lock, and a new leadership is kept only if Ratis, asked once it is
 * in place, still has this master leading in its term. A step-down that raced the leadership's
 * making therefore ends it, whichever callback ran first. Reads take no lock.
 */
final class LeadershipSlot {
  private volatile Leadership current; // written under this object's lock

  /** The leadership in place, while it has not ended. */
  Optional<Leadership> current() {
    return Optional.ofNullable(current).filter(Leadership::isCurrent);
  }

  /**
   * Puts {@code next} in place, ending the one before, and keeps it only if {@code leadsInTerm}
   * (asked after it is in place) confirms this master still leads in its term; otherwise ends it at
   * once. Returns whether it was kept.
   */
  synchronized boolean ready(Leadership next, LongPredicate leadsInTerm) {
    if (current != null) {
      current.end();
    }
    current = next;
    if (leadsInTerm.test(next.term())) {
      return true;
    }
    next.end();
    current = null;
    return false;
  }

  /**
   * Another master leads: ends and drops the leadership in place, returning it if there was one.
   */
  synchronized Optional<Leadership> stepDown() {
    Leadership ended = current;
    current = null;
    if (ended != null) {
      ended.end();
    }
    return Optional.ofNullable(ended);
  }
}
