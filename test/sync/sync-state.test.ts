/** state.json, what `sso-sync status` reads: updated under a lock by every sync, by hand or by the daemon. */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SsoSyncError } from '../../src/errors.js';
import { readState, recordNextRun, recordRunFailure } from '../../src/sync/sync-state.js';
import { capturingLogger, leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

test('concurrent updates each keep what the others recorded', async (t) => {
  const dir = path.join(tempDir(t, 'sso-sync-state-'), 'sso-sync');
  const now = new Date('2026-11-21T09:00:00.000Z');
  const sessions = Array.from({ length: 10 }, (_, i) => `session-${i}`);
  // Each update reads, changes and writes the whole file: without the lock, most of these would be lost.
  await Promise.all(
    sessions.map((s) => recordRunFailure(dir, [s], new SsoSyncError('config.refused', `refused ${s}`), now)),
  );
  const state = await readState(dir);
  assert.deepEqual(
    Object.entries(state.sessions)
      .map(([s, v]) => [s, v.outcome, v.message])
      .sort(),
    sessions.map((s) => [s, 'failed', `refused ${s}`]).sort(),
  );
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no lock or temp file left');
});

test('a state lock left by a process killed while updating does not hold up the update, and is logged', async (t) => {
  const dir = path.join(tempDir(t, 'sso-sync-state-'), 'sso-sync');
  mkdirSync(dir, { recursive: true });
  const dead = leaveDeadLock(path.join(dir, 'state.json.lock'));
  const { log, lines } = capturingLogger();
  const now = new Date('2026-11-21T09:00:00.000Z');
  const next = new Date('2026-11-21T10:00:00.000Z');
  await recordNextRun(dir, next, now, { log });
  assert.deepEqual((await readState(dir)).daemon, { nextRun: next.toISOString(), updatedAt: now.toISOString() });
  const warnings = lines.filter((l) => l.event === 'lock.taken_over');
  assert.deepEqual(
    warnings.map((w) => [w.level, w.lock, w.reason, w.holderPid]),
    [[40, path.join(dir, 'state.json.lock'), 'dead', dead]],
  );
  assert.deepEqual(readdirSync(dir), ['state.json'], 'no lock or temp file left');
});
