/**
 * The AWS CLI's token cache as sso-sync reads it: the CLI's file name and time formats; bad files named, never quoted.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import {
  checkUsable,
  looseModeProblem,
  parseCacheTime,
  parseCachedToken,
  readToken,
  serializeToken,
} from '../../src/token/cache.js';
import { tempDir } from '../helpers/temp-dir.js';
import { tokenCachePath } from '../../src/paths.js';

const session = {
  name: 'mycorp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
};

test('the cache file is named by the SHA-1 of the session name, as the AWS CLI names it', () => {
  // sha1("mycorp"), computed with `printf mycorp | sha1sum`.
  assert.equal(
    tokenCachePath('/home/p', 'mycorp'),
    '/home/p/.aws/sso/cache/152474f4e86bf8d546de4398481c2d70d3e095c8.json',
  );
});

test('the time formats the AWS CLI writes and older ones are read', () => {
  assert.equal(parseCacheTime('2026-01-01T08:00:00Z')?.toISOString(), '2026-01-01T08:00:00.000Z');
  assert.equal(parseCacheTime('2026-01-01T08:00:00UTC')?.toISOString(), '2026-01-01T08:00:00.000Z');
  assert.equal(parseCacheTime('2026-01-01T10:00:00+02:00')?.toISOString(), '2026-01-01T08:00:00.000Z');
  assert.equal(parseCacheTime('2026-01-01T08:00:00.123Z')?.toISOString(), '2026-01-01T08:00:00.123Z');
  for (const bad of ['', 'tomorrow', '2026-13-01T08:00:00Z', 42, null, '2026-01-01 08:00:00'])
    assert.equal(parseCacheTime(bad), undefined, String(bad));
});

test('corrupt, truncated, foreign and wrongly typed files are refused with the file named and the content never quoted', () => {
  const secret = 'aoaSECRETtokenVALUE';
  const cases: [string, RegExp][] = [
    [`{"accessToken": "${secret}", "expiresAt": `, /not valid JSON/],
    [`["${secret}"]`, /does not hold a JSON object/],
    [`{"accessToken": 42, "expiresAt": "2026-01-01T08:00:00Z", "x": "${secret}"}`, /has no accessToken/],
    [`{"accessToken": "${secret}", "expiresAt": 1767254400}`, /has no valid expiresAt/],
    [`{"accessToken": "${secret}"}`, /has no valid expiresAt/],
    [`{"accessToken": "${secret}\\r\\nX-Injected: 1", "expiresAt": "2026-01-01T08:00:00Z"}`, /line break/],
    [`{"accessToken": "${secret}\\u0000", "expiresAt": "2026-01-01T08:00:00Z"}`, /cannot be sent/],
  ];
  for (const [text, why] of cases) {
    assert.throws(
      () => parseCachedToken(text, '/c/x.json', 'mycorp'),
      (e: Error & { exitCode?: number }) => {
        assert.match(e.message, why);
        assert.ok(e.message.includes('/c/x.json'));
        assert.ok(!e.message.includes(secret), e.message);
        assert.match(e.message, /aws sso login --sso-session mycorp/);
        assert.equal(e.exitCode, 3);
        return true;
      },
    );
  }
});

test('a token is usable until a minute before it expires, and only for its own start URL', () => {
  const token = parseCachedToken(
    JSON.stringify({ startUrl: session.startUrl, accessToken: 't', expiresAt: '2026-01-01T08:00:00Z' }),
    '/c/x.json',
    'mycorp',
  );
  assert.equal(checkUsable(token, session, new Date('2026-01-01T07:58:59Z')), token);
  assert.throws(() => checkUsable(token, session, new Date('2026-01-01T07:59:30Z')), /expired at 2026-01-01T08:00:00Z/);
  assert.throws(
    () =>
      checkUsable(token, { ...session, startUrl: 'https://other.awsapps.com/start' }, new Date('2026-01-01T07:00:00Z')),
    /was issued for https:\/\/d-1234567890/,
  );
  assert.equal(
    checkUsable(token, { ...session, startUrl: `${session.startUrl}/` }, new Date('2026-01-01T07:00:00Z')),
    token,
    'a trailing slash is the same URL',
  );
});

test("a named pipe in the cache file's place is refused at once, never read (a read would wait for ever)", async (t) => {
  const home = tempDir(t, 'sso-sync-cache-');
  const file = tokenCachePath(home, 'mycorp');
  mkdirSync(path.dirname(file), { recursive: true });
  execFileSync('mkfifo', [file]);
  const started = Date.now();
  await assert.rejects(readToken(home, 'mycorp'), (e: Error & { exitCode?: number }) => {
    assert.match(e.message, /is a named pipe, not a file/);
    assert.ok(e.message.includes(file));
    assert.equal(e.exitCode, 3);
    return true;
  });
  assert.ok(Date.now() - started < 5_000, 'refused without waiting for a writer');
});

test('a cache file others can read or write is named, with its mode and the chmod that fixes it', async (t) => {
  const home = tempDir(t, 'sso-sync-cache-');
  const file = tokenCachePath(home, 'mycorp');
  mkdirSync(path.dirname(file), { recursive: true });
  const token = {
    startUrl: session.startUrl,
    region: session.region,
    accessToken: 'aoaSECRET',
    expiresAt: new Date('2030-01-01T00:00:00Z'),
    refreshToken: undefined,
    clientId: undefined,
    clientSecret: undefined,
    registrationExpiresAt: undefined,
    other: {},
  };
  writeFileSync(file, serializeToken(token));
  for (const [mode, expected] of [
    [0o600, undefined],
    [0o400, undefined],
    [0o644, /readable by other users \(mode 0644\)/],
    [0o666, /readable by other users \(mode 0666\)/],
    [0o620, /writable by other users \(mode 0620\)/],
  ] as const) {
    chmodSync(file, mode);
    const problem = looseModeProblem(await readToken(home, 'mycorp'));
    if (expected === undefined) assert.equal(problem, undefined, mode.toString(8));
    else {
      assert.match(problem ?? '', expected);
      assert.ok(problem?.includes(`chmod 600 ${file}`), problem);
      assert.ok(!problem?.includes('aoaSECRET'));
    }
  }
});
