/**
 * A writer for the write-lock test: takes the lock, notes its entry and exit in a shared log (O_APPEND, one line
 * each), holding the lock a few milliseconds in between, then releases it.
 *
 * Usage: node lock-child.js LOCK LOG
 */
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { acquireLock } from '../../src/fs/lock-file.js';

const [lock, log] = process.argv.slice(2) as [string, string];
const release = await acquireLock(lock, { attempts: 200, minDelayMs: 1, maxDelayMs: 5 });
appendFileSync(log, `+${process.pid}\n`);
await sleep(2 + Math.random() * 3);
appendFileSync(log, `-${process.pid}\n`);
await release();
