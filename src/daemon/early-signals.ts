/**
 * The daemon's signals, caught from the first moment: until the daemon is ready to hear them (its modules loaded,
 * its settings read), a SIGTERM, SIGINT or SIGHUP would end the process by Node's default action (exit 143 for
 * SIGTERM) instead of the documented clean stop. Caught here first, each is kept and handed to the daemon's own
 * handler as soon as it subscribes.
 */

/** The signals the daemon handles. */
export const daemonSignals = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Where signals come from: `process`, or a test's emitter. */
export type SignalSource = Pick<NodeJS.Process, 'on' | 'off'>;

/** Signal subscription for the daemon, as `process.on`/`off` take it, with the signals caught before it. */
export interface CaughtSignals {
  on(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): CaughtSignals;
  off(signal: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): CaughtSignals;
}

/**
 * Takes over the daemon's signals from `source` now. A signal that arrives with no listener is kept (each kind
 * once: a second SIGTERM asks nothing more than the first) and delivered to the first listener of its kind.
 */
export function catchSignals(source: SignalSource): CaughtSignals {
  const listeners = new Map<NodeJS.Signals, Set<(signal: NodeJS.Signals) => void>>();
  const kept = new Set<NodeJS.Signals>();
  const deliver = (signal: NodeJS.Signals) => {
    const heard = listeners.get(signal);
    if (heard === undefined || heard.size === 0) kept.add(signal);
    else for (const listener of [...heard]) listener(signal);
  };
  for (const signal of daemonSignals) source.on(signal, deliver);
  const caught: CaughtSignals = {
    on(signal, listener) {
      const heard = listeners.get(signal) ?? new Set();
      heard.add(listener);
      listeners.set(signal, heard);
      if (kept.delete(signal)) queueMicrotask(() => listener(signal));
      return caught;
    },
    off(signal, listener) {
      listeners.get(signal)?.delete(listener);
      return caught;
    },
  };
  return caught;
}
