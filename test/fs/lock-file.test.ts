/**
 * The lock between sso-sync processes (the AWS config's write lock, the daemon's pid file): at most one holder at
 * any moment, also while several writers find the lock of a writer that was killed and all try to take it over at
 * once.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../../src/clock/clock.js';
import {
  acquireLock,
  acquireLockSync,
  describeTakeover,
  gateFor,
  LockBusyError,
  type LockTakeover,
} from '../../src/fs/lock-file.js';
import { tempDir } from '../helpers/temp-dir.js';
import { deadPid, leaveDeadLock } from './dead-lock.js';

const wait = { attempts: 200, minDelayMs: 1, maxDelayMs: 5 };

test("writers that all find a killed writer's lock at once take it over one at a time", async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  const dead = deadPid();
  let inside = 0;
  let most = 0;
  let entries = 0;
  for (let round = 0; round < 60; round++) {
    writeFileSync(lock, JSON.stringify({ pid: dead, at: new Date().toISOString(), id: `dead-${round}` }));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const release = await acquireLock(lock, wait);
        inside += 1;
        entries += 1;
        most = Math.max(most, inside);
        await sleep(Math.random() * 3);
        inside -= 1;
        await release();
      }),
    );
  }
  assert.equal(entries, 240);
  assert.equal(most, 1, 'never two holders at once');
  assert.deepEqual(readdirSync(dir), [], 'no lock, claim or taken-over file is left');
});

test("a lock left by a killed writer, or damaged, is taken over at once; a live holder's is waited for", async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'x' }));
  await (
    await acquireLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 })
  )();
  writeFileSync(lock, 'not json');
  await (
    await acquireLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 })
  )();
  const release = await acquireLock(lock, wait);
  await assert.rejects(acquireLock(lock, { attempts: 2, minDelayMs: 1, maxDelayMs: 1 }), { code: 'ELOCKED' });
  await release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a takeover gate left by a writer killed inside it does not block later takeovers, and is removed', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  const dead = JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'lock' });
  writeFileSync(lock, dead);
  // Killed inside the gate for that dead lock, before removing it.
  writeFileSync(
    gateFor(lock, lock, dead),
    JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'gate' }),
  );
  await (
    await acquireLock(lock, { attempts: 2, minDelayMs: 1, maxDelayMs: 1 })
  )();
  assert.deepEqual(readdirSync(dir), []);
  // Killed inside a gate after removing the dead lock: the next writer gets the lock at once, and removes the gate.
  writeFileSync(
    `${lock}.takeover.0123456789abcdef`,
    JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'gate' }),
  );
  await (
    await acquireLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 })
  )();
  assert.deepEqual(readdirSync(dir), []);
});

test('a chain of gates, each left by a writer killed inside the one before, is taken over to its end', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  let target = lock;
  let text = JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'lock' });
  writeFileSync(lock, text);
  for (let level = 1; level <= 5; level++) {
    const gate = gateFor(lock, target, text);
    text = JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: `gate-${level}` });
    writeFileSync(gate, text);
    target = gate;
  }
  await (
    await acquireLock(lock, { attempts: 10, minDelayMs: 1, maxDelayMs: 1 })
  )();
  assert.deepEqual(readdirSync(dir), []);
});

test('a lock that cannot be removed (a directory in its place) is an error at once, not a loop', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  mkdirSync(lock);
  const started = Date.now();
  await assert.rejects(
    acquireLock(lock, { attempts: 3, minDelayMs: 1, maxDelayMs: 1 }),
    (error: NodeJS.ErrnoException) => error.code !== 'ELOCKED' && error.code !== undefined,
  );
  assert.ok(Date.now() - started < 2_000);
  assert.deepEqual(readdirSync(dir), ['config.sso-sync.lock']);
});

test('separate processes that find a dead lock and a dead gate at once hold the lock one at a time, synchronous form or not', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  // The writers' log lives in a directory of its own: the lock's must be empty at the end.
  const log = path.join(tempDir(t, 'sso-sync-lock-'), 'log');
  const child = fileURLToPath(new URL('./lock-child.js', import.meta.url));
  for (let round = 0; round < 20; round++) {
    const dead = JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: `dead-${round}` });
    writeFileSync(lock, dead);
    // Every other round, a writer was also killed inside the gate for that lock.
    if (round % 2 === 1)
      writeFileSync(
        gateFor(lock, lock, dead),
        JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: `gate-${round}` }),
      );
    const codes = await Promise.all(
      Array.from(
        { length: 3 },
        (_, i) =>
          new Promise<number | null>((resolve) =>
            // One of the three takes the lock with the synchronous form: both forms keep each other out.
            spawn(process.execPath, [child, lock, log, ...(i === 0 ? ['sync'] : [])], { stdio: 'inherit' }).on(
              'close',
              resolve,
            ),
          ),
      ),
    );
    assert.deepEqual(codes, [0, 0, 0]);
  }
  const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
  assert.equal(lines.length, 120);
  for (let i = 0; i < lines.length; i += 2) {
    assert.ok(
      lines[i]!.startsWith('+') && lines[i + 1] === `-${lines[i]!.slice(1)}`,
      `one holder at a time: ${lines.slice(Math.max(0, i - 2), i + 4).join(' ')}`,
    );
  }
  assert.deepEqual(readdirSync(dir), [], 'no lock, claim or gate is left');
});

/** A clock that stands at `now` and keeps the waits it is asked for, returning at once. */
function fakeClock(now: number): Clock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    setTimer: () => assert.fail('a lock sets no timer'),
  };
}

test("each takeover is reported: a dead holder's lock with its pid, a damaged one as damaged; a live holder's never", async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  const reports: LockTakeover[] = [];
  const options = { attempts: 0, minDelayMs: 1, maxDelayMs: 1, onTakeover: (r: LockTakeover) => reports.push(r) };

  const dead = leaveDeadLock(lock);
  await (
    await acquireLock(lock, options)
  )();
  assert.equal(reports.length, 1);
  assert.deepEqual({ ...reports[0], ageMs: undefined }, { lock, reason: 'dead', pid: dead, ageMs: undefined });
  assert.ok(reports[0]!.ageMs !== undefined && reports[0]!.ageMs < 60_000, 'the age of the lock taken over');
  assert.match(
    describeTakeover(reports[0]!),
    new RegExp(`took over the lock .*config\\.sso-sync\\.lock .*pid ${dead}, is gone`),
  );

  writeFileSync(lock, 'not json');
  await (
    await acquireLock(lock, options)
  )();
  assert.equal(reports.length, 2);
  assert.equal(reports[1]!.reason, 'damaged');
  assert.equal(reports[1]!.pid, undefined);

  const release = await acquireLock(lock, options);
  await assert.rejects(acquireLock(lock, { ...options, attempts: 2 }), LockBusyError);
  await release();
  assert.equal(reports.length, 2, "a live holder's lock is not taken over");
  assert.deepEqual(readdirSync(dir), []);
});

test('a lock held by a live process is busy: a LockBusyError naming the lock and its holder, with the code ELOCKED', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  const release = await acquireLock(lock, wait);
  const error = await acquireLock(lock, { attempts: 1, minDelayMs: 1, maxDelayMs: 1 }).then(
    () => assert.fail('the lock was taken twice'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof LockBusyError);
  assert.equal(error.lockPath, lock);
  assert.equal(error.holderPid, process.pid);
  assert.equal(error.code, 'ELOCKED');
  assert.equal(error.message, `${lock} is held by another sso-sync`);
  await release();
  assert.deepEqual(readdirSync(dir), [], 'the claim of the busy attempt is not left behind');
});

test('the injected clock judges the age of a lock and paces the waits: no real time passes', async (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'config.sso-sync.lock');
  const release = await acquireLock(lock, wait);

  // While the clock says the lock was taken just now, its live holder keeps it: the waits double up to the most.
  const now = fakeClock(Date.now());
  await assert.rejects(acquireLock(lock, { attempts: 4, minDelayMs: 10, maxDelayMs: 25, clock: now }), LockBusyError);
  assert.deepEqual(now.slept, [10, 20, 25, 25]);

  // Two minutes later by the clock, the same lock is older than a live holder keeps one: its pid was reused.
  const later = fakeClock(Date.now() + 120_000);
  const reports: LockTakeover[] = [];
  const mine = await acquireLock(lock, { ...wait, clock: later, onTakeover: (r) => reports.push(r) });
  assert.equal(reports.length, 1);
  assert.equal(reports[0]!.reason, 'stale');
  assert.equal(reports[0]!.pid, process.pid);
  assert.ok(reports[0]!.ageMs! >= 110_000, `age ${reports[0]!.ageMs}`);
  assert.deepEqual(later.slept, [], 'taken over without waiting');
  await release(); // the first holder's release leaves the new holder's lock alone
  assert.ok(existsSync(lock), "the new holder's lock stays");
  await mine();
  assert.deepEqual(readdirSync(dir), []);
});

test('the synchronous form takes over a dead holder and reports it, gives up with LockBusyError, and releases', (t) => {
  const dir = tempDir(t, 'sso-sync-lock-');
  const lock = path.join(dir, 'sso-sync.log.rotation.lock');
  const reports: LockTakeover[] = [];
  const dead = leaveDeadLock(lock);
  const release = acquireLockSync(lock, {
    attempts: 0,
    minDelayMs: 1,
    maxDelayMs: 1,
    onTakeover: (r) => reports.push(r),
  });
  assert.deepEqual(
    reports.map((r) => [r.lock, r.reason, r.pid]),
    [[lock, 'dead', dead]],
  );
  assert.equal((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid, process.pid);

  // Held by this live process: a few attempts, a few milliseconds, then busy.
  const started = Date.now();
  assert.throws(
    () => acquireLockSync(lock, { attempts: 3, minDelayMs: 1, maxDelayMs: 2 }),
    (e: unknown) => e instanceof LockBusyError && e.holderPid === process.pid,
  );
  assert.ok(Date.now() - started < 1_000);

  // A lock past its staleMs by its file's time is taken over whatever its pid.
  const old = (Date.now() - 20_000) / 1000;
  utimesSync(lock, old, old);
  const again = acquireLockSync(lock, {
    attempts: 0,
    minDelayMs: 1,
    maxDelayMs: 1,
    staleMs: 10_000,
    onTakeover: (r) => reports.push(r),
  });
  assert.deepEqual(
    reports.map((r) => r.reason),
    ['dead', 'stale'],
  );
  release(); // no longer this holder's lock: left alone
  assert.ok(existsSync(lock));
  again();
  assert.deepEqual(readdirSync(dir), []);
});
