/** One daemon per user: the pid file, claimed as a lock. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { claimDaemon } from '../../src/daemon/single-instance.js';
import { SsoSyncError } from '../../src/errors.js';
import { pidFile } from '../../src/paths.js';
import { capturingLogger, leaveDeadLock } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

test('the pid file of a daemon that died is taken over, and that is logged', async (t) => {
  const dir = tempDir(t, 'sso-sync-pid-');
  const dead = leaveDeadLock(pidFile(dir));
  const { log, lines } = capturingLogger();
  const claim = await claimDaemon(dir, new Date('2026-11-21T09:00:00.000Z'), log);
  assert.deepEqual(JSON.parse(readFileSync(pidFile(dir), 'utf8')), {
    pid: process.pid,
    startedAt: '2026-11-21T09:00:00.000Z',
  });
  assert.deepEqual(
    lines.filter((l) => l.event === 'lock.taken_over').map((w) => [w.level, w.lock, w.reason, w.holderPid]),
    [[40, pidFile(dir), 'dead', dead]],
  );
  await claim.release();
  assert.deepEqual(readdirSync(dir), []);
});

test('while another sso-sync daemon runs, the claim is refused with a usage error naming it', async (t) => {
  const dir = tempDir(t, 'sso-sync-pid-');
  // A live process that looks like sso-sync (an argument ends in /cli/main.js), as the running daemon.
  const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '/opt/sso-sync/dist/src/cli/main.js']);
  t.after(() => other.kill());
  const pid = other.pid!;
  writeFileSync(pidFile(dir), JSON.stringify({ pid, startedAt: '2026-11-21T08:00:00.000Z' }));
  const { log, lines } = capturingLogger();
  await assert.rejects(
    claimDaemon(dir, new Date(), log),
    (e: unknown) =>
      e instanceof SsoSyncError &&
      e.code === 'usage' &&
      e.message.startsWith(
        `an sso-sync daemon is already running (pid ${pid}, started 2026-11-21T08:00:00.000Z); stop it first`,
      ),
  );
  assert.deepEqual(lines, [], 'nothing taken over');
  assert.deepEqual(readdirSync(dir), ['daemon.pid'], "the running daemon's pid file is kept, and no claim is left");
});
