/**
 * The daemon's process is built apart from the commands, each with its own copy of errors.ts: an SsoSyncError the
 * daemon's copy throws must still be one to main.ts's copy, or a refusal (a second daemon: exit 2) would be reported
 * as an internal error (exit 1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SsoSyncError } from '../../src/errors.js';

test('an SsoSyncError of another copy of the module is an SsoSyncError here, and the other way round', async () => {
  const other = (await import(`../../src/errors.js?copy=${Date.now()}`)) as typeof import('../../src/errors.js');
  assert.notEqual(other.SsoSyncError, SsoSyncError, 'two copies of the class');
  const theirs = new other.SsoSyncError('usage', 'a daemon is already running');
  assert.ok(theirs instanceof SsoSyncError);
  assert.ok(new SsoSyncError('usage', 'x') instanceof other.SsoSyncError);
  assert.ok(!(new Error('plain') instanceof SsoSyncError));
  assert.equal(theirs.exitCode, 2);
  // A subclass is matched as any class is.
  class Narrower extends SsoSyncError {}
  assert.ok(new Narrower('usage', 'x') instanceof Narrower);
  assert.ok(new Narrower('usage', 'x') instanceof SsoSyncError);
  assert.ok(!(new SsoSyncError('usage', 'x') instanceof Narrower));
});
