/**
 * `--once` and `--once --incremental` as a person runs them, with the emulator counting the requests of each
 * operation; `status` showing the role lists kept.
 */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { generateFixture } from '../../src/emulator/fixture.js';
import { roleCacheFile, stateDir } from '../../src/paths.js';
import { writeSettings } from '../helpers/box-files.js';
import { logLines, profileNames, sandbox, sessionSection } from '../helpers/sandbox.js';

const fixture = generateFixture({ accounts: 150, rolesPerAccount: 2, seed: 21 });

test('--once is a full scan every time; --once --incremental lists roles only for the accounts due', async (t) => {
  const box = await sandbox({ fixture });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  // Turns a month apart: nothing is due between these runs.
  writeSettings(box, 'sync:\n  roles_max_age: 30d\n');
  const roles = () => box.emulator.stats().byRoute.roles ?? 0;

  const first = await box.run(['--once']);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(roles(), 150);
  const cache = roleCacheFile(stateDir(box.env), 'mycorp');
  assert.equal(statSync(cache).mode & 0o777, 0o600);
  const completed = logLines(first.stdout).find((l) => l.event === 'sync.completed');
  assert.deepEqual([completed?.full, completed?.rolesListed, completed?.requests], [true, 150, 152]);

  const again = await box.run(['--once']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(roles(), 300, '--once lists every account again: the whole truth now');

  // One account is new: an incremental run lists its roles only.
  box.emulator.setFixture(generateFixture({ accounts: 151, rolesPerAccount: 2, seed: 21 }));
  const incremental = await box.run(['--once', '--incremental']);
  assert.equal(incremental.code, 0, incremental.stderr);
  assert.equal(roles(), 301);
  assert.equal(profileNames(readFileSync(box.configFile, 'utf8')).length, 302);
  const line = logLines(incremental.stdout).find((l) => l.event === 'sync.completed');
  assert.deepEqual([line?.full, line?.rolesListed, line?.requests, line?.added], [false, 1, 3, 2]);

  const status = await box.run(['status']);
  assert.match(status.stdout, /^ {2}roles: {5}last full scan .* ago\); oldest role list .* \(151 accounts\)$/m);
  const json = JSON.parse((await box.run(['status', '--json'])).stdout) as {
    sessions: { roles: { lastFullScan: string; oldestList: string; accounts: number } }[];
  };
  const r = json.sessions[0]!.roles;
  assert.equal(r.accounts, 151);
  assert.ok(Date.parse(r.oldestList) <= Date.parse(r.lastFullScan), 'the oldest list is from the last full scan');
});

test('a role cache of another start URL is reported and rebuilt; --incremental goes only with --once', async (t) => {
  const box = await sandbox({ fixture });
  t.after(() => box.close());
  box.writeConfig(sessionSection());
  box.signIn();
  writeSettings(box, 'sync:\n  roles_max_age: 30d\n');
  assert.equal((await box.run(['--once'])).code, 0);
  const cache = roleCacheFile(stateDir(box.env), 'mycorp');
  writeFileSync(cache, readFileSync(cache, 'utf8').replace('d-1234567890', 'd-0000000000'));
  const status = await box.run(['status']);
  assert.match(status.stdout, /roles: {5}.*belongs to https:\/\/d-0000000000.*; the next sync lists every account/);
  const run = await box.run(['--once', '--incremental']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(box.emulator.stats().byRoute.roles, 300, 'every account listed again');
  const warning = logLines(run.stdout).find((l) => l.event === 'roles.cache_ignored');
  assert.match(String(warning?.msg), /is not used: it belongs to https:\/\/d-0000000000\.awsapps\.com\/start/);
  assert.match(readFileSync(cache, 'utf8'), /d-1234567890/, 'rebuilt for this start URL');

  const stray = await box.run(['--incremental']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /--incremental goes with --once/);
  const help = await box.run(['--help']);
  assert.match(help.stdout, /--once --incremental/);
  assert.equal(path.basename(cache), 'mycorp.json');
});
