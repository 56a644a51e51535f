/**
 * A writer for the write-lock test: takes the lock, notes its entry and exit in a shared log (O_APPEND, one line
 * each), holding the lock a few milliseconds in between, then releases it. With `sync`, it takes and holds the lock
 * with the synchronous form (as the log file's rotation does).
 *
 * Usage: node lock-child.js LOCK LOG [sync]
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock, acquireLockSync } from '../../src/fs/lock-file.js';

const [lock, log, mode] = process.argv.slice(2) as [string, string, string | undefined];
const wait = { attempts: 200, minDelayMs: 1, maxDelayMs: 5 };
if (mode === 'sync') {
  const release = acquireLockSync(lock, wait);
  appendFileSync(log, `+${process.pid}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2 + Math.random() * 3);
  appendFileSync(log, `-${process.pid}\n`);
  release();
} else {
  const release = await acquireLock(lock, wait);
  appendFileSync(log, `+${process.pid}\n`);
  await sleep(2 + Math.random() * 3);
  appendFileSync(log, `-${process.pid}\n`);
  await release();
}
