/** The hashes of short texts taken without Node's crypto are the ones Node's crypto gives, for any text. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { shortSha1Hex, shortSha256Hex } from '../../src/core/short-hash.js';
import { tokenCachePath } from '../../src/paths.js';

const nodeHash = (algorithm: string, text: string) => createHash(algorithm).update(text, 'utf8').digest('hex');

test("SHA-1 and SHA-256 of any text (unicode included) are Node's crypto's, byte for byte", () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
      assert.equal(shortSha1Hex(text), nodeHash('sha1', text));
      assert.equal(shortSha256Hex(text), nodeHash('sha256', text));
    }),
    { numRuns: 500 },
  );
});

test("the published digests of 'abc' (FIPS 180), and the AWS CLI's token file name: the SHA-1 of the session", () => {
  assert.equal(shortSha1Hex('abc'), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(shortSha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    tokenCachePath('/home/me', 'abc'),
    '/home/me/.aws/sso/cache/a9993e364706816aba3e25717850c26c9cd0d89d.json',
  );
});
