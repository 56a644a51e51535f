/**
 * Fetching the sessions' assignments from the emulator with the real SDK client: a token the service refuses gets
 * one refresh and one more try; a second refusal stands; other failures are not retried with a new token; a failing
 * session does not stop the others. The token keeper is a stand-in (its own refreshes are tested in test/auth and
 * test/e2e/refresh.test.ts): its refresh hands out a new token the emulator accepts.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { createSsoApi } from '../../src/aws/sso-api.js';
import { systemClock } from '../../src/clock/clock.js';
import type { SessionDef } from '../../src/core/types.js';
import { builtinFixture } from '../../src/emulator/fixture.js';
import { startEmulator, type Emulator } from '../../src/emulator/server.js';
import { SsoSyncError } from '../../src/errors.js';
import type { CachedToken } from '../../src/token/cache.js';
import { fetchSessions, fetchWithRetry, type TokenSource } from '../../src/sync/fetch-sessions.js';
import { accessOnlyToken, useEmulatorEndpoint } from '../helpers/in-process.js';
import { capturedLog } from './captured-log.js';

const session = (name: string): SessionDef => ({
  name,
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
});
const corp = session('corp');
/** Every (account, role) of the built-in fixture. */
const assignmentCount = builtinFixture().accounts.reduce((n, a) => n + a.roles.length, 0);

async function emulatorFor(t: TestContext): Promise<Emulator> {
  const emulator = await startEmulator({ fixture: builtinFixture() });
  t.after(() => emulator.stop());
  useEmulatorEndpoint(t, emulator);
  return emulator;
}

/** A token keeper whose cache holds one emulator token; a refresh replaces it with a new one, and is recorded. */
function keeperOf(emulator: Emulator) {
  const cached = (accessToken: string, expiresAt: Date): CachedToken => ({
    file: '/cache/corp.json',
    ...accessOnlyToken({ startUrl: corp.startUrl, region: corp.region, accessToken, expiresAt }),
  });
  const first = emulator.issueAccessToken({ expiresInSeconds: 3600 });
  let token = cached(first.accessToken, first.expiresAt);
  const refreshes: (string | undefined)[] = [];
  const keeper: TokenSource = {
    tokenForSync: () => Promise.resolve(token),
    refresh: (_session, rejected) => {
      refreshes.push(rejected);
      const fresh = emulator.issueAccessToken({ expiresInSeconds: 3600 });
      token = cached(fresh.accessToken, fresh.expiresAt);
      return Promise.resolve(token);
    },
  };
  return { keeper, refreshes, first: first.accessToken };
}

const api = () => createSsoApi('eu-north-1', systemClock);

test('a token the service refuses, though it looks valid, is refreshed once and the listing done again', async (t) => {
  const emulator = await emulatorFor(t);
  const { keeper, refreshes, first } = keeperOf(emulator);
  emulator.revokeAccessToken(first);
  const { log, lines } = capturedLog();
  const { assignments } = await fetchWithRetry(api(), keeper, corp, 4, log);
  assert.equal(assignments.length, assignmentCount, 'every assignment, with the new token');
  assert.deepEqual(refreshes, [first], 'one refresh, naming the refused token so that it is not used again');
  const rejected = lines.filter((l) => l.event === 'token.rejected');
  assert.deepEqual(
    rejected.map((l) => [l.session, l.msg]),
    [['corp', 'the service refused the token for corp; refreshing it once']],
  );
  assert.ok(!JSON.stringify(lines).includes(first), 'the token is not in the log');
});

test('a second refusal stands: sign-in required after exactly one refresh', async (t) => {
  const emulator = await emulatorFor(t);
  const { keeper, refreshes } = keeperOf(emulator);
  emulator.setFaults([{ route: 'accounts', action: 'unauthorized' }]);
  await assert.rejects(
    fetchWithRetry(api(), keeper, corp, 4, capturedLog().log),
    (error: unknown) =>
      error instanceof SsoSyncError &&
      error.code === 'sign-in.required' &&
      error.message.startsWith('the token for sso-session corp was refused while listing accounts'),
  );
  assert.equal(refreshes.length, 1);
});

test('a failure that is not a refusal of the token is not answered with a refresh', async (t) => {
  const emulator = await emulatorFor(t);
  const { keeper, refreshes } = keeperOf(emulator);
  emulator.setFaults([{ route: 'roles', action: 'invalid-request' }]);
  await assert.rejects(
    fetchWithRetry(api(), keeper, corp, 4, capturedLog().log),
    (error: unknown) => error instanceof SsoSyncError && error.code === 'aws.failed',
  );
  assert.deepEqual(refreshes, []);
});

test('a session that fails is logged and reported; the sessions after it are still fetched', async (t) => {
  const emulator = await emulatorFor(t);
  const { keeper } = keeperOf(emulator);
  const signedOut = new SsoSyncError('sign-in.required', 'no token for sso-session gone: run `sso-sync login`');
  const perSession: TokenSource = {
    tokenForSync: (s) => (s.name === 'gone' ? Promise.reject(signedOut) : keeper.tokenForSync(s)),
    refresh: (s, rejected) => keeper.refresh(s, rejected),
  };
  const { log, lines } = capturedLog();
  const result = await fetchSessions({ log, createApi: api, keeper: perSession }, [session('gone'), corp], {
    concurrency: 4,
    requestTimeoutMs: 30_000,
  });
  assert.deepEqual(
    result.fetched.map((f) => [f.session.name, f.assignments.length]),
    [['corp', assignmentCount]],
  );
  assert.deepEqual(
    result.failures.map((f) => [f.session, f.error]),
    [['gone', signedOut]],
  );
  const failed = lines.find((l) => l.session === 'gone');
  assert.equal(failed?.event, 'login.required');
  assert.equal(failed.msg, signedOut.message);
  const fetched = lines.find((l) => l.event === 'fetch.completed');
  assert.equal(fetched?.session, 'corp');
  assert.equal(fetched.assignments, assignmentCount);
});

test('an error that is not a sync error (a bug, say) ends the run instead of being reported per session', async (t) => {
  const emulator = await emulatorFor(t);
  const { keeper } = keeperOf(emulator);
  const broken: TokenSource = { ...keeper, tokenForSync: () => Promise.reject(new TypeError('boom')) };
  await assert.rejects(
    fetchSessions({ log: capturedLog().log, createApi: api, keeper: broken }, [corp], {
      concurrency: 4,
      requestTimeoutMs: 30_000,
    }),
    TypeError,
  );
});
