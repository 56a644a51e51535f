/**
 * Which accounts' roles a scheduled cycle lists, pure: every new account, and the known ones whose turn has come.
 *
 * Each account has a turn once in every `maxAge` of time (its phase): the accounts, in the order of their ids, are
 * spread evenly over the period. A cycle lists the roles of an account when the account's last turn came after its
 * roles were last listed. So no cycle uses a role list `maxAge` old or older, whatever the times of the cycles; each
 * account is listed once a turn, so at a steady schedule exactly `maxAge` apart; and each cycle lists the accounts
 * whose turns fell since the cycle before: N x interval / maxAge of them.
 */

/** What the choice needs: the accounts now, when each known one was listed, and the times that matter. */
export interface DueInput {
  /** The accounts ListAccounts gave in this cycle. */
  accountIds: readonly string[];
  /** When each known account's roles were last listed (ms since the epoch); an account not here is new. */
  listedAt: ReadonlyMap<string, number>;
  now: number;
  /** How old a role list may grow; 0 or less lists every account every cycle. */
  maxAgeMs: number;
}

/** The accounts whose roles to list now, in the order given: new ones, and known ones whose turn came. */
export interface DueAccounts {
  due: string[];
  /** How many of `due` are new. */
  fresh: number;
}

/** The latest time at or before `t` that is `phase` into a period of `period` (periods counted from the epoch). */
export function lastTurn(t: number, phase: number, period: number): number {
  return Math.floor((t - phase) / period) * period + phase;
}

/** Each account's phase in a period of `maxAgeMs`: the accounts in the order of their ids, spread evenly. */
export function phases(accountIds: readonly string[], maxAgeMs: number): Map<string, number> {
  const sorted = [...new Set(accountIds)].sort();
  return new Map(sorted.map((id, i) => [id, ((i + 0.5) / sorted.length) * maxAgeMs]));
}

/** Chooses the accounts whose roles a cycle lists (see the module comment). */
export function dueAccounts(input: DueInput): DueAccounts {
  const { accountIds, listedAt, now, maxAgeMs } = input;
  const phaseOf = maxAgeMs > 0 ? phases(accountIds, maxAgeMs) : new Map<string, number>();
  const due: string[] = [];
  let fresh = 0;
  for (const id of accountIds) {
    const listed = listedAt.get(id);
    if (listed === undefined) {
      fresh++;
      due.push(id);
      continue;
    }
    // A time after now was not written by a clock that can be trusted: the list is read again.
    const phase = phaseOf.get(id);
    if (phase === undefined || listed > now || listed < lastTurn(now, phase, maxAgeMs)) due.push(id);
  }
  return { due, fresh };
}
