/**
 * Portal answers with fields of the wrong type, through the real SDK and a whole sync in process: an entry that
 * cannot be used is skipped and named (profile.skipped), the good ones are written, roles answered for another
 * account than asked are not written, and a page of the wrong shape fails the session with nothing written.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { accountsOfPage, MalformedAnswerError, rolesOfPage } from '../../src/aws/portal-answers.js';
import { startEmulator, type Emulator, type ReplyHook } from '../../src/emulator/server.js';
import { runOnce } from '../../src/sync/run-once.js';
import { profileNames, sessionSection } from '../helpers/sandbox.js';
import { signInHome, syncDeps, useEmulatorEndpoint } from '../helpers/in-process.js';
import { capturingLogger } from '../fs/dead-lock.js';
import { tempDir } from '../helpers/temp-dir.js';

const fixture = {
  accounts: [
    { accountId: '111111111111', accountName: 'Prod', roles: ['AdministratorAccess', 'ReadOnlyAccess'] },
    { accountId: '222222222222', accountName: 'Dev', roles: ['AdministratorAccess'] },
  ],
};

async function setUp(t: TestContext): Promise<{
  emulator: Emulator;
  sync: () => ReturnType<typeof runOnce>;
  config: string;
  lines: Record<string, unknown>[];
}> {
  const emulator = await startEmulator({ fixture });
  t.after(() => emulator.stop());
  const home = tempDir(t, 'sso-sync-hostile-answers-');
  const config = path.join(home, '.aws', 'config');
  mkdirSync(path.dirname(config), { recursive: true });
  writeFileSync(config, sessionSection());
  await signInHome(emulator, home, 'mycorp');
  useEmulatorEndpoint(t, emulator);
  const { log, lines } = capturingLogger('debug');
  const sync = () =>
    runOnce(syncDeps(home, { log }), { sessions: [], dryRun: false, allowMassRemoval: false, settingsFile: undefined });
  return { emulator, sync, config, lines };
}

/** Rewrites the body of one route's replies. */
function rewrite(route: string, change: (body: Record<string, unknown>) => Record<string, unknown>): ReplyHook {
  return (name, reply) => (name === route ? { ...reply, body: change(reply.body as Record<string, unknown>) } : reply);
}

test('pages: entries of the wrong type are set aside with what is wrong; a list that is not a list is refused', () => {
  const { accounts, unusable } = accountsOfPage({
    accountList: [
      { accountId: '111111111111', accountName: 'Prod' },
      { accountId: '222222222222', accountName: 123 },
      { accountId: '333333333333', accountName: ['x'] },
      { accountName: 'No id' },
      { accountId: 444444444444, accountName: 'Number id' },
      null,
      'text',
    ],
  });
  assert.deepEqual(accounts, [{ accountId: '111111111111', accountName: 'Prod' }]);
  assert.deepEqual(
    unusable.map((u) => u.problem),
    [
      'account "222222222222" has the name the number 123',
      'account "333333333333" has the name a list',
      'an account with no account id (named "No id")',
      'an account with the account id the number 444444444444 (named "Number id")',
      'an account entry that is null',
      'an account entry that is "text"',
    ],
  );
  const roles = rolesOfPage(
    {
      roleList: [
        { roleName: 'Admin', accountId: '111111111111' },
        { roleName: 123, accountId: '111111111111' },
        null,
        { roleName: 'Stolen', accountId: '999999999999' },
        { roleName: 'NoAccountField' },
      ],
    },
    '111111111111',
  );
  assert.deepEqual(roles.roles, ['Admin', 'NoAccountField']);
  assert.deepEqual(
    roles.unusable.map((u) => u.problem),
    [
      'a role of account 111111111111 with the name the number 123',
      'a role entry of account 111111111111 that is null',
      'role "Stolen" came for account "999999999999", not 111111111111',
    ],
  );
  assert.deepEqual(accountsOfPage({}).accounts, [], 'a page without a list is an empty page');
  assert.throws(() => accountsOfPage({ accountList: 'x' }), MalformedAnswerError);
  assert.throws(
    () => rolesOfPage({ roleList: { roleName: 'x' } }, '111111111111'),
    /roleList is an object, not a list/,
  );
});

test('a sync skips and names every unusable entry, writes the good ones, and exits 0', async (t) => {
  const { emulator, sync, config, lines } = await setUp(t);
  emulator.setReplyHook((route, reply, request) => {
    const body = reply.body as Record<string, unknown>;
    if (route === 'accounts')
      return {
        ...reply,
        body: {
          ...body,
          accountList: [
            ...(body.accountList as object[]),
            { accountId: '555555555555', accountName: 123 },
            { accountName: 'no id' },
          ],
        },
      };
    if (route === 'roles' && request.query.get('account_id') === '222222222222')
      return {
        ...reply,
        body: { roleList: [null, { roleName: 123 }, { roleName: 'Other', accountId: '111111111111' }] },
      };
    return reply;
  });
  const report = await sync();
  assert.equal(report.exitCode, 0);
  assert.deepEqual(profileNames(readFileSync(config, 'utf8')).sort(), ['prod', 'prod-admin']);
  const skipped = lines.filter((l) => l.event === 'profile.skipped' && l.reason === 'unusable-entry');
  assert.equal(skipped.length, 5, JSON.stringify(skipped, null, 1));
  assert.ok(
    skipped.every((l) => l.level === 40),
    'each is a warning',
  );
  assert.ok(
    skipped.some((l) => String(l.msg).includes('role "Other" came for account "111111111111", not 222222222222')),
  );
  assert.ok(!lines.some((l) => l.event === 'sync.failed'));
});

test('a page whose list is not a list fails the session cleanly: nothing written, the advice fits', async (t) => {
  const { emulator, sync, config, lines } = await setUp(t);
  emulator.setReplyHook(rewrite('accounts', (body) => ({ ...body, accountList: { accountId: '111111111111' } })));
  const before = readFileSync(config, 'utf8');
  const report = await sync();
  assert.equal(report.exitCode, 1);
  assert.equal(readFileSync(config, 'utf8'), before);
  const failed = lines.find((l) => l.event === 'sync.failed');
  assert.match(String(failed?.msg), /accountList is an object, not a list.*was not IAM Identity Center's/);
  assert.doesNotMatch(String(failed?.msg), /network/);
});
