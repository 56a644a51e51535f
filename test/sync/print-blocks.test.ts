/** What --print prints, from a plan: the synced sessions' blocks as the file would hold them, and nothing else. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { printedBlocks } from '../../src/sync/print-blocks.js';

const session = (name: string) => ({
  name,
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-north-1',
  scopes: ['sso:account:access'],
});
const admin = (s: string, accountId: string) => ({ session: s, accountId, accountName: 'Prod', roleName: 'Admin' });

function plan(text: string | undefined, fetched: { name: string; accounts: string[] }[]) {
  const p = planSync({
    text,
    fetched: fetched.map((f) => ({ session: session(f.name), assignments: f.accounts.map((a) => admin(f.name, a)) })),
    configuredSessions: ['a', 'b'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(p.ok);
  return p;
}

test('the blocks of the sessions asked for, by session name, each ending with its line break; no other line', () => {
  const p = plan('[default]\r\nregion = eu-west-1', [
    { name: 'b', accounts: ['222222222222'] },
    { name: 'a', accounts: ['111111111111'] },
  ]);
  const printed = printedBlocks(p, ['a', 'b']);
  assert.match(printed, /^# BEGIN sso-sync a [^\r]*\r\n[\s\S]*# END sso-sync a\r\n\r\n# BEGIN sso-sync b /);
  assert.ok(printed.endsWith('# END sso-sync b\r\n'), 'a CRLF file gets CRLF blocks, as the sync writes them');
  assert.doesNotMatch(printed, /\[default\]/);
  assert.equal(printedBlocks(p, ['b']), printed.slice(printed.indexOf('# BEGIN sso-sync b')));
});

test('a block the removal guard holds is printed as it stays: the file keeps it', () => {
  const before = plan(undefined, [{ name: 'a', accounts: ['111111111111', '222222222222', '333333333333'] }]);
  const held = plan(before.text, [{ name: 'a', accounts: [] }]);
  assert.ok(held.outcomes[0]!.held);
  assert.equal(printedBlocks(held, ['a']), before.text);
});
