/**
 * Failed portal calls, made by the real SDK client against the emulator: each kind of failure is told apart, the
 * advice fits it (only a connection that failed talks about the network), the SDK's internals never reach the
 * message, and a listing that never ends is stopped.
 */
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { classifyFailure, type FailureKind } from '../../src/aws/failure.js';
import { createSsoApi, maxPages, PagingError } from '../../src/aws/sso-api.js';
import { systemClock, type Clock } from '../../src/clock/clock.js';
import { builtinFixture, generateFixture } from '../../src/emulator/fixture.js';
import { encodePageCursor } from '../../src/emulator/pagination.js';
import { startEmulator, type Emulator, type FaultAction } from '../../src/emulator/server.js';
import { fetchAssignments } from '../../src/sync/fetch-assignments.js';
import { useEmulatorEndpoint } from '../helpers/in-process.js';

/** Time that passes at once: the retry strategy's backoff costs nothing here. */
const instant: Clock = { ...systemClock, sleep: async () => undefined };

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: [],
};

async function emulatorFor(t: TestContext, accounts = 3): Promise<Emulator> {
  const emulator = await startEmulator({
    fixture: accounts === 3 ? builtinFixture() : generateFixture({ accounts, rolesPerAccount: 1 }),
  });
  t.after(() => emulator.stop());
  useEmulatorEndpoint(t, emulator);
  return emulator;
}

/** What listing the accounts fails with under a fault that hits every request. */
async function failureUnder(emulator: Emulator, action: FaultAction) {
  emulator.setFaults([{ route: 'accounts', action }]);
  const api = createSsoApi('eu-north-1', instant, { requestTimeoutMs: 300 });
  const { accessToken } = emulator.issueAccessToken();
  const error = await api.listAccounts(accessToken).then(
    () => assert.fail(`no failure under ${action}`),
    (e: unknown) => e,
  );
  return { error, failure: classifyFailure(error, 'IAM Identity Center', api.endpoint()) };
}

test('each kind of failure is told apart, and only connections that failed are a matter for the network', async (t) => {
  const emulator = await emulatorFor(t);
  const expected: [FaultAction, FailureKind, RegExp][] = [
    ['server-error', 'service', /InternalServerException \(HTTP 500\).*after 5 attempts/],
    ['unavailable', 'service', /ServiceUnavailableException \(HTTP 503\)/],
    ['malformed', 'malformed', /SyntaxError \(HTTP 200\): the body is not valid JSON/],
    ['html', 'malformed', /\(HTTP 200\): the body is not valid JSON/],
    ['html-403', 'malformed', /\(HTTP 403\): the body is not valid JSON/],
    ['drop', 'network', /ECONNRESET/],
    ['stall', 'network', /TimeoutError/],
    ['invalid-request', 'refused', /InvalidRequestException \(HTTP 400\)/],
    ['throttle', 'throttled', /TooManyRequestsException \(HTTP 429\).*after 30 attempts/],
    ['unauthorized', 'unauthorized', /UnauthorizedException \(HTTP 401\)/],
  ];
  for (const [action, kind, summary] of expected) {
    const { failure } = await failureUnder(emulator, action);
    assert.equal(failure.kind, kind, action);
    assert.match(failure.summary, summary, action);
    assert.doesNotMatch(failure.summary, /\$response|Deserialization|DOCTYPE|<html/i, action);
    if (kind === 'network') assert.match(failure.advice, new RegExp(`could not reach ${emulator.url}.*network`));
    else assert.doesNotMatch(failure.advice, /network/, `${action}: ${failure.advice}`);
  }
  assert.match((await failureUnder(emulator, 'html')).failure.advice, /proxy \(HTTPS_PROXY, HTTP_PROXY\)/);
  assert.match((await failureUnder(emulator, 'throttle')).failure.advice, /quota/);
  assert.match((await failureUnder(emulator, 'server-error')).failure.advice, /on its own side/);
});

test('the message of a failed sync says what failed, where, and the advice of its kind', async (t) => {
  const emulator = await emulatorFor(t);
  const { accessToken } = emulator.issueAccessToken();
  emulator.setFaults([{ route: 'roles', after: 1, action: 'html' }]);
  const api = createSsoApi('eu-north-1', instant);
  await assert.rejects(fetchAssignments(api, session, accessToken, 2), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, /^listing the roles of account \d{12} for sso-session mycorp failed: /);
    assert.match(e.message, /Nothing was written; the answer from http:\/\/127\.0\.0\.1:\d+ was not IAM Identity/);
    assert.doesNotMatch(e.message, /network/);
    assert.equal(e.exitCode, 1);
    return true;
  });
});

test('a listing that gives the same next token again is stopped at once, not followed for ever', async (t) => {
  const emulator = await emulatorFor(t, 250);
  const { accessToken } = emulator.issueAccessToken();
  // Every page of accounts points back at the second page.
  const loop = encodePageCursor('accounts', { offset: 100, page: 1 });
  emulator.setReplyHook((route, reply) =>
    route === 'accounts' ? { ...reply, body: { ...(reply.body as object), nextToken: loop } } : reply,
  );
  const api = createSsoApi('eu-north-1', instant);
  await assert.rejects(api.listAccounts(accessToken), (e: Error) => {
    assert.ok(e instanceof PagingError);
    assert.match(e.message, /same next token twice while listing accounts/);
    return true;
  });
  assert.equal(emulator.stats().byRoute.accounts, 2, 'the repeated token is never followed');
  const failure = classifyFailure(new PagingError('x'), 'IAM Identity Center', api.endpoint());
  assert.equal(failure.kind, 'paging');
  assert.doesNotMatch(failure.advice, /network/);
});

test('a listing that hands out a new next token on every page is stopped after the most pages a real one has', async (t) => {
  const emulator = await emulatorFor(t);
  const { accessToken } = emulator.issueAccessToken();
  let page = 0;
  emulator.setReplyHook((route, reply) => {
    if (route !== 'roles') return reply;
    page += 1;
    return { ...reply, body: { roleList: [], nextToken: encodePageCursor('roles:111111111111', { offset: 0, page }) } };
  });
  const api = createSsoApi('eu-north-1', instant);
  await assert.rejects(api.listAccountRoles(accessToken, '111111111111'), (e: Error) => {
    assert.ok(e instanceof PagingError);
    assert.match(e.message, new RegExp(`still paging after ${maxPages.roles} pages`));
    return true;
  });
  assert.equal(emulator.stats().byRoute.roles, maxPages.roles);
});
