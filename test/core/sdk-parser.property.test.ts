/**
 * The AWS SDK for JavaScript reads what sso-sync writes: for hostile account and role names, the SDK's own shared
 * config loader finds exactly the planned profiles with exactly their keys; and the SDK names the token cache file
 * as sso-sync does.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { getSSOTokenFilepath } from '@smithy/shared-ini-file-loader';
import fc from 'fast-check';
import { planSync } from '../../src/core/plan.js';
import { tempDir } from '../helpers/temp-dir.js';
import { namingRulesArb, readWithSdk } from './hostile-input.js';
import { tokenCachePath } from '../../src/paths.js';

const hostile = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom(
      '[',
      ']',
      '=',
      ':',
      '#',
      ';',
      '\n',
      '\r',
      ' ',
      '"',
      "'",
      '\\',
      '.',
      '-',
      'a',
      'Z',
      '0',
      'é',
      '\t',
    ),
    maxLength: 30,
  }),
  fc.constantFrom(
    'default',
    'profile x',
    '[profile evil]',
    'a\n[profile injected]\nregion = x',
    'credential_process = rm -rf',
    'x'.repeat(400),
  ),
);
const assignment = fc.record({
  accountId: fc.integer({ min: 100000000000, max: 100000000040 }).map(String),
  accountName: hostile,
  roleName: fc.oneof(fc.constantFrom('AdministratorAccess', 'ReadOnlyAccess', 'Dev.Ops', 'a=b', 'x@y,z+w'), hostile),
});

test("property: the JS SDK's shared config loader reads exactly the planned profiles and keys, under any naming rules", async (t) => {
  const dir = tempDir(t, 'sso-sync-sdk-');
  const session = {
    name: 'mycorp',
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    scopes: ['sso:account:access'],
  };
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(assignment, { maxLength: 12 }), namingRulesArb, async (list, rules) => {
      const plan = planSync({
        text: undefined,
        fetched: [{ session, assignments: list.map((a) => ({ session: 'mycorp', ...a })) }],
        configuredSessions: ['mycorp'],
        rules,
        guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
      });
      assert.ok(plan.ok);
      const file = path.join(dir, `config-${n++}`);
      writeFileSync(file, Buffer.from(plan.text, 'latin1'));
      const configFile = await readWithSdk(file);
      const expected = Object.fromEntries(
        plan.outcomes.flatMap((o) => o.added).map((p) => [p.name, Object.fromEntries(p.keys)]),
      );
      const profiles = Object.fromEntries(Object.entries(configFile).filter(([k]) => !k.startsWith('sso-session')));
      assert.deepEqual(profiles, expected);
      assert.deepEqual(configFile['sso-session.mycorp'], {
        sso_region: 'eu-north-1',
        sso_start_url: session.startUrl,
        sso_registration_scopes: 'sso:account:access',
      });
    }),
    { numRuns: 150 },
  );
});

test('the JS SDK looks for the token of an sso-session in the file sso-sync writes', () => {
  const previous = process.env.HOME;
  process.env.HOME = '/home/someone';
  try {
    assert.equal(getSSOTokenFilepath('mycorp'), tokenCachePath('/home/someone', 'mycorp'));
    assert.equal(getSSOTokenFilepath('team.prod-1'), tokenCachePath('/home/someone', 'team.prod-1'));
  } finally {
    process.env.HOME = previous;
  }
});
