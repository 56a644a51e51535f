/**
 * sso-sync's one lock between processes: a small file holding the holder's pid, claimed with link() (which fails
 * when the file exists). It keeps two sso-sync processes from writing the AWS config at once, two daemons from
 * running, two processes from rotating the log file at once (or rotating it while `sso-sync log` opens it), from
 * refreshing one session's token at once, and from updating state.json at once.
 *
 * A holder killed while it holds the lock leaves the file behind; the next one sees its pid is gone and takes the
 * lock over at once, instead of waiting for it to go stale. A lock older than `staleMs` is taken over too, whatever
 * its pid says: each lock sets that bound above the longest time a live holder keeps it, so an older lock's pid
 * was reused by something else (the time counts from when the lock was taken). Takeovers take turns (see
 * takeOver), so two processes never both hold the lock; each one is reported (`onTakeover`), never silent.
 *
 * Why this protocol and not a lock that goes stale by age (proper-lockfile, which sso-sync also used until it kept
 * only this one): a lock of a dead holder is seen at once by its pid, rather than after a stale timeout during
 * which every sso-sync waits; and a live holder needs no timer to keep its lock fresh (a daemon holds its pid file
 * for days while it idles without timers, and a timer left running would keep a finished `--once` alive). It is
 * one plain file, and it has a synchronous form for the log file, whose lines are written synchronously.
 *
 * The protocol is written once, as generators that yield each file-system step; a synchronous and an asynchronous
 * runner perform the steps, so that acquireLock and acquireLockSync judge and take over alike.
 */
import { shortSha256Hex } from '../core/short-hash.js';
import { randomHex } from './unique-name.js';
import { linkSync, readdirSync, readFileSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { link, readdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import { errorCode } from '../errors.js';

/** How long to keep trying while a live process holds the lock, and how a holder is judged. */
export interface LockOptions {
  /** Attempts after the first before giving up, waiting `minDelayMs`, doubling up to `maxDelayMs`, in between. */
  attempts: number;
  minDelayMs: number;
  maxDelayMs: number;
  /** What the lock file holds: JSON with this process's `pid`. By default the pid, the time and a random id. */
  content?: string;
  /** Whether the process with this pid still holds its lock (by default: whether it exists at all). */
  alive?: (pid: number) => boolean;
  /** A lock whose times are older than this is taken over whatever its pid (default a minute). */
  staleMs?: number;
  /** The time a lock's age is judged by, and the waits between attempts (acquireLockSync waits in real time). */
  clock?: Clock;
  /** Told of each lock this process takes over from a holder judged gone (and so removes). */
  onTakeover?: (takeover: LockTakeover) => void;
}

/** A lock taken over: which one, and why its holder was judged gone. */
export interface LockTakeover {
  lock: string;
  /** `dead`: its pid no longer holds it; `stale`: older than `staleMs`; `damaged`: holds no pid, or unreadable. */
  reason: 'dead' | 'stale' | 'damaged';
  /** The pid the lock held, when it held one. */
  pid?: number;
  /** How long before the takeover the lock was taken, when its file's time could be read. */
  ageMs?: number;
}

/** The lock is held by a live process (`holderPid`, when known) and was not released while this one waited. */
export class LockBusyError extends Error {
  /** The code callers tested before this class existed (config-file.ts still does). */
  readonly code = 'ELOCKED';
  constructor(
    readonly lockPath: string,
    readonly holderPid: number | undefined,
  ) {
    super(`${lockPath} is held by another sso-sync`);
    this.name = 'LockBusyError';
  }
}

/** A takeover in words, for a log line: what was taken over and why its holder was judged gone. */
export function describeTakeover(takeover: LockTakeover): string {
  const age =
    takeover.ageMs === undefined ? '' : ` (taken ${(Math.max(0, takeover.ageMs) / 1000).toFixed(1)} s before)`;
  const taken = `took over the lock ${takeover.lock}${age}`;
  const pid = takeover.pid ?? 'unknown';
  switch (takeover.reason) {
    case 'dead':
      return `${taken}: its holder, pid ${pid}, is gone (it exited or was killed without releasing it)`;
    case 'stale':
      return `${taken}: no holder keeps it that long, so its pid ${pid} now belongs to another process`;
    case 'damaged':
      return `${taken}: it holds no pid (damaged, or not written by sso-sync)`;
  }
}

/** One file-system step of the protocol; a runner performs it and sends back its result, or throws its error in. */
type Step =
  | { op: 'read'; file: string }
  | { op: 'mtime'; file: string }
  | { op: 'write'; file: string; text: string }
  | { op: 'link'; from: string; to: string }
  | { op: 'touch'; file: string; at: number }
  | { op: 'unlink'; file: string }
  | { op: 'list'; dir: string }
  | { op: 'sleep'; ms: number };

/** A part of the protocol: yields its steps, returns a T. */
type Protocol<T> = Generator<Step, T, unknown>;

function* readStep(file: string): Protocol<string> {
  return (yield { op: 'read', file }) as string;
}

function* mtimeStep(file: string): Protocol<number> {
  return (yield { op: 'mtime', file }) as number;
}

function* listStep(dir: string): Protocol<string[]> {
  try {
    return (yield { op: 'list', dir }) as string[];
  } catch {
    return [];
  }
}

function* removeQuietly(file: string): Protocol<void> {
  try {
    yield { op: 'unlink', file };
  } catch {
    // Already gone, or cannot be removed: nothing more to do about it here.
  }
}

/** How lock files' holders are judged. */
interface Judging {
  alive: (pid: number) => boolean;
  staleMs: number;
  clock: Clock;
}

/** What a lock file's holder was judged to be. */
type Judgement =
  | { state: 'live'; pid: number }
  | { state: 'vanished' }
  | { state: 'gone'; text: string | null; why: Omit<LockTakeover, 'lock'> };

/** True while a process with this pid exists (EPERM means it exists but is someone else's). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) === 'EPERM';
  }
}

/** What a lock file holds: its text, null when it cannot be read, undefined when it does not exist. */
function* lockText(file: string): Protocol<string | null | undefined> {
  try {
    return yield* readStep(file);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? undefined : null;
  }
}

/** The pid a lock's text holds; undefined when it holds none. */
function pidIn(text: string): number | undefined {
  try {
    const pid = Number((JSON.parse(text) as { pid?: unknown }).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Judges a lock file: `live` while its holder runs, `vanished` when it is gone meanwhile (try again at once), or
 * `gone` with the text judged when its holder is dead, its pid reused (older than `staleMs`), or it is damaged.
 */
function* judge(file: string, judging: Judging): Protocol<Judgement> {
  const text = yield* lockText(file);
  if (text === undefined) return { state: 'vanished' };
  if (text === null) return { state: 'gone', text, why: { reason: 'damaged' } };
  let mtimeMs: number;
  try {
    mtimeMs = yield* mtimeStep(file);
  } catch (error) {
    return errorCode(error) === 'ENOENT' ? { state: 'vanished' } : { state: 'gone', text, why: { reason: 'damaged' } };
  }
  const ageMs = judging.clock.now() - mtimeMs;
  const pid = pidIn(text);
  if (pid === undefined) return { state: 'gone', text, why: { reason: 'damaged', ageMs } };
  if (!judging.alive(pid)) return { state: 'gone', text, why: { reason: 'dead', pid, ageMs } };
  if (ageMs > judging.staleMs) return { state: 'gone', text, why: { reason: 'stale', pid, ageMs } };
  return { state: 'live', pid };
}

/**
 * The gate for taking over one file judged gone: named after that file and the text judged, so that each dead
 * lock (or dead gate) has a gate of its own, which exactly one writer's link() can create. Exported for tests.
 */
export function gateFor(lockPath: string, target: string, judged: string | null): string {
  return `${lockPath}.takeover.${shortSha256Hex(`${target}\0${judged ?? '\0unreadable'}`).slice(0, 16)}`;
}

/**
 * Removes `target` (the lock, or a gate) judged gone, if it still holds the text judged. Writers that judged the
 * same file take turns through its gate: only the one whose link() created the gate re-reads and removes it, so no
 * writer removes a lock another has just taken in its place. Returns `waiting` while another writer is in the
 * gate, `removed` when this one removed the target, `changed` when the target no longer held the text judged.
 * A gate left by a writer killed in its few milliseconds there is taken over the same way, one level down. A
 * target that cannot be removed (a directory, no permission) is an error, not a reason to try again at once.
 */
function* takeOver(
  lockPath: string,
  claim: string,
  target: string,
  judged: string | null,
  judging: Judging,
): Protocol<'waiting' | 'removed' | 'changed'> {
  const gate = gateFor(lockPath, target, judged);
  if (!(yield* claimAs(claim, gate, judging.clock))) {
    const holder = yield* judge(gate, judging);
    // Each level down needs a gate file that exists: the files present bound the depth.
    if (holder.state === 'gone') yield* takeOver(lockPath, claim, gate, holder.text, judging);
    return 'waiting';
  }
  try {
    if ((yield* lockText(target)) !== judged) return 'changed';
    try {
      yield { op: 'unlink', file: target };
      return 'removed';
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
      return 'changed';
    }
  } finally {
    yield* removeQuietly(gate);
  }
}

/**
 * Links the claim file at `file` (the lock, or a gate); false when `file` exists. The claim's times become the
 * file's: fresh, so that a new lock or gate is never judged stale, even for the moment after link() (its holder
 * may have waited, or been stopped, a long time before it got here).
 */
function* claimAs(claim: string, file: string, clock: Clock): Protocol<boolean> {
  try {
    yield { op: 'touch', file: claim, at: clock.now() };
  } catch {
    // The claim keeps the time it was written at.
  }
  try {
    yield { op: 'link', from: claim, to: file };
    return true;
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
    return false;
  }
}

/**
 * Removes what writers killed on the way left beside the lock: claim files (`<lock>.<pid>.<random>`) of dead
 * pids, and gates (`<lock>.takeover.<hash>`) of writers killed inside them, through their own gates.
 */
function* removeLeftovers(lockPath: string, claim: string, judging: Judging): Protocol<void> {
  const dir = path.dirname(lockPath);
  const prefix = `${path.basename(lockPath)}.`;
  for (const name of yield* listStep(dir)) {
    if (!name.startsWith(prefix)) continue;
    const file = path.join(dir, name);
    const pid = Number(/^(\d+)\.[0-9a-f]+$/.exec(name.slice(prefix.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) yield* removeQuietly(file);
    if (!name.startsWith(`${prefix}takeover.`)) continue;
    const holder = yield* judge(file, judging);
    if (holder.state !== 'gone') continue;
    try {
      yield* takeOver(lockPath, claim, file, holder.text, judging);
    } catch {
      // A gate that cannot be removed does not keep this writer from the lock it holds.
    }
  }
}

/** Takes the lock with the claim file `mine` wrote, taking over a holder judged gone; throws LockBusyError. */
function* acquire(lockPath: string, mine: string, options: LockOptions, judging: Judging): Protocol<void> {
  const claim = `${lockPath}.${process.pid}.${randomHex(4)}`;
  try {
    yield { op: 'write', file: claim, text: mine };
    for (let attempt = 0; ; attempt++) {
      if (yield* claimAs(claim, lockPath, judging.clock)) {
        yield* removeLeftovers(lockPath, claim, judging);
        return;
      }
      const holder = yield* judge(lockPath, judging);
      if (holder.state === 'vanished') continue;
      if (holder.state === 'gone') {
        const taken = yield* takeOver(lockPath, claim, lockPath, holder.text, judging);
        if (taken === 'removed') options.onTakeover?.({ lock: lockPath, ...holder.why });
        if (taken !== 'waiting') continue;
      }
      if (attempt >= options.attempts)
        throw new LockBusyError(lockPath, holder.state === 'live' ? holder.pid : undefined);
      yield { op: 'sleep', ms: Math.min(options.maxDelayMs, options.minDelayMs * 2 ** attempt) };
    }
  } finally {
    yield* removeQuietly(claim);
  }
}

/** Removes the lock if it is still the one `mine` wrote. */
function* release(lockPath: string, mine: string): Protocol<void> {
  if ((yield* lockText(lockPath)) === mine) yield* removeQuietly(lockPath);
}

/** Performs a step with the synchronous file system; waits by blocking the thread. */
function performSync(step: Step): unknown {
  switch (step.op) {
    case 'read':
      return readFileSync(step.file, 'utf8');
    case 'mtime':
      return statSync(step.file).mtimeMs;
    case 'write':
      writeFileSync(step.file, step.text, { mode: 0o600 });
      return undefined;
    case 'link':
      linkSync(step.from, step.to);
      return undefined;
    case 'touch':
      utimesSync(step.file, new Date(step.at), new Date(step.at));
      return undefined;
    case 'unlink':
      unlinkSync(step.file);
      return undefined;
    case 'list':
      return readdirSync(step.dir);
    case 'sleep':
      // Atomics.wait is the one synchronous sleep; nothing ever wakes this fresh cell.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, step.ms);
      return undefined;
  }
}

/** Performs a step with the asynchronous file system; waits on the clock. */
async function performAsync(step: Step, clock: Clock): Promise<unknown> {
  switch (step.op) {
    case 'read':
      return readFile(step.file, 'utf8');
    case 'mtime':
      return (await stat(step.file)).mtimeMs;
    case 'write':
      return writeFile(step.file, step.text, { mode: 0o600 });
    case 'link':
      return link(step.from, step.to);
    case 'touch':
      return utimes(step.file, new Date(step.at), new Date(step.at));
    case 'unlink':
      return unlink(step.file);
    case 'list':
      return readdir(step.dir);
    case 'sleep':
      return clock.sleep(step.ms);
  }
}

function runSync<T>(protocol: Protocol<T>): T {
  let next = protocol.next();
  while (!next.done) {
    let result: { value: unknown } | { error: unknown };
    try {
      result = { value: performSync(next.value) };
    } catch (error) {
      result = { error };
    }
    next = 'error' in result ? protocol.throw(result.error) : protocol.next(result.value);
  }
  return next.value;
}

async function runAsync<T>(protocol: Protocol<T>, clock: Clock): Promise<T> {
  let next = protocol.next();
  while (!next.done) {
    let result: { value: unknown } | { error: unknown };
    try {
      result = { value: await performAsync(next.value, clock) };
    } catch (error) {
      result = { error };
    }
    next = 'error' in result ? protocol.throw(result.error) : protocol.next(result.value);
  }
  return next.value;
}

/** What this process writes into the lock, and how it judges other holders. */
function prepare(options: LockOptions): { mine: string; judging: Judging } {
  const clock = options.clock ?? systemClock;
  const mine =
    options.content ?? JSON.stringify({ pid: process.pid, at: new Date(clock.now()).toISOString(), id: randomHex(6) });
  return { mine, judging: { alive: options.alive ?? processAlive, staleMs: options.staleMs ?? 60_000, clock } };
}

/** Takes the lock; resolves with its release, or rejects with LockBusyError when a live holder keeps it. */
export async function acquireLock(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
  const { mine, judging } = prepare(options);
  await runAsync(acquire(lockPath, mine, options, judging), judging.clock);
  return () => runAsync(release(lockPath, mine), judging.clock);
}

/**
 * Takes the lock synchronously, blocking the thread between attempts (keep `attempts` and the delays small): for
 * code that cannot wait for a promise, as the log file's writer. Returns its release; throws LockBusyError.
 */
export function acquireLockSync(lockPath: string, options: LockOptions): () => void {
  const { mine, judging } = prepare(options);
  runSync(acquire(lockPath, mine, options, judging));
  return () => {
    runSync(release(lockPath, mine));
  };
}
