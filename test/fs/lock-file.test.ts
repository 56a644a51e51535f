/**
 * The lock between sso-sync processes (the AWS config's write lock, the daemon's pid file): at most one holder at
 * any moment, also while several writers find the lock of a writer that was killed and all try to take it over at
 * once.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { acquireLock, gateFor } from '../../src/fs/lock-file.js';
import { tempDir } from '../helpers/temp-dir.js';

const wait = { attempts: 200, minDelayMs: 1, maxDelayMs: 5 };

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

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

test('separate processes that find a dead lock and a dead gate at once hold the lock one at a time', async (t) => {
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
        () =>
          new Promise<number | null>((resolve) =>
            spawn(process.execPath, [child, lock, log], { stdio: 'inherit' }).on('close', resolve),
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
