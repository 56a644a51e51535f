/** Which changes in the token cache are sign-ins: tokens sso-sync has not seen, of sessions it syncs. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import type { TokenKeeper } from '../../src/auth/token-keeper.js';
import { sha256Hex } from '../../src/core/sha256.js';
import { Current } from '../../src/daemon/current.js';
import { KnownTokens } from '../../src/daemon/known-tokens.js';
import { TokenCacheWatch } from '../../src/daemon/token-cache-watch.js';
import { tokenCacheDir, tokenCachePath } from '../../src/paths.js';
import { zeroSettings } from '../../src/settings/schema.js';
import type { CachedToken } from '../../src/token/cache.js';
import { recordingLog, session, token } from './harness.js';

const home = '/home/me';

function watch(writesSettled: () => Promise<void> = () => Promise.resolve()) {
  const { log, lines } = recordingLog();
  const cache = new Map<string, CachedToken>();
  const put = (name: string, access: string) => cache.set(name, { ...token(0, 3600_000, access), file: name });
  const known = new KnownTokens();
  const signedIn: string[] = [];
  const current = new Current(zeroSettings(), [session('mycorp'), session('other')], {} as unknown as TokenKeeper);
  const w = new TokenCacheWatch({
    log,
    home,
    current,
    known,
    readToken: (name) => Promise.resolve(cache.get(name)),
    signedIn: (name) => signedIn.push(name),
    writesSettled,
  });
  return { w, put, known, signedIn, lines };
}

test('the tokens found at start and the ones sso-sync refreshed are not sign-ins; a token not seen before is', async () => {
  const { w, put, known, signedIn, lines } = watch();
  put('mycorp', 'at-start');
  await w.rememberAll();
  await w.changed(tokenCachePath(home, 'mycorp'));
  put('mycorp', 'refreshed');
  known.refreshed('mycorp', sha256Hex(token(0, 3600_000, 'refreshed').accessToken));
  await w.changed(tokenCachePath(home, 'mycorp'));
  assert.deepEqual(signedIn, []);

  put('mycorp', 'signed-in');
  await w.changed(tokenCachePath(home, 'mycorp'));
  await w.changed(tokenCachePath(home, 'mycorp')); // the same token again: one sign-in
  put('other', 'first');
  await w.changed(tokenCachePath(home, 'other'));
  assert.deepEqual(signedIn, ['mycorp', 'other']);
  assert.deepEqual(
    lines.map((l) => [l.event, l.session, l.expiresAt]),
    [
      ['token.new', 'mycorp', '1970-01-01T01:00:00Z'],
      ['token.new', 'other', '1970-01-01T01:00:00Z'],
    ],
  );
});

test("another tool's cache files, sessions not synced and unreadable tokens are no sign-in", async () => {
  const { w, put, signedIn } = watch();
  put('unknown', 'a');
  await w.changed(tokenCachePath(home, 'unknown'));
  await w.changed(path.join(tokenCacheDir(home), 'botocore-client-id-eu-north-1.json'));
  await w.changed(tokenCachePath(home, 'mycorp')); // no token there (or it cannot be read)
  assert.deepEqual(signedIn, []);
});

test("a token that lands before its writer has told of it (a worker's message still on its way) is no sign-in", async () => {
  let settle: () => void = () => undefined;
  const settled = new Promise<void>((resolve) => (settle = resolve));
  const { w, put, known, signedIn } = watch(() => settled);
  put('mycorp', 'at-start');
  await w.rememberAll();
  // The worker wrote the refreshed token; the watch sees the file before the worker's message arrives.
  put('mycorp', 'refreshed');
  const judged = w.changed(tokenCachePath(home, 'mycorp'));
  known.refreshed('mycorp', sha256Hex(token(0, 3600_000, 'refreshed').accessToken));
  settle();
  await judged;
  assert.deepEqual(signedIn, []);
  // A token nobody told of is still a sign-in once the writes are settled.
  put('mycorp', 'signed-in');
  await w.changed(tokenCachePath(home, 'mycorp'));
  assert.deepEqual(signedIn, ['mycorp']);
});
