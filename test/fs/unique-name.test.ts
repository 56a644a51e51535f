/** The random part of temp and claim file names: hex of the length asked, and not the same twice in practice. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomHex } from '../../src/fs/unique-name.js';

test('randomHex gives two hex digits per byte, and 10,000 draws of 4 bytes do not repeat', () => {
  for (const bytes of [1, 4, 6]) assert.match(randomHex(bytes), new RegExp(`^[0-9a-f]{${bytes * 2}}$`));
  const drawn = new Set(Array.from({ length: 10_000 }, () => randomHex(4)));
  // 10,000 draws from 2^32: a repeat has a chance of about 1 in 86,000.
  assert.ok(drawn.size >= 9_999, `${10_000 - drawn.size} repeats`);
  // Every digit turns up in every place: the bytes are spread, not stuck.
  for (let place = 0; place < 8; place++) assert.equal(new Set([...drawn].map((h) => h[place])).size, 16);
});
