/** Async work over a list, or added as it comes, with a bound on how much is in flight at once. */

/**
 * Runs work as it is added, at most `limit` at once, in the order added; `settled()` resolves once all of it has
 * ended and throws the first failure. After a failure, work not yet started is skipped.
 */
export class BoundedWork {
  private active = 0;
  /** Work waiting for a slot: each is handed the slot of the work that ends. */
  private readonly waiting: (() => void)[] = [];
  private readonly all: Promise<void>[] = [];
  private failure: { error: unknown } | undefined;

  constructor(private readonly limit: number) {}

  /** Adds work; it starts when a slot is free. */
  add(work: () => Promise<void>): void {
    this.all.push(this.run(work));
  }

  /** True once some work failed: no new work starts. */
  failed(): boolean {
    return this.failure !== undefined;
  }

  /** Stops new work with this error (the caller's own failure), as if some work had failed with it. */
  fail(error: unknown): void {
    this.failure ??= { error };
  }

  /** Resolves once every work added so far has ended (more may be added meanwhile); throws the first failure. */
  async settled(): Promise<void> {
    let seen = 0;
    while (seen < this.all.length) {
      const batch = this.all.slice(seen);
      seen = this.all.length;
      await Promise.all(batch);
    }
    if (this.failure) throw this.failure.error;
  }

  private async run(work: () => Promise<void>): Promise<void> {
    if (this.active < this.limit) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      if (!this.failure) await work();
    } catch (error) {
      this.failure ??= { error };
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

/** Runs async work over a list with at most `limit` in flight; the first failure stops new work and is thrown. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await work(items[i]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
  return results;
}
