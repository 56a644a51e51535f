/**
 * Waits for a pattern in the output of a child process as it grows. `consume`: each match is taken, and the next
 * wait looks only after it (a terminal answered prompt by prompt); otherwise every wait looks at the whole output.
 */
export interface OutputWaiters {
  /** Call on every new piece of output. */
  check: () => void;
  waitFor: (pattern: RegExp, timeoutMs: number) => Promise<RegExpMatchArray>;
}

export function outputWaiters(shown: () => string, consume: boolean, where: string): OutputWaiters {
  let cursor = 0;
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      const m = w.pattern.exec(shown().slice(cursor));
      if (!m) continue;
      if (consume) cursor += m.index + m[0].length;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(m);
    }
  };
  return {
    check,
    waitFor: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const limit = setTimeout(
          () => reject(new Error(`no ${pattern} ${where}:\n${shown().slice(cursor)}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (m) => {
            clearTimeout(limit);
            resolve(m);
          },
        });
        check();
      }),
  };
}
