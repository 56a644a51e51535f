/**
 * Reading the AWS config as text: lines, markers, section headers and sections, checked against what the AWS
 * CLI itself reads (Python's configparser and shlex, run in a python3 child process).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  bodyChecksum,
  classifyHeader,
  joinLines,
  readSections,
  scanConfig,
  shellWords,
  splitLines,
  unreadableIn,
  type SectionRef,
} from '../../src/core/config-text.js';
import { planSync } from '../../src/core/plan.js';
import { defaultRules } from '../../src/core/profile-names.js';
import { tempDir } from '../helpers/temp-dir.js';
import { botocoreKinds, pythonAvailable, readWithPython, shlexSplit } from './python-config.js';

// The AWS CLI's parser is the reference: without python3 these tests fail rather than skip.
const python = pythonAvailable();
test('python3 is available to compare with the AWS CLI parser', () =>
  assert.ok(python, 'python3 is needed by the test suite'));

/** Text as the bytes of its UTF-8 encoding, one char a byte: what sso-sync reads from a file. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
/** Back from bytes to text, to compare with what Python decoded. */
const text = (byteString: string) => Buffer.from(byteString, 'latin1').toString('utf8');

const latin1Char = fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c));
const lineish = fc.oneof(latin1Char, fc.constantFrom('\n', '\r', '\r\n', '[', ']', '=', ' '));

test('splitLines and joinLines round-trip every byte string', () => {
  fc.assert(
    fc.property(fc.string({ unit: lineish, maxLength: 200 }), (s) => {
      const lines = splitLines(s);
      assert.equal(joinLines(lines), s);
      for (const l of lines) assert.ok(!l.text.includes('\n'));
      lines.slice(0, -1).forEach((l) => assert.notEqual(l.eol, ''));
    }),
    { numRuns: 500 },
  );
});

test('splitLines keeps each ending; a lone CR stays inside its line', () => {
  assert.deepEqual(splitLines('a\r\nb\nc\rd\ne'), [
    { text: 'a', eol: '\r\n' },
    { text: 'b', eol: '\n' },
    { text: 'c\rd', eol: '\n' },
    { text: 'e', eol: '' },
  ]);
  assert.deepEqual(splitLines(''), []);
  assert.deepEqual(splitLines('\n'), [{ text: '', eol: '\n' }]);
});

test('scanConfig: the byte-order mark and the line ending of the first line', () => {
  const s = scanConfig('\xEF\xBB\xBF[default]\r\nregion = x\n');
  assert.equal(s.bom, true);
  assert.equal(s.eol, '\r\n');
  assert.deepEqual(
    s.outside.map((x) => [x.kind, x.name, x.line]),
    [['profile', 'default', 0]],
  );
  assert.equal(scanConfig('no newline at all').eol, '\n');
  assert.equal(scanConfig('').bom, false);
});

test('the block checksum ignores CR, so converting the whole file to CRLF is not a hand edit', () => {
  assert.equal(bodyChecksum(['a', 'b']), bodyChecksum(['a', 'b']));
  assert.notEqual(bodyChecksum(['a', 'b']), bodyChecksum(['a', 'b ']));
  const input = {
    fetched: [
      {
        session: {
          name: 'mycorp',
          startUrl: 'https://d-1234567890.awsapps.com/start',
          region: 'eu-north-1',
          scopes: ['sso:account:access'],
        },
        assignments: [
          { session: 'mycorp', accountId: '111111111111', accountName: 'Prod', roleName: 'AdministratorAccess' },
        ],
      },
    ],
    configuredSessions: ['mycorp'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  };
  const lf = planSync({ ...input, text: '[default]\nregion = x\n' });
  assert.ok(lf.ok);
  const crlf = lf.text.replace(/\n/g, '\r\n');
  const again = planSync({ ...input, text: crlf });
  assert.ok(again.ok);
  assert.equal(again.outcomes[0]!.handEdited, undefined);
  assert.equal(again.changed, false);
  assert.equal(again.text, crlf);
});

test('markers: only the exact marker lines open and close a block; trailing blanks are tolerated', () => {
  const block = planSync({
    text: undefined,
    fetched: [
      {
        session: { name: 'a.b_c-d', startUrl: 'https://x/start', region: 'eu-west-1', scopes: ['s'] },
        assignments: [],
      },
    ],
    configuredSessions: ['a.b_c-d'],
    rules: defaultRules,
    guard: { maxRemovalShare: 0.5, allowMassRemoval: false },
  });
  assert.ok(block.ok);
  const lines = block.text.split('\n');
  const s = scanConfig(block.text.replace(/\n/g, ' \t\n'));
  assert.deepEqual(s.damage, []);
  assert.deepEqual(
    s.blocks.map((b) => [b.session, b.begin, b.end]),
    [['a.b_c-d', 0, lines.length - 2]],
  );
  const damaged = [
    lines[0]!.toLowerCase(),
    `;${lines[0]!.slice(1)}`,
    `#${lines[0]}`,
    lines[0]!.replace(/checksum [0-9a-f]+/, 'checksum XYZ'),
    `\t${lines[0]}`,
    '# BEGIN sso-sync',
    '#END sso-sync a.b_c-d',
    '# END sso-sync a.b_c-d extra',
  ];
  for (const line of damaged) {
    const scan = scanConfig(`[default]\n${line}\n`);
    assert.equal(scan.damage.length, 1, JSON.stringify(line));
    assert.equal(scan.damage[0]!.line, 2);
  }
  assert.deepEqual(
    scanConfig('# BEGIN sso-syncing notes\n# my sso-sync notes\n').damage,
    [],
    'other comments are not markers',
  );
});

test('classifyHeader: profiles, default and sso-sessions, with shell quoting', () => {
  assert.deepEqual(classifyHeader('profile prod'), { kind: 'profile', name: 'prod' });
  assert.deepEqual(classifyHeader('profile   "prod admin" '), { kind: 'profile', name: 'prod admin' });
  assert.deepEqual(classifyHeader("profile 'it''s'"), { kind: 'profile', name: 'its' });
  assert.deepEqual(classifyHeader('profile\tx'), { kind: 'profile', name: 'x' });
  assert.deepEqual(classifyHeader('default'), { kind: 'profile', name: 'default' });
  assert.deepEqual(classifyHeader('profile default'), { kind: 'profile', name: 'default' });
  assert.deepEqual(classifyHeader('sso-session mycorp'), { kind: 'sso-session', name: 'mycorp' });
  assert.deepEqual(classifyHeader('profile'), { kind: 'other', name: 'profile' });
  assert.deepEqual(classifyHeader('profile a b'), { kind: 'other', name: 'profile a b' });
  assert.deepEqual(classifyHeader('profile "open'), { kind: 'other', name: 'profile "open' });
  assert.deepEqual(classifyHeader('profile x\\'), { kind: 'other', name: 'profile x\\' });
  assert.deepEqual(classifyHeader(' profile x'), { kind: 'other', name: ' profile x' });
  assert.deepEqual(classifyHeader('Profile x'), { kind: 'other', name: 'Profile x' });
  assert.deepEqual(classifyHeader('default '), { kind: 'other', name: 'default ' });
  assert.deepEqual(classifyHeader('services s3'), { kind: 'other', name: 'services s3' });
});

/** Header texts where sso-sync and the AWS CLI could disagree. */
const headerCorpus = [
  'profile prod',
  'profile "prod admin"',
  "profile 'prod'",
  'profile "a\\"b"',
  'profile "a\\\\b"',
  'profile a\\ b',
  "profile 'a\\'",
  'profile "a#b"',
  'profile a"b c"d',
  'profile ""',
  'profile\tprod',
  'profile  prod  ',
  'profile',
  'profile "x',
  'profile x\\',
  'default',
  'sso-session mycorp',
  'sso-session "my corp"',
  'profile "a\\$b"',
  'profile "a\\`b"',
  'profile\vprod-admin',
  'profile prod-admin\f',
  'profilex prod-admin',
  'profile-old prod-admin',
  'sso-sessions mycorp',
  'profile café',
  'profile a\u00a0b',
];

test('shellWords splits every header of the corpus as Python shlex.split does', () => {
  const expected = shlexSplit(headerCorpus);
  const differ = headerCorpus
    .map((h, i) => ({ header: h, shlex: expected[i], sso: shellWords(bytes(h))?.map(text) ?? null }))
    .filter((d) => JSON.stringify(d.shlex) !== JSON.stringify(d.sso));
  assert.deepEqual(differ, []);
});

test('classifyHeader files every header of the corpus as botocore does', () => {
  const expected = botocoreKinds(headerCorpus);
  const differ = headerCorpus
    .map((h, i) => {
      const mine = classifyHeader(bytes(h));
      return { header: h, botocore: expected[i], sso: [mine.kind, text(mine.name)] };
    })
    .filter((d) => JSON.stringify(d.botocore) !== JSON.stringify(d.sso));
  assert.deepEqual(differ, []);
});

// Characters of headers people write: the corpus above pins the ones where sso-sync and shlex are known to
// disagree (vertical tab, form feed, \$ and \` inside double quotes), so they are left out here.
const headerChar = fc.constantFrom(' ', '\t', '"', "'", '\\', 'a', 'B', '-', '.', '_', '#', '=', '[', ']', ';', 'é');
const headerArb = fc
  .tuple(
    fc.constantFrom('profile', 'profile ', 'sso-session ', 'default', ''),
    fc.string({ unit: headerChar, maxLength: 12 }),
  )
  .map(([a, b]) => a + b);

test('property: shellWords agrees with shlex.split on headers made of ordinary characters', () => {
  const headers = fc.sample(headerArb, { numRuns: 3000 });
  const expected = shlexSplit(headers);
  const differ = headers
    .map((h, i) => ({ h, shlex: expected[i], sso: shellWords(h) ?? null }))
    .filter((d) => JSON.stringify(d.shlex) !== JSON.stringify(d.sso));
  assert.deepEqual(differ.slice(0, 5), []);
});

test('property: a header names the same generated-style profile for sso-sync and for botocore', () => {
  // What matters to a sync: which names a header takes away from generated profiles and sessions. The prefixes
  // and blanks where they are known to disagree are pinned by the corpus above.
  const safe = /^[A-Za-z0-9._-]+$/;
  const headers = fc.sample(
    fc
      .tuple(
        fc.constantFrom('profile', 'sso-session', 'default', 'services', 'Profile', ' profile'),
        fc.constantFrom(' ', '\t', '  ', ' \t '),
        fc.constantFrom(
          'prod-admin',
          '"prod-admin"',
          "'prod'",
          'a.b',
          '"a b"',
          '',
          '"x\\"y"',
          'a\\ b',
          '"open',
          'p"q"',
        ),
        fc.constantFrom('', ' ', '\t', ' x'),
      )
      .map((parts) => parts.join('')),
    { numRuns: 600 },
  );
  const expected = botocoreKinds(headers);
  const differ: unknown[] = [];
  headers.forEach((h, i) => {
    const mine = classifyHeader(h);
    const [kind, name] = expected[i]!;
    const theirs = kind !== 'other' && safe.test(name) ? `${kind} ${name}` : undefined;
    const ours = mine.kind !== 'other' && safe.test(mine.name) ? `${mine.kind} ${mine.name}` : undefined;
    if (theirs !== ours) differ.push({ header: h, botocore: theirs ?? null, sso: ours ?? null });
  });
  assert.deepEqual(differ.slice(0, 8), []);
});

test('readSections: comments anywhere, continuation lines, keys lowercased, values trimmed', () => {
  const file = [
    '# top',
    '[profile tools]',
    'Region = us-east-1',
    '  ; an indented comment is still a comment',
    's3 =',
    '  max_concurrent_requests = 20',
    '',
    '  addressing_style = path',
    '# between',
    'output:json',
    'cli_pager =   ',
    '[sso-session mycorp]  ',
    'sso_start_url=https://x/start',
    '  [not a header, a continuation]',
    '   [profile "quoted name"] trailing',
    'k = v',
  ].join('\n');
  const sections = readSections(splitLines(file));
  assert.deepEqual(
    sections.map((s) => [s.kind, s.name, s.line, Object.fromEntries(s.values)]),
    [
      [
        'profile',
        'tools',
        1,
        {
          region: 'us-east-1',
          s3: '\nmax_concurrent_requests = 20\naddressing_style = path',
          output: 'json',
          cli_pager: '',
        },
      ],
      [
        'sso-session',
        'mycorp',
        11,
        { sso_start_url: 'https://x/start\n[not a header, a continuation]\n[profile "quoted name"] trailing', k: 'v' },
      ],
    ],
  );
  // A header after an option line at the same indent opens a section, as in configparser.
  const indented = readSections(splitLines('[a]\n  k = v\n  [profile b]\nx = y\n'));
  assert.deepEqual(
    indented.map((s) => [s.kind, s.name, Object.fromEntries(s.values)]),
    [
      ['other', 'a', { k: 'v' }],
      ['profile', 'b', { x: 'y' }],
    ],
  );
});

/**
 * Python's reading of a file, in readSections' terms; blank lines inside a multi-line value are dropped, as
 * readSections does.
 */
function pythonSections(reading: Extract<ReturnType<typeof readWithPython>[string], { ok: true }>) {
  return reading.kinds.map(([section, kind, name]) => ({
    kind,
    name,
    values: Object.fromEntries(
      Object.entries(reading.sections[section]!).map(([k, v]) => [k, v.replace(/\n{2,}/g, '\n')]),
    ),
  }));
}

function ourSections(file: string) {
  return readSections(splitLines(file)).map((s: SectionRef) => ({
    kind: s.kind,
    // readSections decodes UTF-8 itself, as Python does: names and values arrive as text.
    name: s.name,
    values: Object.fromEntries(s.values),
  }));
}

/** Files the AWS CLI reads one way and sso-sync another: each hides a [profile prod-admin] from sso-sync. */
const hiddenSections: Record<string, string> = {
  'a lone CR ends a line for Python':
    '[default]\nregion = eu-west-1\n# exported by an old editor\r[profile prod-admin]\rregion = us-east-1\n',
  'a file with CR line endings only': '[default]\rregion = eu-west-1\r[profile prod-admin]\rregion = us-east-1\r',
  'a no-break space before the header': '\u00a0[profile prod-admin]\nregion = us-east-1\n',
  'an ideographic space before the header': '\u3000[profile prod-admin]\nregion = us-east-1\n',
  'an information separator (0x1c) before the header': '\x1c[profile prod-admin]\nregion = us-east-1\n',
};

test('readSections sees the sections the AWS CLI sees, in files with unusual line breaks and spaces', (t) => {
  const dir = tempDir(t, 'sso-sync-sections-');
  const names = Object.keys(hiddenSections);
  names.forEach((n, i) => writeFileSync(join(dir, `${i}.ini`), Buffer.from(hiddenSections[n]!, 'utf8')));
  const read = readWithPython(names.map((_, i) => join(dir, `${i}.ini`)));
  const differ: unknown[] = [];
  names.forEach((n, i) => {
    const reading = read[join(dir, `${i}.ini`)]!;
    assert.ok(reading.ok, `${n}: Python cannot read the example`);
    const theirs = pythonSections(reading).map((s) => `${s.kind} ${s.name}`);
    const ours = ourSections(bytes(hiddenSections[n]!)).map((s) => `${s.kind} ${s.name}`);
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) differ.push({ file: n, awsCli: theirs, ssoSync: ours });
  });
  assert.deepEqual(differ, []);
});

// Files made of the lines people write: headers, options (with = or :, any spacing), nested values, comments,
// blank lines, LF or CRLF. Lone CRs and unusual spaces are pinned by the test above.
const indent = fc.constantFrom('', '', '', ' ', '  ', '\t');
const valueText = fc.constantFrom(
  '',
  'x',
  'us-east-1',
  'a = b',
  'a: b',
  'café',
  ' spaced ',
  '# not a comment',
  'v ; no inline comments',
);
const optionLine = fc
  .tuple(
    indent,
    fc.constantFrom('region', 'output', 'S3', 'Cli_Pager', 'a b', 'sso_session'),
    fc.constantFrom(' = ', '=', ': ', ' : ', ' =\t'),
    valueText,
  )
  .map(([i, k, d, v]) => `${i}${k}${d}${v}`);
const bodyLine = fc.oneof(
  { weight: 4, arbitrary: optionLine },
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.constantFrom('  ', '    ', '\t'),
        fc.constantFrom('max = 20', 'style = path', 'x', '[looks like a header]'),
      )
      .map(([i, v]) => i + v),
  },
  { weight: 2, arbitrary: fc.tuple(indent, fc.constantFrom('#', ';', '# note', '; café')).map(([i, c]) => i + c) },
  { weight: 2, arbitrary: fc.constantFrom('', ' ', '\t') },
);
const headerLine = fc
  .tuple(
    fc.constantFrom('', '', '', ' ', '\t'),
    fc.constantFrom(
      'profile a',
      'profile "b c"',
      "profile 'd'",
      'default',
      'sso-session s',
      'services x',
      'plugins',
      'profile e.f',
      'profile',
      'profile "g',
    ),
    fc.constantFrom('', '', ' ', ' ; trailing'),
  )
  .map(([i, h, after]) => `${i}[${h}]${after}`);
const configFile = fc
  .tuple(
    fc.array(fc.tuple(headerLine, fc.array(bodyLine, { maxLength: 6 })), { minLength: 1, maxLength: 5 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
  )
  .map(([sections, eol, finalEol]) => {
    const lines = sections.flatMap(([h, body]) => [h, ...body]);
    return lines.join(eol) + (finalEol ? eol : '');
  });

test('property: readSections reads what configparser reads, wherever configparser reads the file', (t) => {
  const dir = tempDir(t, 'sso-sync-sections-');
  const files = fc.sample(configFile, { numRuns: 400 });
  files.forEach((f, i) => writeFileSync(join(dir, `${i}.ini`), Buffer.from(f, 'utf8')));
  const read = readWithPython(files.map((_, i) => join(dir, `${i}.ini`)));
  let compared = 0;
  files.forEach((f, i) => {
    const reading = read[join(dir, `${i}.ini`)]!;
    if (!reading.ok) return; // duplicate sections or keys, options outside a section: the AWS CLI refuses those files
    compared++;
    assert.deepEqual(ourSections(bytes(f)), pythonSections(reading), JSON.stringify(f));
  });
  assert.ok(compared >= 100, `only ${compared} of ${files.length} files were readable by configparser`);
});

/** A block as sso-sync writes it, its last profile with a region, at the end of the file. */
const endedBlock = [
  '# BEGIN sso-sync corp (managed: edits inside are replaced; checksum 0123abcd)',
  '[profile a]',
  'sso_session = corp',
  'region = eu-west-1',
  '',
  '[profile b]',
  'region = eu-north-1',
  '# END sso-sync corp',
  '',
].join('\n');

/** Files the AWS CLI's parser refuses, or not, for a section or key given twice; each with the lines sso-sync names. */
const repeatCases: [string, string, number[]][] = [
  ['a section twice', '[a]\nk = 1\n\n[a]\nj = 2\n', [4]],
  ['a key twice, in another case', '[a]\nk = 1\nK = 2\n', [3]],
  ['a key twice after a continuation line', '[a]\ns3 =\n  k = 1\ns3 = x\n', [4]],
  ['[DEFAULT] twice, different keys', '[DEFAULT]\nk = 1\n[DEFAULT]\nj = 2\n', []],
  ['[DEFAULT] twice, the same key', '[DEFAULT]\nk = 1\n[DEFAULT]\nk = 2\n', [3]],
  ['a profile, quoted and not', '[profile a]\nk = 1\n[profile "a"]\nk = 2\n', []],
  ['the same key indented under another (a continuation)', '[a]\nk = 1\n  k = 2\n', []],
  ['a key commented out', '[a]\n# k = 1\nk = 2\n', []],
  ['headers that differ by a space', '[ a]\nk = 1\n[a]\nk = 2\n', []],
  ['a section twice with CRLF, and a key twice in the second', '[b]\r\nx = 1\r\n[b]\r\nx = 1\r\nx = 2\r\n', [3, 5]],
  ['a header with a line separator (U+2028) in it, twice', '[a\u2028b]\nk = 1\n[a\u2028b]\nk = 2\n', [3]],
  ['a value with a line separator, then its key again', '[a]\nk = x\u2028y\nk = 2\n', [3]],
  ['a header with a line separator, once, after a section with the same key', '[z]\nk = 1\n[a\u2028b]\nk = 2\n', []],
  ['a UTF-8 header twice', '[profile caf\u00e9]\nk = 1\n[profile caf\u00e9]\nk = 2\n', [3]],
  ["a key of the block's last profile again after its END marker", `${endedBlock}region = us-east-1\n`, [9]],
  ['another key after the END marker, then a section', `${endedBlock}output = json\n[profile p]\nregion = x\n`, []],
  ['the key again after the END marker, but after a header', `${endedBlock}[profile p]\nregion = x\n`, []],
  [
    'the key again after an empty block that follows the block',
    `${endedBlock}# BEGIN sso-sync new (managed: edits inside are replaced; checksum e3b0c442)\n# END sso-sync new\nregion = x\n`,
    [11],
  ],
  ['the key again after the END marker, indented: a continuation line', `${endedBlock}  region = x\n`, []],
  ['the key again after the END marker, behind a lone CR', `${endedBlock}region = x\r[profile q]\nk = v\n`, [9]],
];

test("unreadableIn names a section or key given twice exactly where the AWS CLI's parser refuses the file", (t) => {
  const dir = tempDir(t, 'sso-sync-repeats-');
  repeatCases.forEach(([, text], i) => writeFileSync(join(dir, `${i}.ini`), text));
  assert.ok(pythonAvailable(), 'python3 is needed to read the files as the AWS CLI does');
  const read = readWithPython(repeatCases.map((_, i) => join(dir, `${i}.ini`)));
  repeatCases.forEach(([name, text, lines], i) => {
    const reading = read[join(dir, `${i}.ini`)]!;
    // scanConfig takes the file's bytes as a byte string.
    const found = unreadableIn(Buffer.from(text, 'utf8').toString('latin1'));
    assert.deepEqual(
      found.map((d) => d.line),
      lines,
      name,
    );
    assert.equal(
      found.length > 0,
      !reading.ok && /^Duplicate(?:Section|Option)Error/.test(reading.error),
      `${name}: ${reading.ok ? 'read' : reading.error}`,
    );
  });
});
