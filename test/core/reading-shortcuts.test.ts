/**
 * The shortcuts that make reading and merging a large config fast give the answers the long way gives: headers
 * found at line starts, a section's values read when asked for, keys compared by hash, a block compared rather than
 * made again. Each is checked where it could go wrong, against the AWS CLI's own parser where that decides.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readSections, scanConfig, splitLines, unreadableIn } from '../../src/core/config-text.js';
import { planSync, type PlanInput } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { tempDir } from '../helpers/temp-dir.js';
import { pythonAvailable, readWithPython } from './python-config.js';

/** Text as the bytes of its UTF-8 encoding, one char a byte: what sso-sync reads from a file. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

const session = {
  name: 'corp',
  startUrl: 'https://d-1234567890.awsapps.com/start',
  region: 'eu-west-1',
  scopes: ['s'],
};
const input = (text: string | undefined, over: Partial<PlanInput> = {}): PlanInput => ({
  text,
  fetched: [
    {
      session,
      assignments: [
        { session: 'corp', accountId: '111111111111', accountName: 'Prod', roleName: 'AdministratorAccess' },
        { session: 'corp', accountId: '222222222222', accountName: 'Dev', roleName: 'ReadOnlyAccess' },
      ],
    },
  ],
  configuredSessions: ['corp'],
  rules: defaultRules,
  guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  ...over,
});

test('a section read from the text later has the header, name and values it has when read at once', () => {
  const file = bytes(
    [
      '[profile "quoted name"]',
      'region = eu-west-1',
      'k = v\r[profile after-cr]\rregion = us-east-1',
      '[profile café]',
      's3 =',
      '  max_concurrent_requests = 20',
      '  [not a header]',
      '[sso-session corp]',
      'sso_start_url = https://x/start',
    ].join('\n'),
  );
  const sections = scanConfig(file).outside;
  assert.deepEqual(
    sections.map((s) => [s.kind, s.name, s.line, s.header, Object.fromEntries(s.values)]),
    [
      ['profile', 'quoted name', 0, 'profile "quoted name"', { region: 'eu-west-1', k: 'v' }],
      ['profile', 'after-cr', 2, 'profile after-cr', { region: 'us-east-1' }],
      ['profile', 'café', 3, 'profile café', { s3: '\nmax_concurrent_requests = 20\n[not a header]' }],
      ['sso-session', 'corp', 7, 'sso-session corp', { sso_start_url: 'https://x/start' }],
    ],
  );
  // The same sections, read the long way (line by line) because of the lone CR and the indented bracket.
  assert.deepEqual(
    readSections(splitLines(file)).map((s) => [s.name, s.line, Object.fromEntries(s.values)]),
    sections.map((s) => [s.name, s.line, Object.fromEntries(s.values)]),
  );
});

/** Keys of a section beyond the few kept as places in the text, and keys whose hashes are the same. */
const keyCases: [string, string, number[]][] = [
  [
    'a key repeated after 40 others, in another case',
    `[a]\n${Array.from({ length: 40 }, (_, i) => `key${i} = ${i}`).join('\n')}\nKEY3 = again\n`,
    [42],
  ],
  ['keys with the same hash (Aa and BB) are different keys', '[a]\nAa = 1\nBB = 2\nAaBB = 3\nBBAa = 4\n', []],
  [
    'keys with the same hash, in a section of many keys',
    `[a]\n${Array.from({ length: 20 }, (_, i) => `k${i} = ${i}`).join('\n')}\nAaAa = 1\nBBBB = 2\nAaBB = 3\nBBAa = 4\n`,
    [],
  ],
  ['a UTF-8 key again, in another case', '[a]\nÉté = 1\nété = 2\n', [3]],
  [
    'a UTF-8 key again, in a section of many keys',
    `[a]\n${'x = 1\n'.replace('x', 'É')}${Array.from({ length: 20 }, (_, i) => `k${i} = ${i}`).join('\n')}\né = 2\n`,
    [23],
  ],
];

test('a key given twice is found however many keys a section has, and only then', (t) => {
  assert.ok(pythonAvailable(), 'python3 is needed to read the files as the AWS CLI does');
  const dir = tempDir(t, 'sso-sync-keys-');
  keyCases.forEach(([, text], i) => writeFileSync(join(dir, `${i}.ini`), text));
  const read = readWithPython(keyCases.map((_, i) => join(dir, `${i}.ini`)));
  keyCases.forEach(([name, text, lines], i) => {
    const found = unreadableIn(bytes(text));
    assert.deepEqual(
      found.map((d) => d.line),
      lines,
      name,
    );
    const reading = read[join(dir, `${i}.ini`)]!;
    assert.equal(found.length > 0, !reading.ok && reading.error.startsWith('DuplicateOptionError'), name);
  });
});

test('a sync that changes nothing gives back the text it read, with nothing added, removed or changed', () => {
  for (const eol of ['\n', '\r\n'] as const) {
    const first = planSync(input(`[default]${eol}region = eu-west-1${eol}`));
    assert.ok(first.ok);
    const again = planSync(input(first.text));
    assert.ok(again.ok);
    assert.equal(again.changed, false);
    assert.equal(again.text, first.text);
    const o = again.outcomes[0]!;
    assert.deepEqual([o.added, o.removed, o.changed, o.profileCount], [[], [], [], 2], eol);
  }
});

test('a value that would not read back as written is compared as the AWS CLI reads it', () => {
  // Settings refuse such a value; the plan still never takes its block for unchanged on the text alone.
  const rules = { ...defaultRules, set: { output: 'json ' } };
  const first = planSync(input(undefined, { rules }));
  assert.ok(first.ok);
  const again = planSync(input(first.text, { rules }));
  assert.ok(again.ok);
  assert.equal(again.changed, false);
  assert.deepEqual(
    again.outcomes[0]!.changed.map((c) => [c.name, c.keys]),
    [
      ['dev', [{ key: 'output', before: 'json', after: 'json ' }]],
      ['prod-admin', [{ key: 'output', before: 'json', after: 'json ' }]],
    ],
  );
});

test('in a CRLF file only the block lines end in CRLF: a line break inside a value stays as it is', () => {
  const odd = { ...session, region: 'eu-west-1\nx' };
  const plan = planSync(input('[default]\r\nregion = eu-west-1\r\n', { fetched: [{ session: odd, assignments: [] }] }));
  assert.ok(plan.ok);
  assert.ok(plan.text.includes('\r\nsso_region = eu-west-1\nx\r\nsso_start_url = '), JSON.stringify(plan.text));
});

test("a block's sections, read only when first asked for, are the ones read from its lines at once", () => {
  const first = planSync(input('[default]\nregion = eu-west-1\n'));
  assert.ok(first.ok);
  // A hand edit inside the block: a quoted header, a UTF-8 name, a lone CR and a continuation line.
  const file = first.text.replace(
    '\n# END sso-sync',
    bytes('\n\n[profile "quoted name"]\nregion = x\r[profile café]\ns3 =\n  max = 1\n# END sso-sync'),
  );
  const scan = scanConfig(file);
  const block = scan.blocks[0]!;
  const lines = splitLines(file);
  const atOnce = readSections(lines, block.begin + 1, block.end);
  const read = (s: (typeof atOnce)[number]) => [s.kind, s.name, s.line, s.header, Object.fromEntries(s.values)];
  assert.deepEqual(block.sections.map(read), atOnce.map(read));
  assert.deepEqual(
    block.sections.map((s) => s.name),
    ['corp', 'dev', 'prod-admin', 'quoted name', 'café'],
  );
  // The plan reads them, as the block differs from what it would write: the hand-made profiles are removed.
  const again = planSync(input(file));
  assert.ok(again.ok);
  assert.deepEqual(
    again.outcomes[0]!.removed.map((r) => r.name),
    ['quoted name', 'café'],
  );
});
