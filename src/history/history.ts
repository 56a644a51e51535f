/**
 * The history in sso-sync's log lines: which lines count, how they are filtered, and how a person or a script reads
 * them.
 */
import { isSecretKey, masked } from '../core/secrets.js';

/**
 * The events that make up the history: what happened to the profiles, and why it did not happen.
 * `login.completed` is there because it closes a `login.required`; `token.refreshed` is not: the daemon refreshes
 * tokens many times a day without changing anything, and the lines stay in the log file for `jq`.
 */
export const historyEvents = [
  'profile.added',
  'profile.removed',
  'profile.changed',
  'profile.renamed',
  'sync.held',
  'login.required',
  'sync.failed',
  'block.edited',
  'login.completed',
] as const;

/** One of the history's events. */
export type HistoryEvent = (typeof historyEvents)[number];

/** A key of a changed profile, with its values before and after (absent when the key was added or removed). */
export interface KeyChange {
  key: string;
  before?: string;
  after?: string;
}

/** One event of the history, read from a log line. */
export interface HistoryEntry {
  /** The line's time, as logged (ISO 8601, UTC). */
  time: string;
  /** The same time in milliseconds since the epoch. */
  at: number;
  event: HistoryEvent;
  session?: string;
  profile?: string;
  accountId?: string;
  role?: string;
  /** profile.changed (and profile.renamed, when keys changed with the name): the keys that changed. */
  keys?: KeyChange[];
  /** profile.renamed: the name before (`profile` is the new one). */
  from?: string;
  /** The line's message, kept for the events that are not about one profile. */
  message?: string;
  /** sync.held: how many profiles the update would have removed, of how many. */
  wouldRemove?: number;
  of?: number;
  /** block.edited: the sections replaced and where the previous file was saved. */
  replaced?: string[];
  backup?: string;
  /** login.completed: how the person signed in. */
  flow?: string;
}

/** What the log lines held. */
export interface ParsedHistory {
  entries: HistoryEntry[];
  /** Lines that are not a log object with a valid time, other than a file's unfinished last line. */
  damaged: number;
}

const wanted = new Set<string>(historyEvents);

/**
 * Reads the history from log files' texts, oldest file first; never throws on damaged lines. The result is sorted by
 * time.
 */
export function parseHistory(texts: readonly string[]): ParsedHistory {
  const entries: HistoryEntry[] = [];
  let damaged = 0;
  for (const text of texts) {
    const lines = text.split('\n');
    // What follows the last newline is a line still being written, or cut short by a crash: not damage.
    const unfinished = lines.pop() ?? '';
    const read = (line: string, last: boolean) => {
      if (line.trim() === '') return;
      const entry = parseLine(line);
      if (entry === 'damaged') damaged += last ? 0 : 1;
      else if (entry) entries.push(entry);
    };
    for (const line of lines) read(line, false);
    read(unfinished, true);
  }
  // Several processes share the files and a rotation can leave a newer line in an older file: order by time.
  entries.sort((a, b) => a.at - b.at);
  return { entries, damaged };
}

function parseLine(line: string): HistoryEntry | 'damaged' | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return 'damaged';
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'damaged';
  const o = value as Record<string, unknown>;
  if (typeof o.event !== 'string' || !wanted.has(o.event)) return undefined;
  // A dry run changed nothing.
  if (o.dryRun === true) return undefined;
  const at = typeof o.time === 'string' ? Date.parse(o.time) : typeof o.time === 'number' ? o.time : NaN;
  if (!Number.isFinite(at)) return 'damaged';
  const entry: HistoryEntry = { time: new Date(at).toISOString(), at, event: o.event as HistoryEvent };
  for (const k of ['session', 'profile', 'accountId', 'role', 'backup', 'flow', 'from'] as const) {
    if (typeof o[k] === 'string') entry[k] = o[k];
  }
  if (entry.event === 'profile.changed' || (entry.event === 'profile.renamed' && o.keys !== undefined))
    entry.keys = keyChanges(o.keys);
  else if (!entry.event.startsWith('profile.') && typeof o.msg === 'string') entry.message = o.msg;
  if (typeof o.wouldRemove === 'number') entry.wouldRemove = o.wouldRemove;
  if (typeof o.of === 'number') entry.of = o.of;
  if (Array.isArray(o.replaced)) entry.replaced = o.replaced.filter((s): s is string => typeof s === 'string');
  return entry;
}

function keyChanges(value: unknown): KeyChange[] {
  if (!Array.isArray(value)) return [];
  const changes: KeyChange[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null || typeof (item as KeyChange).key !== 'string') continue;
    const { key, before, after } = item as Record<string, unknown>;
    const change: KeyChange = { key: key as string };
    // sso-sync masks secret values before logging; mask again so a line written otherwise cannot show one.
    const show = (v: unknown) => (typeof v !== 'string' ? undefined : isSecretKey(key as string) ? masked : v);
    const b = show(before);
    const a = show(after);
    if (b !== undefined) change.before = b;
    if (a !== undefined) change.after = a;
    changes.push(change);
  }
  return changes;
}

/** Which entries to show. */
export interface HistoryFilter {
  since?: Date;
  session?: string;
}

/** The entries the filter keeps. */
export function filterHistory(entries: readonly HistoryEntry[], filter: HistoryFilter): HistoryEntry[] {
  const since = filter.since?.getTime();
  return entries.filter(
    (e) => (since === undefined || e.at >= since) && (filter.session === undefined || e.session === filter.session),
  );
}

/**
 * An entry as one object of `sso-sync log --json`: always time, event, session, profile, accountId and role (null when
 * not about one).
 */
export function historyJson(e: HistoryEntry): Record<string, unknown> {
  const json: Record<string, unknown> = {
    time: e.time,
    event: e.event,
    session: e.session ?? null,
    profile: e.profile ?? null,
    accountId: e.accountId ?? null,
    role: e.role ?? null,
  };
  if (e.event === 'profile.changed') json.keys = e.keys ?? [];
  if (e.event === 'profile.renamed') Object.assign(json, { from: e.from ?? null, keys: e.keys ?? [] });
  if (e.event === 'sync.held') Object.assign(json, { wouldRemove: e.wouldRemove ?? null, of: e.of ?? null });
  if (e.event === 'block.edited') Object.assign(json, { replaced: e.replaced ?? [], backup: e.backup ?? null });
  if (e.event === 'login.completed') json.flow = e.flow ?? null;
  if (e.message !== undefined) json.message = e.message;
  return json;
}

/** A moment as a person reads it in the log: local date and time to the minute. */
export function localMinute(at: number): string {
  const d = new Date(at);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Text from a log file shown on a terminal: control characters could move the cursor or fake a line. */
function clean(text: string): string {
  return text.replace(/\p{Cc}+/gu, ' ');
}

/** One mark for each kind of entry (the README's `sso-sync log` section lists them). */
const marks: Record<HistoryEvent, string> = {
  'profile.added': '+',
  'profile.removed': '-',
  'profile.changed': '~',
  'profile.renamed': '=',
  'sync.held': '!',
  'login.required': '?',
  'sync.failed': 'x',
  'block.edited': '*',
  'login.completed': '>',
};

/** Entries shown as one line: the same non-profile entry repeated in a row (say, sign-in required at every sync). */
interface Run {
  entry: HistoryEntry;
  count: number;
  lastAt: number;
}

/**
 * Folds repeats: an entry that is not about a profile, right after one of the same kind, session and text, adds to
 * its count instead of taking a line of its own.
 */
function foldRepeats(entries: readonly HistoryEntry[]): Run[] {
  const runs: Run[] = [];
  for (const entry of entries) {
    const last = runs.at(-1);
    const same =
      last !== undefined &&
      !entry.event.startsWith('profile.') &&
      last.entry.event === entry.event &&
      last.entry.session === entry.session &&
      describeEvent(last.entry) === describeEvent(entry);
    if (same) {
      last.count += 1;
      last.lastAt = entry.at;
    } else runs.push({ entry, count: 1, lastAt: entry.at });
  }
  return runs;
}

/** A run's time: its minute, or its first and last minutes when it repeats (`10:00-10:01`, the date shown once). */
function runTime(run: Run): string {
  const first = localMinute(run.entry.at);
  if (run.count === 1) return first;
  const last = localMinute(run.lastAt);
  return last.slice(0, 10) === first.slice(0, 10) ? `${first}-${last.slice(11)}` : `${first}-${last}`;
}

/**
 * The entries as aligned lines: time, session, a mark (+ added, - removed, ~ changed, = renamed, ! held, ? sign-in
 * required, x failed, * hand edit replaced, > signed in), profile (for a rename, `old -> new`), account, role.
 * Repeats of one trouble in a row are one line with a count (`sign-in required x4`) and the span of their times.
 */
export function formatHistory(entries: readonly HistoryEntry[]): string[] {
  const runs = foldRepeats(entries);
  const timeWidth = Math.max(0, ...runs.map((r) => runTime(r).length));
  const width = (f: (e: HistoryEntry) => string | undefined) =>
    Math.max(0, ...entries.map((e) => clean(f(e) ?? '').length));
  const sessionWidth = width((e) => e.session);
  const profileWidth = width((e) => (e.event.startsWith('profile.') ? profileText(e) : undefined));
  const accountWidth = width((e) => (e.event.startsWith('profile.') ? e.accountId : undefined));
  const roleWidth = width((e) => (withKeys(e) ? e.role : undefined));
  return runs.map((run) => {
    const e = run.entry;
    const session = clean(e.session ?? '-').padEnd(sessionWidth);
    const head = `${runTime(run).padEnd(timeWidth)}  ${session}  ${marks[e.event]} `;
    if (e.event.startsWith('profile.')) {
      const role = clean(e.role ?? '?');
      const columns =
        `${clean(profileText(e)).padEnd(profileWidth)}  ${clean(e.accountId ?? '?').padEnd(accountWidth)} ` + ` `;
      if (!withKeys(e)) return `${head}${columns}${role}`.trimEnd();
      return `${head}${columns}${role.padEnd(roleWidth)}  ${clean(describeKeys(e.keys ?? []))}`.trimEnd();
    }
    const text = clean(describeEvent(e));
    if (run.count === 1) return `${head}${text}`.trimEnd();
    // "sign-in required x4: token for ..." : the count goes after the words before the first colon.
    const colon = text.indexOf(': ');
    const counted =
      colon === -1 ? `${text} x${run.count}` : `${text.slice(0, colon)} x${run.count}${text.slice(colon)}`;
    return `${head}${counted}`.trimEnd();
  });
}

/** The profile column: the name, or for a rename the old and the new name. */
function profileText(e: HistoryEntry): string {
  return e.event === 'profile.renamed' ? `${e.from ?? '?'} -> ${e.profile ?? '?'}` : (e.profile ?? '?');
}

/** Whether an entry's line lists changed keys: a change, or a rename that changed keys too. */
const withKeys = (e: HistoryEntry) =>
  e.event === 'profile.changed' || (e.event === 'profile.renamed' && (e.keys?.length ?? 0) > 0);

function describeKeys(keys: readonly KeyChange[]): string {
  return keys.map((k) => `${k.key}: ${k.before ?? '(none)'} -> ${k.after ?? '(none)'}`).join('; ');
}

function describeEvent(e: HistoryEntry): string {
  switch (e.event) {
    case 'sync.held':
      return e.wouldRemove !== undefined && e.of !== undefined
        ? `update held: it would have removed ${e.wouldRemove} of ${e.of} profiles; the block was left as it was`
        : `update held: ${e.message ?? 'it would have removed too many profiles'}`;
    case 'login.required':
      return `sign-in required: ${e.message ?? ''}`;
    case 'sync.failed':
      return `sync failed: ${e.message ?? ''}`;
    case 'block.edited': {
      const what = e.replaced?.length ? e.replaced.join(', ') : 'comments or spacing';
      return `hand edits to the block replaced (${what})${e.backup ? `; previous file saved in ${e.backup}` : ''}`;
    }
    case 'login.completed':
      return `signed in${e.flow ? ` (${e.flow})` : ''}`;
    default:
      return e.message ?? '';
  }
}

/** A count of the entries by kind, for the summary line: "3 added, 1 removed, 1 held". */
export function countHistory(entries: readonly HistoryEntry[]): string {
  const counts = new Map<HistoryEvent, number>();
  for (const e of entries) counts.set(e.event, (counts.get(e.event) ?? 0) + 1);
  const words: [HistoryEvent, string, string][] = [
    ['profile.added', 'added', 'added'],
    ['profile.removed', 'removed', 'removed'],
    ['profile.changed', 'changed', 'changed'],
    ['profile.renamed', 'renamed', 'renamed'],
    ['sync.held', 'update held', 'updates held'],
    ['sync.failed', 'failed sync', 'failed syncs'],
    ['login.required', 'sign-in required', 'sign-ins required'],
    ['login.completed', 'sign-in', 'sign-ins'],
    ['block.edited', 'hand-edited block replaced', 'hand-edited blocks replaced'],
  ];
  return words
    .filter(([event]) => counts.has(event))
    .map(([event, one, many]) => `${counts.get(event)} ${counts.get(event) === 1 ? one : many}`)
    .join(', ');
}
