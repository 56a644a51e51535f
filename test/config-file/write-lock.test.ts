/**
 * The write lock between sso-sync processes: at most one holder at any moment, also while several writers find
 * the lock of a writer that was killed and all try to take it over at once.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { acquireWriteLock } from '../../src/config-file/write-lock.js';

const wait = { attempts: 200, minDelayMs: 1, maxDelayMs: 5 };

/** The pid of a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-lock-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writers that all find a killed writer\'s lock at once take it over one at a time', async (t) => {
  const dir = tempDir(t);
  const lock = path.join(dir, 'config.sso-sync.lock');
  const dead = deadPid();
  let inside = 0;
  let most = 0;
  let entries = 0;
  for (let round = 0; round < 60; round++) {
    writeFileSync(lock, JSON.stringify({ pid: dead, at: new Date().toISOString(), id: `dead-${round}` }));
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const release = await acquireWriteLock(lock, wait);
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

test('a lock left by a killed writer, or damaged, is taken over at once; a live holder\'s is waited for', async (t) => {
  const dir = tempDir(t);
  const lock = path.join(dir, 'config.sso-sync.lock');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'x' }));
  await (await acquireWriteLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 }))();
  writeFileSync(lock, 'not json');
  await (await acquireWriteLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 }))();
  const release = await acquireWriteLock(lock, wait);
  await assert.rejects(acquireWriteLock(lock, { attempts: 2, minDelayMs: 1, maxDelayMs: 1 }), { code: 'ELOCKED' });
  await release();
  assert.deepEqual(readdirSync(dir), []);
});

test('a takeover gate left by a writer killed inside it does not block later takeovers', async (t) => {
  const dir = tempDir(t);
  const lock = path.join(dir, 'config.sso-sync.lock');
  writeFileSync(lock, JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'lock' }));
  writeFileSync(`${lock}.takeover`, JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'gate' }));
  await (await acquireWriteLock(lock, { attempts: 2, minDelayMs: 1, maxDelayMs: 1 }))();
  assert.deepEqual(readdirSync(dir), []);
  // Killed inside the gate after removing the dead lock: the next writer gets the lock at once, and removes the gate.
  writeFileSync(`${lock}.takeover`, JSON.stringify({ pid: deadPid(), at: new Date().toISOString(), id: 'gate' }));
  await (await acquireWriteLock(lock, { attempts: 0, minDelayMs: 1, maxDelayMs: 1 }))();
  assert.deepEqual(readdirSync(dir), []);
});
