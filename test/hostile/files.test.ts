/**
 * Hostile AWS config files, each through the built CLI (`sso-sync --once`) against the emulator: every one either
 * syncs with every byte outside sso-sync's block kept, or is refused with a clear message and left untouched.
 *
 * Inputs are byte strings (latin1: one char, one byte; write `\xC3\xA9` for a UTF-8 "é"), so that what the file
 * holds is exactly what the case says.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { Fixture } from '../../src/emulator/server.js';
import { pythonAvailable, readWithPython, type PythonReading } from '../core/python-config.js';
import { chownTree, logLines, sandbox, sessionSection, type RunResult, type Sandbox } from '../helpers/sandbox.js';

// ---------------------------------------------------------------------------------------------------------------
// The organisation the emulator serves, and what the default naming rules make of it.

const fixture: Fixture = {
  accounts: [
    { accountId: '111111111111', accountName: 'Prod', roles: ['AdministratorAccess', 'ReadOnlyAccess'] },
    { accountId: '222222222222', accountName: 'Dev', roles: ['AdministratorAccess', 'PowerUserAccess'] },
  ],
};
/** Generated profile -> [account id, role]. */
const generated: Record<string, [string, string]> = {
  'dev-PowerUserAccess': ['222222222222', 'PowerUserAccess'],
  'dev-admin': ['222222222222', 'AdministratorAccess'],
  prod: ['111111111111', 'ReadOnlyAccess'],
  'prod-admin': ['111111111111', 'AdministratorAccess'],
};
const allProfiles = Object.keys(generated).sort();

// ---------------------------------------------------------------------------------------------------------------
// Building inputs.

const session = sessionSection();
const person = '# my own settings, kept as they are\n[default]\nregion = eu-west-1\noutput = json\n\n';
const crlf = (text: string) => text.replace(/\r?\n/g, '\r\n');
const bom = '\xEF\xBB\xBF';
const settingsYaml =
  'sessions:\n  mycorp:\n    start_url: https://d-1234567890.awsapps.com/start\n    region: eu-north-1\n';

/**
 * A block as an earlier sync wrote it (no `[sso-session]` inside: the person's section defines it). The checksum
 * is computed here independently: sha256 of the body lines joined with LF, first 8 hex digits.
 */
function earlierBlock(
  names: readonly string[],
  options: {
    eol?: string;
    checksum?: string;
    session?: string;
    beginTail?: string;
    endTail?: string;
    extraBody?: string[];
  } = {},
): string {
  const { eol = '\n', session: name = 'mycorp', beginTail = '', endTail = '' } = options;
  const sections = names.map((n) => {
    const [account, role] = generated[n]!;
    return [
      `[profile ${n}]`,
      `sso_session = ${name}`,
      `sso_account_id = ${account}`,
      `sso_role_name = ${role}`,
      'region = eu-north-1',
    ];
  });
  const body = sections.flatMap((lines, i) => (i === 0 ? lines : ['', ...lines]));
  const checksum = options.checksum ?? createHash('sha256').update(body.join('\n'), 'latin1').digest('hex').slice(0, 8);
  body.push(...(options.extraBody ?? []));
  const begin = `# BEGIN sso-sync ${name} (managed: edits inside are replaced; checksum ${checksum})${beginTail}`;
  return [begin, ...body, `# END sso-sync ${name}${endTail}`].map((l) => l + eol).join('');
}

/** A huge config: the person's own profiles, about `mb` megabytes of them, made the same way every run. */
function hugeConfig(mb: number): string {
  const parts = [person, session, '\n'];
  let size = 0;
  for (let i = 0; size < mb * 1024 * 1024; i++) {
    const p = `[profile person-${String(i).padStart(7, '0')}]\nregion = eu-west-${1 + (i % 3)}\noutput = json\nrole_arn = arn:aws:iam::${String(100000000000 + i)}:role/Person\nsource_profile = default\n\n`;
    parts.push(p);
    size += p.length;
  }
  return parts.join('');
}

// ---------------------------------------------------------------------------------------------------------------
// Reading results: where the block is, what lies outside it.

interface LineAt {
  start: number;
  /** Just past the line's `\n` (or the end of the file). */
  end: number;
  /** The line without its `\n` (a `\r` before it stays). */
  text: string;
}

function linesOf(s: string): LineAt[] {
  const out: LineAt[] = [];
  let start = 0;
  while (start < s.length) {
    const nl = s.indexOf('\n', start);
    const end = nl === -1 ? s.length : nl + 1;
    out.push({ start, end, text: s.slice(start, nl === -1 ? s.length : nl) });
    start = end;
  }
  return out;
}

/**
 * The byte ranges of a session's blocks, each from the start of its BEGIN line to the end of its END line (line
 * ending included). Markers as DESIGN.md has them: at the start of a line, trailing blanks tolerated; a byte-order
 * mark before the first line is not part of a block.
 */
function blockRanges(s: string, name = 'mycorp'): { start: number; end: number }[] {
  const begin = new RegExp(`^# BEGIN sso-sync ${name} \\(.*checksum [0-9a-f]{8}\\)[ \\t\\r]*$`);
  const end = new RegExp(`^# END sso-sync ${name}[ \\t\\r]*$`);
  const ranges: { start: number; end: number }[] = [];
  let open: number | undefined;
  for (const l of linesOf(s)) {
    const hasBom = l.start === 0 && l.text.startsWith(bom);
    const text = hasBom ? l.text.slice(bom.length) : l.text;
    if (begin.test(text)) {
      assert.equal(open, undefined, `a BEGIN marker inside a block at offset ${l.start}`);
      open = l.start + (hasBom ? bom.length : 0);
    } else if (end.test(text)) {
      assert.notEqual(open, undefined, `an END marker without a BEGIN at offset ${l.start}`);
      ranges.push({ start: open!, end: l.end });
      open = undefined;
    }
  }
  assert.equal(open, undefined, 'a BEGIN marker without an END');
  return ranges;
}

/** What lies outside the given ranges: the pieces before, between and after them. */
function outsideParts(s: string, ranges: readonly { start: number; end: number }[]): string[] {
  const parts: string[] = [];
  let at = 0;
  for (const r of ranges) {
    parts.push(s.slice(at, r.start));
    at = r.end;
  }
  parts.push(s.slice(at));
  return parts;
}

/** Asserts two byte strings are equal; on a difference, shows where (not megabytes of both). */
function sameBytes(actual: string, expected: string, what: string): void {
  if (actual === expected) return;
  let i = 0;
  while (i < actual.length && i < expected.length && actual[i] === expected[i]) i++;
  const around = (s: string) => JSON.stringify(s.slice(Math.max(0, i - 40), i + 40));
  assert.fail(
    `${what}: first difference at byte ${i} (lengths ${actual.length} and ${expected.length})\n  got:      ${around(actual)}\n  expected: ${around(expected)}`,
  );
}

/** Section headers (as configparser names them) inside the ranges. */
function headersIn(s: string, ranges: readonly { start: number; end: number }[]): Set<string> {
  const names = new Set<string>();
  for (const r of ranges) for (const m of s.slice(r.start, r.end).matchAll(/^\[(.+)\]/gm)) names.add(m[1]!);
  return names;
}

/** The 1-based line of the first line holding `needle` (after a byte-order mark, as sso-sync counts). */
function lineOf(input: string, needle: string): number {
  const text = input.startsWith(bom) ? input.slice(bom.length) : input;
  const at = text.indexOf(needle);
  assert.ok(at >= 0, `${JSON.stringify(needle)} is in the input`);
  return text.slice(0, at).split('\n').length;
}

/** Everything a refused run must leave as it was: the path's kind, link, bytes, times, mode, owner, neighbours. */
interface Snapshot {
  kind: string;
  link: string | undefined;
  bytes: string | undefined;
  lmtimeNs: bigint;
  mtimeNs: bigint | undefined;
  mode: bigint | undefined;
  uid: bigint | undefined;
  neighbours: string[];
  inside: string[] | undefined;
}

function snapshot(file: string): Snapshot {
  let l;
  try {
    l = lstatSync(file, { bigint: true });
  } catch (error) {
    const kind = `missing (${(error as NodeJS.ErrnoException).code})`;
    return {
      kind,
      link: undefined,
      bytes: undefined,
      lmtimeNs: 0n,
      mtimeNs: undefined,
      mode: undefined,
      uid: undefined,
      neighbours: [],
      inside: undefined,
    };
  }
  const kind = l.isSymbolicLink()
    ? 'symlink'
    : l.isDirectory()
      ? 'directory'
      : l.isFile()
        ? 'file'
        : l.isFIFO()
          ? 'fifo'
          : l.isCharacterDevice()
            ? 'char-device'
            : 'other';
  let s;
  try {
    s = statSync(file, { bigint: true });
  } catch {
    s = undefined; // a dangling link, a loop
  }
  return {
    kind,
    link: l.isSymbolicLink() ? readlinkSync(file) : undefined,
    // Never read a FIFO or a device: it could block the test.
    bytes: s?.isFile() ? readFileSync(file).toString('latin1') : undefined,
    lmtimeNs: l.mtimeNs,
    mtimeNs: s?.mtimeNs,
    mode: s?.mode,
    uid: s?.uid,
    neighbours: readdirSync(path.dirname(file)).sort(),
    inside: s?.isDirectory() ? readdirSync(file).sort() : undefined,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The cases.

type Expect =
  | {
      outcome: 'synced';
      /** Profiles expected in the block (default: all four). */
      profiles?: readonly string[];
      /** The line ending every line of the block must have (default: one ending, whichever). */
      eol?: '\n' | '\r\n';
      /** The block holds the `[sso-session]` section (true when only the settings define the session). */
      sessionInBlock?: boolean;
      /** Log lines the first run must print (each matched on the given fields). */
      logs?: Record<string, unknown>[];
      /** Extra checks on the written file, or on the world. */
      check?: (box: Sandbox, first: RunResult, before: Snapshot) => void;
      /**
       * Whether to check with Python's configparser (the AWS CLI's parser) that the person's sections read the same.
       */
      python?: boolean;
    }
  | {
      outcome: 'refused';
      exit: number;
      /** The message on stderr: what happened and what to do. */
      message: RegExp;
      /** Text in the input whose line the message must name (`<file>:<line>:`). */
      at?: string;
    };

interface Case {
  name: string;
  /** The file's bytes, as a byte string or a Buffer. */
  input?: string | Buffer | (() => string);
  /** Builds what `input` cannot (links, directories, permissions); runs after the input is written. */
  setup?: (box: Sandbox, file: string) => void;
  /** The session comes from a settings file (the config does not define it). */
  settings?: boolean;
  /** Where the config is, relative to HOME (AWS_CONFIG_FILE); default `.aws/config`. */
  at?: string;
  /** Runs the CLI as an unprivileged user owning HOME: the suite runs as root, whom permissions do not stop. */
  asUser?: boolean;
  timeoutMs?: number;
  expect: Expect;
}

const damaged = /Repair or delete the damaged block by hand.*then run again/s;
const nestedTail =
  '[profile nested]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n  max_queue_size = 1000\n\tmultipart_threshold = 64MB';

const cases: Case[] = [
  // Line endings.
  {
    name: 'CRLF line endings throughout',
    input: crlf(person + session + '\n[profile home]\nregion = us-west-2\n'),
    expect: { outcome: 'synced', eol: '\r\n' },
  },
  {
    name: 'mixed CRLF and LF lines',
    input: `[default]\nregion = eu-west-1\r\noutput = json\n\r\n${crlf(session)}\n[profile mixed]\r\nregion = us-east-1\n`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'CR-only line endings (an old Mac editor)',
    input: (person + session + '\n[profile classic]\nregion = us-west-2\n').replace(/\n/g, '\r'),
    expect: { outcome: 'synced' },
  },
  {
    // The AWS CLI v2 cannot parse a config that starts with a BOM; the BOM is still the person's byte, so it is
    // kept (the rule: nothing outside the block changes) and sso-sync warns with the command that removes it.
    name: 'a UTF-8 byte-order mark',
    input: bom + person + session,
    expect: {
      outcome: 'synced',
      logs: [{ event: 'config.bom', level: 'warn' }],
      check: (_box, run) => assert.match(run.stdout, /byte-order mark.*sed -i/),
    },
  },
  {
    name: 'a byte-order mark, CRLF, and no final newline',
    input: bom + crlf(person + session + '\n[profile home]\nregion = us-west-2'),
    expect: { outcome: 'synced', eol: '\r\n', logs: [{ event: 'config.bom' }] },
  },
  {
    name: 'no final newline',
    input: person + session + '\n[profile last]\nregion = us-east-1',
    expect: { outcome: 'synced', eol: '\n' },
  },
  {
    name: 'an empty file (the session is in the settings)',
    input: '',
    settings: true,
    expect: { outcome: 'synced', sessionInBlock: true },
  },
  {
    name: 'only whitespace and blank lines (the session is in the settings)',
    input: '  \n\t\n\n \r\n   ',
    settings: true,
    expect: { outcome: 'synced', sessionInBlock: true },
  },

  // Layout the AWS CLI accepts.
  {
    name: 'tabs and indentation, tab-indented sso-session keys',
    input:
      '[default]\n\tregion\t=\teu-west-1\n  output = json\n\n[sso-session mycorp]\n\tsso_start_url = https://d-1234567890.awsapps.com/start\n\tsso_region = eu-north-1\n\t\n[profile tabbed]\t\n\tregion = us-east-1   \n',
    expect: { outcome: 'synced' },
  },
  {
    name: 'nested values (s3 = with indented keys), the last one at the end without a final newline',
    input: `${person}[profile first]\ns3 =\n  max_concurrent_requests = 10\n  addressing_style = path\nregion = eu-west-1\n\n${session}\n${nestedTail}`,
    expect: { outcome: 'synced' },
  },
  {
    name: '[profile "quoted name"] and [profile \'single\']',
    input: `${person}[profile "quoted name"]\nregion = us-east-1\n\n[profile 'single quoted']\nregion = us-west-1\n\n${session}`,
    expect: { outcome: 'synced' },
  },
  {
    // The AWS CLI ignores `[ profile  prod-admin ]` (the header does not start with "profile"), so the generated
    // prod-admin is not a duplicate of it and is written.
    name: '[ profile  prod-admin ] with spaces is not a profile to the AWS CLI',
    input: `${person}[ profile  prod-admin ]\nregion = us-east-1\n\n${session}`,
    expect: { outcome: 'synced', profiles: allProfiles },
  },
  {
    name: 'comments with # and ;, and inline comments',
    input: `# top comment\n; semicolon comment\n[default] # after the header\nregion = eu-west-1 # inline, part of the value for configparser\noutput = json ; also inline\n  # indented comment\n;[profile commented-out]\n#region = nowhere\n\n${session}# trailing comment\n`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'sections the person wrote twice ([default] and a profile)',
    input: `${person}[profile home]\nregion = us-west-2\n\n[default]\noutput = text\n\n[profile home]\nregion = eu-west-3\n\n${session}`,
    expect: {
      outcome: 'synced',
      check: (_box, run) =>
        assert.match(
          run.stdout,
          /cannot read .*line 9: \[default\] again \(first on line 2\); line 12: \[profile home\] again \(first on line 6\)/,
        ),
    },
  },
  {
    name: 'a key the person wrote twice in one section',
    input: `${person}[profile home]\nregion = us-west-2\nRegion = eu-west-3\n\n${session}`,
    expect: {
      outcome: 'synced',
      check: (_box, run) => assert.match(run.stdout, /line 8: region again in \[profile home\]/),
    },
  },
  {
    name: 'a [default] section with static keys and a [profile default]',
    input: `[default]\naws_access_key_id = AKIAEXAMPLEEXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n\n[profile default]\nregion = us-east-1\n\n${session}`,
    expect: {
      outcome: 'synced',
      check: (_box, run) => assert.ok(!run.stdout.includes('wJalrXUtnFEMI'), 'the secret key is never printed'),
    },
  },
  {
    name: "a person's [profile prod-admin] wins over the generated one",
    input: `${person}[profile prod-admin]\nregion = us-east-1\nrole_arn = arn:aws:iam::111111111111:role/Mine\n\n${session}`,
    expect: {
      outcome: 'synced',
      profiles: allProfiles.filter((p) => p !== 'prod-admin'),
      logs: [{ event: 'profile.skipped', reason: 'name-taken', profile: 'prod-admin', accountId: '111111111111' }],
    },
  },
  {
    name: "a region appended after the block, which the AWS CLI reads as the block's last profile's second region",
    input: `${person}${session}\n${earlierBlock(allProfiles)}region = us-east-1\n`,
    expect: {
      outcome: 'synced',
      check: (_box, run) =>
        assert.match(
          run.stdout,
          /line 36: region again in \[profile prod-admin\], after the END marker of sso-sync's block/,
        ),
    },
  },
  {
    name: 'a profile copied out of the block, so the file has it twice until the sync drops the generated one',
    input: `${person}[profile prod]\nregion = us-east-1\n\n${session}\n${earlierBlock(allProfiles)}`,
    expect: {
      outcome: 'synced',
      profiles: allProfiles.filter((p) => p !== 'prod'),
      logs: [{ event: 'profile.skipped', reason: 'name-taken', profile: 'prod' }],
      // The file the AWS CLI could not read is readable once synced: no warning about a repeat that is gone.
      check: (_box, run) => assert.ok(!logLines(run.stdout).some((l) => l.event === 'config.unreadable'), run.stdout),
    },
  },
  {
    name: 'a person\'s [profile "prod"] (quoted) wins over the generated prod',
    input: `${person}[profile "prod"]\nregion = us-east-1\n\n${session}`,
    expect: {
      outcome: 'synced',
      profiles: allProfiles.filter((p) => p !== 'prod'),
      logs: [{ event: 'profile.skipped', reason: 'name-taken', profile: 'prod' }],
    },
  },

  // sso-session sections.
  {
    name: 'the sso-session is only in the settings',
    input: person + '[profile home]\nregion = us-west-2\n',
    settings: true,
    expect: { outcome: 'synced', sessionInBlock: true },
  },
  {
    name: 'the sso-session defined twice by the person',
    input: `${person}${session}\n[profile between]\nregion = us-east-1\n\n${session}`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'an [sso-session "mycorp"] with a quoted name',
    input: person + session.replace('[sso-session mycorp]', '[sso-session "mycorp"]'),
    expect: { outcome: 'synced' },
  },

  // Blocks and markers.
  {
    name: "a valid block from an earlier sync, in the middle of a CRLF file, the person's lines after it without a final newline",
    input:
      crlf(person + session + '\n') +
      earlierBlock(['prod', 'prod-admin'], { eol: '\r\n' }) +
      crlf('\n# after the block\n[profile after]\nregion = us-east-1'),
    expect: { outcome: 'synced', eol: '\r\n' },
  },
  {
    name: 'valid markers with trailing spaces and a CR (in an LF file)',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod-admin'], { beginTail: ' \t ', endTail: '\r' }) +
      '\n[profile after]\nregion = us-east-1\n',
    expect: { outcome: 'synced' },
  },
  {
    name: 'a hand-edited block (its checksum no longer matches): replaced, the old file backed up',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod', 'prod-admin'], {
        checksum: '00000000',
        extraBody: ['', '[profile added-by-hand]', 'region = us-east-1'],
      }) +
      '\n[profile after]\nregion = us-east-1\n',
    expect: {
      outcome: 'synced',
      logs: [{ event: 'block.edited', session: 'mycorp' }],
      check: (_box, run, before) => {
        const line = logLines(run.stdout).find((l) => l.event === 'block.edited')!;
        assert.ok((line.replaced as string[]).includes('added-by-hand'), 'the log names the replaced section');
        sameBytes(
          readFileSync(String(line.backup)).toString('latin1'),
          before.bytes!,
          'the backup holds the whole previous file',
        );
        assert.equal(statSync(String(line.backup)).mode & 0o777, 0o600);
      },
    },
  },
  {
    // Its [profile prod] is someone's profile still: the generated prod is not written twice (README "Your sections
    // win").
    name: 'a block of another sso-session, no longer configured, is left as it is and keeps its names',
    input: person + earlierBlock(['prod'], { session: 'oldcorp' }) + '\n' + session,
    expect: {
      outcome: 'synced',
      profiles: allProfiles.filter((p) => p !== 'prod'),
      logs: [
        { event: 'block.orphaned', session: 'oldcorp' },
        { event: 'profile.skipped', reason: 'name-taken', profile: 'prod' },
      ],
      check: (box) => assert.equal(blockRanges(readFileSync(box.configFile, 'latin1'), 'oldcorp').length, 1),
    },
  },
  {
    name: 'marker text inside values (not at the start of a line)',
    input: `${person}[profile trap]\ndescription = # BEGIN sso-sync mycorp (managed: edits inside are replaced; checksum 00000000)\nnote = x # END sso-sync mycorp\n\n${session}`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'refused: marker text in an indented continuation line',
    input: `${person}[profile trap]\ndescription =\n  # END sso-sync mycorp\n  more\n\n${session}`,
    expect: {
      outcome: 'refused',
      exit: 4,
      at: '  # END sso-sync',
      message: /damaged sso-sync marker.*start of the line/,
    },
  },
  {
    name: 'refused: two BEGIN markers (a BEGIN inside the block)',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod']).replace(/^(# BEGIN[^\n]*\n)/, '$1$1') +
      '\n[profile after]\nregion = us-east-1\n',
    expect: { outcome: 'refused', exit: 4, message: /a BEGIN marker inside the block for "mycorp"/ },
  },
  {
    name: 'refused: a BEGIN marker without an END',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod']).replace(/# END sso-sync mycorp\n$/, '') +
      '\n[profile after-the-damage]\nregion = us-east-1\n',
    expect: {
      outcome: 'refused',
      exit: 4,
      at: '# BEGIN sso-sync',
      message: /the block for "mycorp" has no END marker/,
    },
  },
  {
    name: 'refused: an END marker without a BEGIN',
    input: `${person}${session}\n[profile mine]\nregion = us-east-1\n# END sso-sync mycorp\n`,
    expect: {
      outcome: 'refused',
      exit: 4,
      at: '# END sso-sync',
      message: /an END marker for "mycorp" without a BEGIN marker/,
    },
  },
  {
    name: 'refused: two complete blocks for one session',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod']) +
      '\n[profile between]\nregion = us-east-1\n\n' +
      earlierBlock(['prod-admin']),
    expect: { outcome: 'refused', exit: 4, message: /a second block for "mycorp" \(the first starts on line \d+\)/ },
  },
  {
    name: 'refused: an END marker naming another session',
    input: person + session + '\n' + earlierBlock(['prod']).replace('# END sso-sync mycorp', '# END sso-sync other'),
    expect: {
      outcome: 'refused',
      exit: 4,
      at: '# END sso-sync other',
      message: /an END marker for "other" closing the block for "mycorp"/,
    },
  },
  {
    name: 'refused: a BEGIN marker altered by hand (lower case, checksum removed)',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod']).replace(/^# BEGIN sso-sync mycorp .*$/m, '# begin sso-sync mycorp'),
    expect: { outcome: 'refused', exit: 4, at: '# begin sso-sync', message: /damaged sso-sync marker/ },
  },
  {
    name: 'refused: an END marker with text after it',
    input:
      person +
      session +
      '\n' +
      earlierBlock(['prod']).replace('# END sso-sync mycorp', '# END sso-sync mycorp -- do not touch') +
      '\n[profile after]\nregion = x\n',
    expect: { outcome: 'refused', exit: 4, at: '# END sso-sync mycorp --', message: /damaged sso-sync marker/ },
  },

  // Size and bytes.
  {
    name: "a huge file: 10 MB of the person's own profiles (about 80,000 sections)",
    input: () => hugeConfig(10),
    timeoutMs: 60_000,
    expect: {
      outcome: 'synced',
      python: false,
      check: (_box, run) => {
        const done = logLines(run.stdout).find((l) => l.event === 'sync.completed');
        // About 4 s on a 2-core machine, alone; the bound catches anything worse than linear, not a slow machine.
        assert.ok(Number(done?.durationMs) < 30_000, `the sync took ${String(done?.durationMs)} ms`);
      },
    },
  },
  {
    name: 'a 1 MB line (a value) and a 1 MB comment line',
    input: `${person}[profile long]\ndescription = ${'v'.repeat(1 << 20)}\n#${'c'.repeat(1 << 20)}\n${session}`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'bytes that are not UTF-8 (latin1, invalid sequences) outside the block',
    input: `# caf\xE9 (latin1)\n[profile caf\xE9]\nregion = eu-west-1\n# invalid: \xC3\x28 \xA0\xA1 \xF0\x28\x8C\x28 \xFF\xFE \xED\xA0\x80\n${session}# valid UTF-8: caf\xC3\xA9 \xE2\x82\xAC\n`,
    expect: { outcome: 'synced' },
  },
  {
    name: 'NUL bytes',
    input: `[default]\nregion = eu-west-1\x00\n\x00\x00\x00\n# nul\x00inside a comment\n\n${session}\x00\n`,
    expect: { outcome: 'synced' },
  },
  {
    // Notepad's "Unicode": the AWS CLI cannot read it, and a UTF-8 block appended to UTF-16 text is garbage in
    // either encoding. A careful tool says so instead of reporting profiles that nothing can see.
    name: 'refused: a UTF-16 file (Notepad\'s "Unicode")',
    input: Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from(crlf(person + '[profile home]\nregion = us-west-2\n'), 'utf16le'),
    ]),
    settings: true,
    expect: { outcome: 'refused', exit: 4, message: /UTF-16/ },
  },
  {
    // The same without the byte-order mark (some tools write UTF-16 so): told by its zero bytes.
    name: 'refused: a UTF-16LE file without a byte-order mark',
    input: Buffer.from(crlf(person + '[profile home]\nregion = us-west-2\n'), 'utf16le'),
    settings: true,
    expect: { outcome: 'refused', exit: 4, message: /is UTF-16LE text \(every other byte of it is zero\)/ },
  },
  {
    name: 'refused: a UTF-16BE file without a byte-order mark',
    input: Buffer.from(person + '[profile home]\nregion = us-west-2\n', 'utf16le').swap16(),
    settings: true,
    expect: { outcome: 'refused', exit: 4, message: /is UTF-16BE text.*iconv -f UTF-16BE -t UTF-8/ },
  },

  // Not a plain file.
  {
    name: 'refused: the config path is a directory',
    settings: true,
    setup: (_box, file) => {
      mkdirSync(file, { recursive: true });
      writeFileSync(path.join(file, 'inside'), 'kept\n');
    },
    expect: { outcome: 'refused', exit: 4, message: /is a directory, not a file\. Move it away, then run again/ },
  },
  {
    name: 'refused: a dangling symlink',
    settings: true,
    setup: (box, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(path.join(box.home, 'dotfiles', 'aws-config'), file);
    },
    expect: {
      outcome: 'refused',
      exit: 4,
      message:
        /is a symbolic link to .*dotfiles\/aws-config, which does not exist\. Create the target or remove the link/,
    },
  },
  {
    name: 'a symlink to a file stays a symlink; its target is written',
    setup: (box, file) => {
      mkdirSync(path.join(box.home, 'dotfiles'));
      const target = path.join(box.home, 'dotfiles', 'aws-config');
      writeFileSync(target, person + session);
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(target, file);
    },
    expect: {
      outcome: 'synced',
      check: (box, _run, before) => {
        const l = lstatSync(box.configFile);
        assert.ok(l.isSymbolicLink(), 'still a symlink');
        assert.equal(readlinkSync(box.configFile), before.link);
        assert.deepEqual(
          readdirSync(path.join(box.home, 'dotfiles')),
          ['aws-config'],
          'no temp or lock file left beside the target',
        );
      },
    },
  },
  {
    // A message says what happened and what to do: "ELOOP" alone says neither.
    name: 'refused: a symlink loop',
    settings: true,
    setup: (box, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      symlinkSync(path.join(box.home, 'loop-b'), file);
      symlinkSync(file, path.join(box.home, 'loop-b'));
    },
    expect: { outcome: 'refused', exit: 4, message: /symbolic link.*loop.*(remove|fix|replace)/is },
  },
  {
    // As for the loop: "ENOTDIR" alone is not a message for a person.
    name: 'refused: a parent of the config path is a file',
    at: 'not-a-dir/config',
    settings: true,
    setup: (box) => writeFileSync(path.join(box.home, 'not-a-dir'), 'a file\n'),
    expect: {
      outcome: 'refused',
      exit: 4,
      message: /not-a-dir.*not a directory.*(move|remove|fix|set AWS_CONFIG_FILE)/is,
    },
  },
  {
    // Read from a FIFO blocks until a writer comes; nothing must wait for that, nor replace the pipe.
    name: 'refused: a named pipe (FIFO) in place of the file',
    settings: true,
    timeoutMs: 10_000,
    setup: (_box, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      assert.equal(spawnSync('mkfifo', [file]).status, 0, 'mkfifo');
    },
    expect: { outcome: 'refused', exit: 4, message: /not a regular file/ },
  },
  {
    // As AWS_CONFIG_FILE=/dev/null would be: renaming a temp file over it would replace the machine's null device.
    name: 'refused: a character device (a null device) in place of the file',
    settings: true,
    setup: (_box, file) => {
      mkdirSync(path.dirname(file), { recursive: true });
      assert.equal(spawnSync('mknod', [file, 'c', '1', '3']).status, 0, 'mknod (needs CAP_MKNOD)');
    },
    expect: { outcome: 'refused', exit: 4, message: /not a regular file/ },
  },

  // Permissions.
  {
    name: 'refused: a file the user cannot read',
    input: person + session,
    asUser: true,
    setup: (_box, file) => chmodSync(file, 0o000),
    expect: {
      outcome: 'refused',
      exit: 4,
      message: /cannot read .*: permission denied\. Fix its permissions, then run again/,
    },
  },
  {
    // README "Limits": a read-only file in a writable directory is replaced, as editors do; its mode is kept.
    name: 'a read-only file in a writable directory is replaced, its mode and owner kept',
    input: person + session,
    asUser: true,
    setup: (_box, file) => chmodSync(file, 0o444),
    expect: { outcome: 'synced', check: (box) => assert.equal(statSync(box.configFile).mode & 0o777, 0o444) },
  },
  {
    // Exit 2 (nothing to sync is a usage problem, not a damaged file); the message names the file it looked in, as
    // AWS_CONFIG_FILE may point somewhere the person did not expect.
    name: 'refused: no sso-session anywhere (nothing to sync)',
    input: `${person}[profile home]\nregion = us-west-2\n`,
    expect: {
      outcome: 'refused',
      exit: 2,
      message:
        /there is no sso-session to sync in \S+\/\.aws\/config: create one with `sso-sync init` \(or `aws configure sso-session`\)/,
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Running a case.

const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const python = pythonAvailable();

async function runCase(c: Case, t: TestContext): Promise<void> {
  const box = await sandbox({ fixture });
  t.after(() => box.close());
  const file = c.at ? path.join(box.home, c.at) : box.configFile;
  const env = c.at ? { AWS_CONFIG_FILE: file } : {};
  if (c.settings) {
    mkdirSync(path.join(box.home, '.config', 'sso-sync'), { recursive: true });
    writeFileSync(path.join(box.home, '.config', 'sso-sync', 'settings.yaml'), settingsYaml);
  }
  if (c.input !== undefined) {
    const input = typeof c.input === 'function' ? c.input() : c.input;
    box.writeConfig(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  }
  box.signIn();
  const user = c.asUser ? asUser : {};
  if (user.uid !== undefined) {
    chmodSync(box.home, 0o755);
    chownTree(box.home, user.uid, user.gid);
  }
  c.setup?.(box, file);
  const before = snapshot(file);
  const run = () => box.run(['--once'], { ...user, env, timeoutMs: c.timeoutMs ?? 30_000 });
  const first = await run();
  assert.doesNotMatch(first.stderr, /internal error|\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');

  if (c.expect.outcome === 'refused') {
    const e = c.expect;
    assert.equal(first.code, e.exit, `exit code (signal ${first.signal}); stderr: ${first.stderr}`);
    assert.match(first.stderr, e.message);
    const named = e.at ? `${file}:${lineOf(String(c.input), e.at)}: ` : file;
    assert.ok(first.stderr.includes(named), `the message names ${named}: ${first.stderr}`);
    if (e.at) assert.match(first.stderr, damaged);
    const after = snapshot(file);
    if (before.bytes !== undefined) sameBytes(after.bytes ?? '(none)', before.bytes, 'the file');
    assert.deepEqual(
      { ...after, bytes: undefined },
      { ...before, bytes: undefined },
      'the path is left exactly as it was',
    );
    assert.equal(box.emulator.stats().requests, 0, 'no call to AWS for a file that cannot be written');
    return;
  }

  const e = c.expect;
  assert.equal(first.code, 0, `exit code (signal ${first.signal}); stderr: ${first.stderr}`);
  const origText = before.bytes!;
  const newText = readFileSync(file).toString('latin1');
  const ranges = blockRanges(newText);
  assert.equal(ranges.length, 1, 'one block for mycorp');
  const block = newText.slice(ranges[0]!.start, ranges[0]!.end);

  const oldRanges = blockRanges(origText);

  // The block's line endings: every line but the last ends alike; the END line keeps the ending the old END line
  // had (so that a block at the very end keeps a missing final newline), or takes the block's.
  const ending = (l: LineAt) => (l.end === l.start + l.text.length ? '' : l.text.endsWith('\r') ? '\r\n' : '\n');
  const blockLines = linesOf(block);
  const endings = [...new Set(blockLines.slice(0, -1).map(ending))];
  assert.equal(endings.length, 1, `one kind of line ending in the block: ${JSON.stringify(endings)}`);
  const eol = endings[0]!;
  if (e.eol) assert.equal(eol, e.eol, "the block takes the file's line ending");
  const oldEnd =
    oldRanges.length > 0 ? linesOf(origText.slice(oldRanges[0]!.start, oldRanges[0]!.end)).at(-1) : undefined;
  assert.ok(
    [eol, '', ...(oldEnd ? [ending(oldEnd)] : [])].includes(ending(blockLines.at(-1)!)),
    "the END line's ending",
  );

  // The bytes outside the block.
  if (oldRanges.length > 0) {
    const [was, now] = [outsideParts(origText, oldRanges), outsideParts(newText, ranges)];
    assert.equal(now.length, was.length);
    was.forEach((part, i) => sameBytes(now[i]!, part, `the bytes outside the block (part ${i + 1} of ${was.length})`));
  } else {
    const [head, tail] = outsideParts(newText, ranges) as [string, string];
    assert.equal(tail, '', 'a new block is appended at the end');
    sameBytes(head.slice(0, origText.length), origText, 'the original bytes, in front of the new block');
    const separator = head.slice(origText.length);
    assert.match(
      separator,
      new RegExp(`^(${eol === '\r\n' ? '\\r\\n' : '\\n'}){0,2}$`),
      `only line endings between the original and the block: ${JSON.stringify(separator)}`,
    );
    assert.ok(
      separator.length > 0 || origText === '' || origText.endsWith('\n'),
      'the block starts on a line of its own',
    );
  }
  const origEndsInNewline = origText === '' || origText.endsWith('\n');
  assert.equal(
    newText.endsWith('\n'),
    origEndsInNewline,
    origEndsInNewline ? 'the final newline is kept' : 'a file without a final newline still has none',
  );

  // The block's content.
  assert.doesNotMatch(block.replace(/\r\n/g, '\n'), /\r/, 'no stray CR in the block');
  const names = [...block.matchAll(/^\[profile ([^\]]+)\]\r?$/gm)].map((m) => m[1]!);
  assert.deepEqual(names, [...(e.profiles ?? allProfiles)], 'the expected profiles, sorted');
  assert.equal(block.match(/^sso_session = mycorp\r?$/gm)?.length, names.length, 'every profile names the session');
  assert.equal(
    /^\[sso-session mycorp\]\r?$/m.test(block),
    e.sessionInBlock === true,
    e.sessionInBlock ? 'the block defines the session' : "the person's session section is not repeated",
  );

  // Kept as it was: mode, owner, neighbours (no temp or lock file left).
  const after = snapshot(file);
  assert.deepEqual(
    [after.kind, after.link, after.mode, after.uid, after.neighbours],
    [before.kind, before.link, before.mode, before.uid, before.neighbours],
  );

  for (const expected of e.logs ?? []) {
    const found = logLines(first.stdout).some((l) => Object.entries(expected).every(([k, v]) => l[k] === v));
    assert.ok(found, `a log line with ${JSON.stringify(expected)}`);
  }
  e.check?.(box, first, before);

  // What the AWS CLI's parser reads: where it could read the file before, it still can, the person's sections read
  // the same, and each generated profile is defined once.
  if (e.python !== false) {
    assert.ok(python, 'python3 is needed to read the file as the AWS CLI does');
    const original = path.join(box.home, 'original-config');
    writeFileSync(original, Buffer.from(origText, 'latin1'));
    const read = readWithPython([original, file]);
    const was = read[original] as PythonReading;
    const now = read[file] as PythonReading;
    // A section or key given twice is named in a warning, exactly when the AWS CLI's parser refuses the written
    // file for it.
    const warned = logLines(first.stdout).some((l) => l.event === 'config.unreadable' && l.level === 'warn');
    assert.equal(
      warned,
      !now.ok && /^Duplicate(?:Section|Option)Error/.test(now.error),
      `warned: ${warned}; the AWS CLI's parser: ${now.ok ? 'reads it' : now.error}`,
    );
    if (was.ok) {
      assert.ok(now.ok, `the AWS CLI could read the file before, and cannot now: ${now.ok ? '' : now.error}`);
      const managed = new Set([...headersIn(origText, oldRanges), ...headersIn(newText, ranges)]);
      for (const section of was.order.filter((s) => !managed.has(s)))
        assert.deepEqual(now.sections[section], was.sections[section], `[${section}] reads the same`);
      for (const name of names) {
        assert.deepEqual(now.profiles[name], [`profile ${name}`], `profile ${name} is defined once`);
        assert.equal(now.sections[`profile ${name}`]?.sso_session, 'mycorp');
      }
    }
  }

  // A second run changes nothing: same bytes, same mtime.
  const second = await run();
  assert.equal(second.code, 0, second.stderr);
  const again = snapshot(file);
  sameBytes(again.bytes!, newText, 'the file after a second run');
  assert.equal(again.mtimeNs, after.mtimeNs, 'a second run does not write');
}

// Cases run a few at a time: each is two CLI processes against its own emulator.
describe('hostile AWS config files', { concurrency: 4 }, () => {
  for (const c of cases) test(c.name, { timeout: 120_000 }, (t) => runCase(c, t));
});
