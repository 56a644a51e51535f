/** Whole-file replacement: a temp file a killed writer left beside the target is cleared by the next write. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { replaceFile } from '../../src/fs/replace-file.js';
import { tempDir } from '../helpers/temp-dir.js';
import { deadPid } from './dead-lock.js';

test("the next write removes a killed writer's temp file, and leaves a live one's alone", async (t) => {
  const dir = tempDir(t, 'sso-sync-replace-');
  const file = path.join(dir, 'state.json');
  writeFileSync(file, '{}');
  const dead = `state.json.${deadPid()}.0a1b2c3d.tmp`;
  const live = `state.json.${process.pid}.0a1b2c3d.tmp`;
  const other = 'state.json.backup';
  for (const name of [dead, live, other]) writeFileSync(path.join(dir, name), 'partial');
  await replaceFile(file, '{"a":1}', 0o600);
  assert.equal(readFileSync(file, 'utf8'), '{"a":1}');
  assert.deepEqual(readdirSync(dir).sort(), [live, other, 'state.json'].sort());
});
