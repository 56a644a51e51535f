/** How a lock taken over from a holder judged gone is logged: a warning with the stable event `lock.taken_over`. */
import { describeTakeover, type LockTakeover } from '../fs/lock-file.js';
import type { Logger } from './logger.js';

/** The `onTakeover` of a lock whose takeovers go to this log as warnings. */
export function warnOfTakeover(log: Pick<Logger, 'warn'>): (takeover: LockTakeover) => void {
  return (takeover) => {
    log.warn(
      {
        event: 'lock.taken_over',
        lock: takeover.lock,
        reason: takeover.reason,
        ...(takeover.pid === undefined ? {} : { holderPid: takeover.pid }),
        ...(takeover.ageMs === undefined ? {} : { ageMs: Math.round(takeover.ageMs) }),
      },
      describeTakeover(takeover),
    );
  };
}
