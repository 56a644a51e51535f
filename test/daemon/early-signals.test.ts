/** The daemon's signals, caught before it is ready: kept, then handed to its handler when it subscribes. */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { catchSignals, type SignalSource } from '../../src/daemon/early-signals.js';

test('a signal that arrives before the daemon listens is handed to its listener as soon as it subscribes', async () => {
  const source = new EventEmitter();
  const signals = catchSignals(source as unknown as SignalSource);
  source.emit('SIGTERM', 'SIGTERM');
  source.emit('SIGTERM', 'SIGTERM');
  const heard: string[] = [];
  signals.on('SIGTERM', (s) => heard.push(s));
  signals.on('SIGHUP', (s) => heard.push(s));
  await Promise.resolve();
  assert.deepEqual(heard, ['SIGTERM'], 'the kept SIGTERM once, and no SIGHUP that never came');
  source.emit('SIGHUP', 'SIGHUP');
  assert.deepEqual(heard, ['SIGTERM', 'SIGHUP'], 'later signals go straight to the listener');
});

test('every daemon signal is taken from the source at once, so none ends the process by its default action', () => {
  const source = new EventEmitter();
  catchSignals(source as unknown as SignalSource);
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) assert.equal(source.listenerCount(s), 1, s);
});
