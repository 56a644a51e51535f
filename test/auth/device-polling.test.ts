/**
 * Device code polling on a fake clock, with an OIDC service that answers from a script: the real interval, +5 s
 * after each SlowDown (RFC 8628), and the outcome of each answer. The emulator only says "slow down" to a client
 * that polls too fast, which sso-sync never does, so this answer is scripted here.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pino } from 'pino';
import { login } from '../../src/auth/login.js';
import type { OidcApi } from '../../src/aws/oidc-api.js';
import { readToken } from '../../src/token/cache.js';
import { tempDir } from '../helpers/temp-dir.js';

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

function named(name: string): Error {
  const e = new Error('UnknownError');
  e.name = name;
  return e;
}

async function poll(t: { after(fn: () => void): void }, answers: (Error | 'token')[]) {
  const home = tempDir(t, 'sso-sync-device-');
  let now = 0;
  const slept: number[] = [];
  const oidc: OidcApi = {
    endpoint: () => 'https://oidc.example',
    registerClient: async () => ({
      clientId: 'c',
      clientSecret: 's',
      expiresAt: new Date(Date.now() + 90 * 86400_000),
    }),
    startDeviceAuthorization: async () => ({
      deviceCode: 'd',
      userCode: 'ABCD-EFGH',
      verificationUri: 'https://x/device',
      verificationUriComplete: 'https://x/device?user_code=ABCD-EFGH',
      expiresInSeconds: 600,
      intervalSeconds: 2,
    }),
    createToken: async () => {
      const next = answers.shift();
      if (next === 'token') return { accessToken: 'at', expiresInSeconds: 3600, refreshToken: 'rt' };
      throw next ?? named('Unexpected');
    },
  };
  const told: string[] = [];
  const result = login(
    {
      home,
      stateDir: path.join(home, 'state'),
      clock: {
        now: () => now,
        sleep: async (ms) => void (slept.push(ms), (now += ms)),
        setTimer: () => assert.fail('a sign-in sets no timer'),
      },
      log: pino({ level: 'silent' }),
      oidc,
      openBrowser: async () => false,
      tell: (text) => told.push(text),
    },
    { session, deviceCode: true, noBrowser: true, timeoutMs: 600_000 },
  );
  return { result, slept, told, home };
}

test('polls at the service interval, adds 5 s after each SlowDown, and stores the token when approved', async (t) => {
  const p = await poll(t, [
    named('AuthorizationPendingException'),
    named('SlowDownException'),
    named('AuthorizationPendingException'),
    named('SlowDownException'),
    'token',
  ]);
  await p.result;
  assert.deepEqual(p.slept, [2000, 2000, 7000, 7000, 12000]);
  assert.match(p.told.join(''), /ABCD-EFGH/);
  assert.equal((await readToken(p.home, 'mycorp')).refreshToken, 'rt');
});

test('ExpiredToken, AccessDenied and any other error end the polling with their own message', async (t) => {
  for (const [answer, message] of [
    ['ExpiredTokenException', /expired before it was approved/],
    ['AccessDeniedException', /was denied/],
    ['InternalServerException', /failed while waiting for the device code to be approved: InternalServerException/],
  ] as const) {
    const p = await poll(t, [named('AuthorizationPendingException'), named(answer)]);
    await assert.rejects(p.result, message);
  }
});
