/**
 * The choice of the accounts whose roles a scheduled cycle lists, over any sequence of cycles: new accounts are
 * listed at once, no cycle uses a role list roles_max_age old, each account is listed once a turn (at a steady
 * schedule exactly roles_max_age apart), and each cycle lists an even share of the accounts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { dueAccounts } from '../../src/sync/roles-due.js';

const hour = 3600_000;
const minute = 60_000;
const start = Date.parse('2026-01-05T09:00:00Z');

/** An account id from a small pool, so that accounts come, go and come back. */
const accountId = fc.integer({ min: 0, max: 40 }).map((n) => String(100000000000 + n));

/** What one cycle knew before it listed and what it listed. */
interface Cycle {
  now: number;
  due: string[];
  before: Map<string, number>;
  after: Map<string, number>;
}

/** Runs cycles at the times given over the accounts each sees, keeping what a role cache keeps; returns them. */
function runCycles(maxAgeMs: number, cycles: { at: number; accounts: readonly string[] }[]): Cycle[] {
  let listedAt = new Map<string, number>();
  return cycles.map(({ at: now, accounts }) => {
    const { due } = dueAccounts({ accountIds: accounts, listedAt, now, maxAgeMs });
    const after = new Map(accounts.map((id) => [id, due.includes(id) ? now : listedAt.get(id)!]));
    const cycle = { now, due, before: listedAt, after };
    listedAt = after;
    return cycle;
  });
}

/** Cycle times from gaps. */
const times = (gaps: number[]) => gaps.map((_, i) => start + gaps.slice(0, i + 1).reduce((a, b) => a + b, 0));

test('new accounts are listed at once, and no cycle uses a role list roles_max_age old, whatever the times', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 12 * hour }),
      fc.array(fc.record({ gap: fc.integer({ min: 1, max: 8 * hour }), accounts: fc.uniqueArray(accountId) })),
      (maxAgeMs, steps) => {
        const at = times(steps.map((s) => s.gap));
        for (const c of runCycles(
          maxAgeMs,
          steps.map((s, i) => ({ at: at[i]!, accounts: s.accounts })),
        )) {
          for (const [id, listed] of c.after) {
            if (!c.before.has(id)) assert.ok(c.due.includes(id), `new account ${id} is listed at once`);
            assert.ok(c.now - listed < maxAgeMs, `account ${id} used ${(c.now - listed) / minute} min after listing`);
          }
        }
      },
    ),
  );
});

test('each account is listed once a turn: at a steady schedule, exactly roles_max_age apart', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(5 * minute, 30 * minute, hour),
      fc.integer({ min: 1, max: 12 }),
      fc.uniqueArray(accountId, { minLength: 1, maxLength: 30 }),
      (interval, periods, accounts) => {
        const maxAgeMs = periods * interval;
        const cycles = Array.from({ length: periods * 4 }, (_, i) => ({ at: start + i * interval, accounts }));
        const reads = new Map<string, number[]>();
        for (const c of runCycles(maxAgeMs, cycles))
          for (const id of c.due) reads.set(id, [...(reads.get(id) ?? []), c.now]);
        for (const [id, at] of reads) {
          // The first listing is the account's arrival; from its first turn on, one listing a turn.
          const gaps = at.slice(2).map((t, i) => t - at[i + 1]!);
          assert.ok(
            gaps.every((g) => g === maxAgeMs),
            `account ${id} listed at ${at.map((t) => (t - start) / minute).join(', ')} min`,
          );
          assert.ok(at.length >= 4, `account ${id} listed at every turn (${at.length} times in 4 turns)`);
        }
      },
    ),
  );
});

test('at a steady schedule, every cycle after the first lists an even share: N x interval / roles_max_age', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3000 }),
      fc.constantFrom(10 * minute, 30 * minute, hour),
      fc.constantFrom(2 * hour, 6 * hour, 24 * hour),
      (n, interval, maxAgeMs) => {
        const accounts = Array.from({ length: n }, (_, i) => String(200000000000 + i * 7919));
        const cycles = Array.from({ length: (maxAgeMs / interval) * 2 + 1 }, (_, i) => ({
          at: start + i * interval,
          accounts,
        }));
        const counts = runCycles(maxAgeMs, cycles).map((c) => c.due.length);
        assert.equal(counts[0], n, 'the first cycle lists every account (all new)');
        const share = (n * interval) / maxAgeMs;
        for (const c of counts.slice(1)) assert.ok(Math.abs(c - share) <= 1, `${c} listed; share ${share}`);
      },
    ),
    { numRuns: 30 },
  );
});

test('roles_max_age 0 lists every account every cycle; a time after now is not trusted', () => {
  const accounts = ['111111111111', '222222222222'];
  const listedAt = new Map([
    ['111111111111', start - minute],
    ['222222222222', start + hour],
  ]);
  assert.deepEqual(dueAccounts({ accountIds: accounts, listedAt, now: start, maxAgeMs: 0 }), {
    due: accounts,
    fresh: 0,
  });
  const some = dueAccounts({ accountIds: accounts, listedAt, now: start, maxAgeMs: 6 * hour });
  assert.ok(some.due.includes('222222222222'), 'listed "in the future": read again');
});
