/**
 * The role cache's hand-written check refuses exactly what the zod schema it replaced refused, with the same first
 * problem and words, and gives the same content for what it accepts: over files of every near miss (keys missing,
 * unknown or of the wrong type, bad times and account ids, `__proto__` entries) and through readRoleCache's reason.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import * as z from 'zod';
import { checkRoleCacheFile } from '../../src/sync/role-cache-shape.js';
import { readRoleCache } from '../../src/sync/role-cache.js';
import { roleCacheFile } from '../../src/paths.js';
import { tempDir } from '../helpers/temp-dir.js';

/** The schema as sso-sync had it, the reference. */
const isoTime = z.iso.datetime();
const zodSchema = z.strictObject({
  format: z.literal(1),
  session: z.string(),
  startUrl: z.string(),
  fullScanAt: isoTime,
  accounts: z.record(
    z.string().min(1),
    z.strictObject({
      roles: z.array(z.string().min(1)),
      unusable: z
        .array(
          z.strictObject({ accountId: z.string().optional(), roleName: z.string().optional(), problem: z.string() }),
        )
        .optional(),
      listedAt: isoTime,
    }),
  ),
});

/** What zod said: the content, or the first problem as readRoleCache words it. */
function byZod(json: unknown): { data: unknown } | { why: string } {
  const parsed = zodSchema.safeParse(json);
  if (parsed.success) return { data: parsed.data };
  const issue = parsed.error.issues[0]!;
  return { why: `${issue.path.join('.') || 'the top level'}: ${issue.message}` };
}

function byHand(json: unknown): { data: unknown } | { why: string } {
  const checked = checkRoleCacheFile(json);
  if ('file' in checked) return { data: checked.file };
  return { why: `${checked.problem.where || 'the top level'}: ${checked.problem.message}` };
}

/** Stands for a `__proto__` key, which an object literal cannot hold as its own; put back in the JSON text. */
const protoKey = 'PROTO_KEY';

const anyJson = fc.jsonValue({ maxDepth: 2 });
/** A value of the right kind mostly, of any other kind at times. */
const mostly = <T>(right: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: right, weight: 80 }, { arbitrary: anyJson, weight: 1 });
const times = fc.oneof(
  {
    arbitrary: fc.date({ min: new Date(-1e13), max: new Date(1e14), noInvalidDate: true }).map((d) => d.toISOString()),
    weight: 40,
  },
  fc.constantFrom(
    '2026-01-01T00:00:00Z',
    '2026-01-01T00:00Z',
    '2026-01-01T00:00:00.5Z',
    '2026-01-01T00:00:00+01:00',
    '2026-01-01 00:00:00Z',
    '2026-01-01t00:00:00z',
    '2024-02-29T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '1900-02-29T12:00:00Z',
    '2000-02-29T12:00:00Z',
    '2026-04-31T00:00:00Z',
    '2026-12-31T24:00:00Z',
    '2026-12-31T23:60:00Z',
    '2026-12-31T23:59:60Z',
    '2026-01-01T00:00:00Z\n',
    '+012026-01-01T00:00:00Z',
    '',
  ),
  fc.string(),
);
const names = fc.oneof(
  { arbitrary: fc.constantFrom('AdministratorAccess', 'ReadOnly'), weight: 40 },
  fc.constant(''),
  fc.string(),
);
const extraKeys = fc.dictionary(fc.constantFrom('x', 'extra', 'Roles', protoKey, 'toString'), anyJson, { maxKeys: 2 });

/** An object of these entries, each left out at times, with an unknown key or two at times. */
function objectOf(entries: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const keys = Object.keys(entries);
  return fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((key) => [key, fc.option(entries[key]!, { nil: undefined, freq: 80 })]))),
      fc.oneof({ arbitrary: fc.constant({}), weight: 80 }, { arbitrary: extraKeys, weight: 1 }),
      fc.shuffledSubarray(keys, { minLength: keys.length }),
    )
    .map(([known, extra, order]) => {
      const out: Record<string, unknown> = {};
      for (const key of order) if (known[key] !== undefined) out[key] = known[key];
      return { ...out, ...extra };
    });
}

const unusable = mostly(
  objectOf({ accountId: mostly(fc.string()), roleName: mostly(fc.string()), problem: mostly(fc.string()) }),
);
const account = mostly(
  objectOf({
    roles: mostly(fc.array(mostly(names), { maxLength: 3 })),
    unusable: mostly(fc.array(unusable, { maxLength: 2 })),
    listedAt: mostly(times),
  }),
);
const accountIds = fc.oneof(
  { arbitrary: fc.stringMatching(/^\d{12}$/), weight: 40 },
  fc.constantFrom('', '1', '7', protoKey),
  fc.string(),
);
const cacheJson = mostly(
  objectOf({
    format: fc.oneof({ arbitrary: fc.constant(1), weight: 80 }, { arbitrary: anyJson, weight: 1 }),
    session: mostly(fc.string()),
    startUrl: mostly(fc.string()),
    fullScanAt: mostly(times),
    accounts: mostly(fc.dictionary(accountIds, account, { maxKeys: 4 })),
  }),
).map((value) => JSON.stringify(value).replaceAll(`"${protoKey}":`, '"__proto__":'));

test('the hand-written check refuses and accepts as the zod schema did, with its first problem', () => {
  let refused = 0;
  fc.assert(
    fc.property(cacheJson, (text) => {
      const expected = byZod(JSON.parse(text));
      assert.deepEqual(byHand(JSON.parse(text)), expected, text);
      if ('why' in expected) refused++;
    }),
    { numRuns: 3000 },
  );
  // Both sides must be tried often: most files are near misses, a good share are accepted.
  assert.ok(refused > 600 && refused < 2400, `refused ${refused} of 3000`);
});

test('known files: an accepted one read whole, and each kind of refusal in the words zod used', async (t) => {
  const dir = tempDir(t);
  const session = {
    name: 'mycorp',
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    scopes: [],
  };
  const good = {
    format: 1,
    session: 'mycorp',
    startUrl: session.startUrl,
    fullScanAt: '2026-11-21T07:48:36.000Z',
    accounts: {
      '111111111111': { roles: ['AdministratorAccess'], listedAt: '2026-11-21T07:48:36.000Z' },
      '222222222222': {
        roles: [],
        unusable: [{ problem: 'a role name with a space', roleName: 'Bad Role' }],
        listedAt: '2026-11-21T05:17:22Z',
      },
    },
  };
  const file = roleCacheFile(dir, 'mycorp');
  mkdirSync(path.dirname(file), { recursive: true });
  const read = async (content: unknown) => {
    writeFileSync(file, JSON.stringify(content));
    return readRoleCache(dir, session);
  };
  const ok = await read(good);
  if (ok.state !== 'ok') assert.fail(`the good file is read: ${JSON.stringify(ok)}`);
  assert.equal(ok.cache.fullScanAt, Date.parse('2026-11-21T07:48:36Z'));
  assert.deepEqual(ok.cache.accounts.get('222222222222'), {
    roles: [],
    unusable: [{ roleName: 'Bad Role', problem: 'a role name with a space' }],
    listedAt: Date.parse('2026-11-21T05:17:22Z'),
  });
  const cases: [unknown, string][] = [
    [[], 'the top level: Invalid input: expected object, received array'],
    [{ ...good, format: 2 }, 'format: Invalid input: expected 1'],
    [{ ...good, extra: 1, more: 2 }, 'the top level: Unrecognized keys: "extra", "more"'],
    [{ ...good, fullScanAt: '2026-02-30T00:00:00Z' }, 'fullScanAt: Invalid ISO datetime'],
    [{ ...good, accounts: { '': good.accounts['111111111111'] } }, 'accounts.: Invalid key in record'],
    [
      { ...good, accounts: { '1': { roles: [''], listedAt: 'x' } } },
      'accounts.1.roles.0: Too small: expected string to have >=1 characters',
    ],
    [
      { ...good, accounts: { '1': { roles: 'Admin' } } },
      'accounts.1.roles: Invalid input: expected array, received string',
    ],
    [
      { ...good, accounts: { '1': { roles: [], listedAt: null } } },
      'accounts.1.listedAt: Invalid input: expected string, received null',
    ],
  ];
  for (const [content, why] of cases) {
    const result = await read(content);
    assert.deepEqual(result, { state: 'ignored', file, why: `it is not a role cache of this version (${why})` });
    assert.deepEqual(byZod(content), { why }, 'the reference agrees');
  }
});
