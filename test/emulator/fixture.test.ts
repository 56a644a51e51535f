/** Fixture validation, the generator and the demo organisation. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  builtinFixture,
  FixtureError,
  generateFixture,
  loadFixture,
  parseFixture,
} from '../../src/emulator/fixture.js';

test('parseFixture reports every problem with the source and the location', () => {
  const bad = {
    accounts: [
      { accountId: '12345', accountName: 'Short Id', roles: ['ReadOnlyAccess'] },
      { accountId: '111111111111', accountName: '', roles: ['A', 'A'] },
      { accountId: '111111111111', accountName: 'Twin', roles: [''] },
    ],
  };
  const error = (() => {
    try {
      parseFixture(bad, 'fixtures/org.json');
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(error instanceof FixtureError);
  assert.equal(error.source, 'fixtures/org.json');
  assert.match(error.message, /fixtures\/org\.json/);
  const problems = error.problems.join('\n');
  assert.match(problems, /accounts\[0\]\.accountId: must be exactly 12 digits/);
  assert.match(problems, /accounts\[1\]\.accountName: must not be empty/);
  assert.match(problems, /accounts\[1\]\.roles\[1\]: role "A" is listed twice/);
  assert.match(problems, /accounts\[2\]\.accountId: duplicates accounts\[1\]\.accountId/);
  assert.match(problems, /accounts\[2\]\.roles\[0\]/);
});

test('parseFixture rejects what is not a fixture at all', () => {
  assert.throws(() => parseFixture(null, 'x.json'), /invalid fixture x\.json/);
  assert.throws(() => parseFixture({ accounts: 'many' }, 'x.json'), /accounts/);
});

test('parseFixture keeps names that a config writer must defuse', () => {
  const account = {
    accountId: '000000000000',
    accountName: 'evil]\n[profile x]\ncredential_process = sh',
    roles: ['R=1'],
  };
  assert.deepEqual(parseFixture({ accounts: [account] }, 'inline').accounts[0], account);
});

test('loadFixture names the file when it is missing or not JSON', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sso-sync-fixture-'));
  try {
    const file = join(dir, 'org.json');
    await assert.rejects(loadFixture(file), (e: Error) => e instanceof FixtureError && e.message.includes(file));
    await writeFile(file, '{"accounts": [');
    await assert.rejects(loadFixture(file), /not valid JSON/);
    await writeFile(file, JSON.stringify(builtinFixture()));
    assert.deepEqual(await loadFixture(file), builtinFixture());
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('generateFixture is deterministic, valid and realistic', () => {
  const a = generateFixture({ accounts: 300, rolesPerAccount: 4, seed: 42 });
  assert.deepEqual(a, generateFixture({ accounts: 300, rolesPerAccount: 4, seed: 42 }));
  assert.notDeepEqual(a, generateFixture({ accounts: 300, rolesPerAccount: 4, seed: 43 }));
  assert.deepEqual(parseFixture(a, 'generated'), a);
  assert.equal(new Set(a.accounts.map((x) => x.accountName)).size, 300);
  const names = a.accounts.map((x) => x.accountName);
  assert.ok(names.some((n) => n.startsWith('mycorp-')));
  assert.ok(names.some((n) => n.startsWith('MyCorp ')));
  assert.ok(names.some((n) => n.includes(' ') && /[A-Z]/.test(n)));
  assert.ok(a.accounts.every((x) => x.roles.length === 4));
  assert.ok(a.accounts.some((x) => x.roles.includes('AdministratorAccess')));

  const wide = generateFixture({ accounts: 1, rolesPerAccount: 15 }).accounts[0]?.roles ?? [];
  assert.equal(new Set(wide).size, 15);
  assert.deepEqual(generateFixture({ accounts: 0, rolesPerAccount: 0 }), { accounts: [] });
  assert.throws(() => generateFixture({ accounts: -1, rolesPerAccount: 1 }), RangeError);
});

test('builtinFixture is the small demo organisation the docs describe', () => {
  const { accounts } = parseFixture(builtinFixture(), 'builtin');
  assert.ok(accounts.length >= 6 && accounts.length <= 10);
  assert.ok(accounts.filter((a) => a.accountName.startsWith('mycorp-')).length >= 3);
  assert.ok(accounts.some((a) => / /.test(a.accountName) && /[A-Z]/.test(a.accountName)));
  assert.ok(accounts.some((a) => a.roles.includes('Developer')));
  assert.ok(accounts.some((a) => a.roles.length === 1 && a.roles[0] === 'ReadOnlyAccess'));
  // Each call hands out its own copy.
  builtinFixture().accounts.pop();
  assert.equal(builtinFixture().accounts.length, accounts.length);
});
