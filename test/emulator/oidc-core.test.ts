/** The OIDC side's pure parts: PKCE S256, the device authorization state machine, redirect URI rules. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  decideDevice,
  pollDevice,
  type DeviceAuthorization,
  type PollOutcome,
} from '../../src/emulator/device-flow.js';
import { isS256Challenge, s256Challenge, verifyS256 } from '../../src/emulator/pkce.js';
import { redirectUriMatches, redirectUriProblem, sameRedirectUri } from '../../src/emulator/redirect-uris.js';

test('S256 matches the example of RFC 7636 appendix B', () => {
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  assert.equal(s256Challenge(verifier), challenge);
  assert.ok(verifyS256(verifier, challenge));
  assert.ok(!verifyS256(`${verifier.slice(0, -1)}l`, challenge));
  // Too short a verifier is refused even when it hashes right; so is a padded or otherwise malformed challenge.
  assert.ok(!verifyS256('short', s256Challenge('short')));
  assert.ok(!verifyS256(verifier, `${challenge}=`));
  assert.ok(!isS256Challenge('plain-text-challenge'));
});

test('S256 accepts exactly the verifier a challenge was made from', () => {
  const verifierChars = fc.constantFrom(...'ABCXYZabcxyz0189-._~'.split(''));
  const verifier = fc.string({ unit: verifierChars, minLength: 43, maxLength: 128 });
  fc.assert(
    fc.property(verifier, verifier, (a, b) => {
      assert.ok(verifyS256(a, s256Challenge(a)));
      assert.equal(verifyS256(b, s256Challenge(a)), a === b);
    }),
  );
  fc.assert(fc.property(fc.string(), fc.string(), (v, c) => void verifyS256(v, c)));
});

const START: DeviceAuthorization = {
  deviceCode: 'device',
  userCode: 'BCDF-GHJK',
  clientId: 'client',
  expiresAtMs: 10_000,
  intervalMs: 1000,
  status: 'pending',
};

function polls(auth: DeviceAuthorization, times: number[]): PollOutcome[] {
  const outcomes: PollOutcome[] = [];
  for (const now of times) {
    const polled = pollDevice(auth, now);
    outcomes.push(polled.outcome);
    auth = polled.next;
  }
  return outcomes;
}

test('a pending device authorization asks the client to slow down when polled inside the interval', () => {
  assert.deepEqual(polls(START, [0, 500, 1400, 2400, 2400, 9_999, 10_000]), [
    'pending',
    'slow-down',
    'slow-down',
    'pending',
    'slow-down',
    'pending',
    'expired',
  ]);
  assert.deepEqual(polls({ ...START, intervalMs: 0 }, [0, 0, 0]), ['pending', 'pending', 'pending']);
});

test('decisions: approve once, answered at once and only once; deny for good; nothing after expiry', () => {
  const approved = decideDevice(START, 'approve', 100);
  assert.ok(approved.ok);
  assert.deepEqual(polls(approved.next, [100, 100, 200]), ['approved', 'redeemed', 'redeemed']);
  const denied = decideDevice(START, 'deny', 100);
  assert.ok(denied.ok);
  assert.deepEqual(polls(denied.next, [100, 5000, 20_000]), ['denied', 'denied', 'expired']);
  assert.deepEqual(decideDevice(denied.next, 'approve', 200), { ok: false, reason: 'already-decided' });
  assert.deepEqual(decideDevice(START, 'approve', 10_000), { ok: false, reason: 'expired' });
  // Approved but not collected before expiry: the device code is gone all the same.
  assert.deepEqual(polls(approved.next, [10_000]), ['expired']);
});

test('whatever happens, a device code yields at most one token, only after an approval, never after expiry', () => {
  const event = fc.record({
    kind: fc.constantFrom('poll', 'poll', 'poll', 'approve', 'deny'),
    step: fc.integer({ min: 0, max: 3000 }),
  });
  fc.assert(
    fc.property(fc.array(event, { maxLength: 40 }), (events) => {
      let auth = START;
      let now = 0;
      let approvedAt: number | undefined;
      let denied = false;
      let tokens = 0;
      let lastPoll: number | undefined;
      for (const { kind, step } of events) {
        now += step;
        if (kind === 'poll') {
          const { outcome, next } = pollDevice(auth, now);
          if (outcome === 'approved') {
            tokens += 1;
            assert.ok(approvedAt !== undefined && now < START.expiresAtMs);
          }
          if (outcome === 'slow-down') assert.ok(lastPoll !== undefined && now - lastPoll < START.intervalMs);
          if (outcome === 'denied') assert.ok(denied);
          if (now >= START.expiresAtMs) assert.ok(outcome === 'expired' || outcome === 'redeemed');
          lastPoll = now;
          auth = next;
        } else {
          const decided = decideDevice(auth, kind, now);
          if (decided.ok) {
            auth = decided.next;
            if (kind === 'approve') approvedAt = now;
            else denied = true;
          }
        }
      }
      assert.ok(tokens <= 1);
    }),
  );
});

test('redirect URIs: https anywhere, http on loopback only, no fragments or credentials', () => {
  for (const ok of [
    'http://127.0.0.1/oauth/callback',
    'http://[::1]:8080/cb',
    'http://localhost/cb',
    'https://app.example/cb',
  ]) {
    assert.equal(redirectUriProblem(ok), undefined, ok);
  }
  for (const bad of [
    'http://example.com/cb',
    'ftp://127.0.0.1/cb',
    'http://127.0.0.1/cb#x',
    'https://u:p@app.example/cb',
    '/cb',
    '',
  ]) {
    assert.notEqual(redirectUriProblem(bad), undefined, bad);
  }
});

test('a loopback redirect URI matches on any port; others must match exactly', () => {
  const registered = 'http://127.0.0.1/oauth/callback';
  assert.ok(redirectUriMatches(registered, 'http://127.0.0.1:49152/oauth/callback'));
  assert.ok(redirectUriMatches(registered, 'http://127.0.0.1/oauth/callback'));
  assert.ok(!redirectUriMatches(registered, 'http://127.0.0.1:49152/oauth/other'));
  assert.ok(!redirectUriMatches(registered, 'http://localhost:49152/oauth/callback'));
  assert.ok(!redirectUriMatches(registered, 'https://127.0.0.1/oauth/callback'));
  assert.ok(!redirectUriMatches(registered, 'http://127.0.0.1:1/oauth/callback?next=/x'));
  assert.ok(redirectUriMatches('https://app.example/cb', 'https://app.example/cb'));
  assert.ok(!redirectUriMatches('https://app.example/cb', 'https://app.example:8443/cb'));
  assert.ok(sameRedirectUri('http://127.0.0.1:5000/cb', 'http://127.0.0.1:5000/cb'));
  assert.ok(!sameRedirectUri('http://127.0.0.1:5000/cb', 'http://127.0.0.1:5001/cb'));
});
