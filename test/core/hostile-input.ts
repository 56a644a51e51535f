/**
 * Untrusted input for the property tests, shared so that each test draws from the same hostile world: account
 * and role names as the portal may return them, the sections a person keeps in their AWS config, the naming
 * rules, the page shapes the portal may cut its listings into, and the checks every written file must pass.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadSharedConfigFiles } from '@smithy/shared-ini-file-loader';
import fc from 'fast-check';
import { scanConfig, type Line } from '../../src/core/config-text.js';
import { globMatcher, matchesAny } from '../../src/core/glob.js';
import { defaultRules } from '../../src/core/profile-names.js';
import type { Assignment, ProfileRules, SessionDef } from '../../src/core/types.js';
import type { Fixture } from '../../src/emulator/fixture.js';
import { MAX_PAGE_SIZE, type PageShape } from '../../src/emulator/pagination.js';

/** The sso-sessions the property tests sync: names, start URLs and regions as a person configures them. */
export const sessionPool: SessionDef[] = [
  {
    name: 'mycorp',
    startUrl: 'https://d-1234567890.awsapps.com/start',
    region: 'eu-north-1',
    scopes: ['sso:account:access'],
  },
  {
    name: 'other.org',
    startUrl: 'https://d-0987654321.awsapps.com/start',
    region: 'us-east-1',
    scopes: ['sso:account:access', 'openid'],
  },
];

// ---- what the portal returns -------------------------------------------------------------------------------

/** Characters that break INI files, shells and terminals, and a few harmless ones to build names with. */
export const nasty = fc.constantFrom(
  ']',
  '[',
  '=',
  ':',
  '#',
  ';',
  '\n',
  '\r',
  '\r\n',
  '"',
  "'",
  '\\',
  ' ',
  '\t',
  'a',
  'B',
  '.',
  '-',
  '_',
  'é',
  '日',
  '\u2028',
  '\0',
);
const anyUtf16 = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)); // lone surrogates too

/** Account names as the portal may return them (the empty one included; the emulator refuses that one). */
export const accountName = fc.oneof(
  fc.constantFrom(
    '',
    'MyCorp Prod',
    'Prod',
    'MyCorp Dev',
    'Default',
    'default',
    'x = y',
    ']\n[profile evil]\ncredential_process = /bin/sh -c id',
    'MyCorp Prod.eu',
  ),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: nasty, maxLength: 20 }),
  fc.string({ unit: anyUtf16, maxLength: 10 }),
  fc.string({ unit: 'binary-ascii', minLength: 100, maxLength: 300 }),
);

/** Account names that all become the same profile name part once sanitised, so their profiles collide. */
export const collidingAccountName = fc.constantFrom(
  'MyCorp Prod',
  'mycorp-prod',
  'MyCorp  Prod',
  'MyCorp\nProd',
  'MYCORP PROD ',
  ' mycorp prod',
  'MyCorp\tProd',
  'mycorp=prod',
  'MyCorp [Prod]',
  'mycorp#prod;',
);

/** Role (permission set) names: valid IAM role names, and names no IAM role can have. */
export const roleName = fc.oneof(
  fc.constantFrom(
    'AdministratorAccess',
    'ReadOnlyAccess',
    'PowerUserAccess',
    'Billing',
    'a=b',
    'a,b@c+d.e_f-g',
    'true',
  ),
  fc.string({ unit: fc.constantFrom(...'aZ09_+=,.@-'.split('')), minLength: 1, maxLength: 140 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: nasty, maxLength: 12 }),
);

/** A valid account id; the pool makes accounts meet again across runs and sessions. */
export const accountId12 = fc.oneof(
  fc.constantFrom('111111111111', '222222222222', '333333333333', '000000000000', '999999999999'),
  fc.stringMatching(/^\d{12}$/),
);

/** The assignments a session's token sees in a fixture, in the API's order: accounts, then each one's roles. */
export function assignmentsOf(fixture: Fixture, session: string): Assignment[] {
  return fixture.accounts.flatMap((a) =>
    a.roles.map((roleName) => ({ session, accountId: a.accountId, accountName: a.accountName, roleName })),
  );
}

/** The naming rules the property tests sync with: the defaults and settings a person may write. */
export const rulesArb: fc.Arbitrary<ProfileRules> = fc.constantFrom<ProfileRules>(
  defaultRules,
  { ...defaultRules, stripPrefix: ['mycorp-'], defaultRegion: 'eu-west-1' },
  { ...defaultRules, name: '{account}.{role}', roleAlias: { AdministratorAccess: 'admin', ReadOnlyAccess: 'ro' } },
  { ...defaultRules, name: '{session}-{account_id}-{role_name}' },
  {
    ...defaultRules,
    name: '{account}_{role}',
    set: { output: 'json', duration_seconds: '43200' },
    excludeAccounts: ['*evil*', '0000*'],
    excludeRoles: ['Billing'],
  },
  { ...defaultRules, regions: [{ match: '*', region: 'ap-south-1' }] },
);

/**
 * Naming rules beyond the seed's: case, trims, `{account_name}`, several regions, per-account overrides (by id, by
 * name and by glob, with roles inside, and one that matches nothing). Their region rules are catch-all, so that
 * `expectedProfiles` can tell each assignment's regions without naming it.
 */
export const richRulesArb: fc.Arbitrary<ProfileRules> = fc.constantFrom<ProfileRules>(
  {
    ...defaultRules,
    name: '{account_name}.{role}',
    accountCase: 'upper',
    roleCase: 'lower',
    accountTrim: ['[aeiou]+', '^x'],
    roleTrim: ['access$', '\\d'],
  },
  {
    ...defaultRules,
    name: '{account}_{role}_{region_short}',
    accountCase: 'keep',
    regions: [{ match: '*', region: ['eu-west-1', 'eu-central-1'] }],
  },
  {
    ...defaultRules,
    stripPrefix: ['mycorp-'],
    defaultRegion: ['eu-west-1', 'us-east-1'],
    set: { output: 'json' },
    excludeRoles: ['Billing'],
    accounts: [
      { key: '111111111111', alias: 'one', region: 'ap-south-1', set: { output: 'text', cli_pager: 'less' } },
      { key: '*evil*', exclude: true, roles: [{ key: 'true', exclude: false }] },
      {
        key: 'MyCorp Prod',
        region: ['us-west-2', 'eu-west-3', 'eu-north-1'],
        roles: [
          { key: 'Admin*', region: 'us-east-2' },
          { key: 'ReadOnlyAccess', alias: 'ro' },
          { key: 'Billing', exclude: false },
        ],
      },
      { key: '999999999999', alias: 'nine' },
    ],
  },
);

/** The rules of the naming property tests: the seed's and those beyond. */
export const namingRulesArb: fc.Arbitrary<ProfileRules> = fc.oneof(rulesArb, richRulesArb);

/**
 * What the rules should give an assignment, worked out here on its own as the README states the order (a role's
 * override, the account's override by id, name, then glob, the profiles rules, the defaults): undefined when it is
 * excluded, else each of its regions and its extra keys. Region rules must be catch-all (`match: "*"`).
 */
export function expectedProfiles(
  rules: ProfileRules,
  session: SessionDef,
  a: Assignment,
): { regions: string[]; set: Record<string, string> } | undefined {
  const rank = (key: string) => (/^\d{12}$/.test(key) ? 0 : /[*?]/.test(key) ? 2 : 1);
  const hits = (rules.accounts ?? [])
    .map((o, i) => ({ o, i }))
    .filter(({ o }) => (rank(o.key) === 0 ? o.key === a.accountId : globMatcher(o.key)(a.accountName)))
    .sort((x, y) => rank(x.o.key) - rank(y.o.key) || x.i - y.i)
    .map(({ o }) => o);
  const roles = hits.flatMap((o) =>
    [...(o.roles ?? [])]
      .map((r, i) => ({ r, i }))
      .sort((x, y) => Number(/[*?]/.test(x.r.key)) - Number(/[*?]/.test(y.r.key)) || x.i - y.i)
      .map(({ r }) => r)
      .filter((r) => globMatcher(r.key)(a.roleName)),
  );
  const accountExcluded =
    hits.find((o) => o.exclude !== undefined)?.exclude ?? matchesAny(rules.excludeAccounts, a.accountName, a.accountId);
  const roleExcluded =
    roles.find((r) => r.exclude !== undefined)?.exclude ??
    (accountExcluded || matchesAny(rules.excludeRoles, a.roleName));
  if (roleExcluded) return undefined;
  const region =
    roles.find((r) => r.region !== undefined)?.region ??
    hits.find((o) => o.region !== undefined)?.region ??
    rules.regions[0]?.region ??
    rules.defaultRegion ??
    session.region;
  let set = { ...rules.set };
  for (const o of [...hits].reverse()) set = { ...set, ...o.set };
  return { regions: typeof region === 'string' ? [region] : region, set };
}

/** The region a generated profile of `rulesArb` gets (its rules use only catch-all region rules). */
export function regionOf(rules: ProfileRules, session: SessionDef): string {
  const region = rules.regions[0]?.region ?? rules.defaultRegion ?? session.region;
  return typeof region === 'string' ? region : region[0]!;
}

/**
 * How the portal may cut a listing into pages: full pages (no shape), pages of any one size 1..100, or short
 * pages mixed with empty ones that still carry a next token, and an empty last page.
 */
export const pageShapeArb: fc.Arbitrary<PageShape | undefined> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(undefined) },
  {
    weight: 1,
    arbitrary: fc
      .oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: MAX_PAGE_SIZE }))
      .map((n) => ({ sizes: [n] })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        sizes: fc.array(
          fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: MAX_PAGE_SIZE })),
          { minLength: 1, maxLength: 6 },
        ),
        trailingEmptyPage: fc.boolean(),
      })
      .filter((s) => s.sizes.some((n) => n > 0)),
  },
);

// ---- what the person's file holds --------------------------------------------------------------------------

/** A section a person wrote, with comments and blank lines around it. */
export interface UserSection {
  /** botocore's identity of the section, so that a file never holds two sections for one profile. */
  id: string;
  lines: string[];
}

const userKeys = fc.uniqueArray(
  fc.constantFrom(
    ['region = us-east-1'],
    ['output = json'],
    ['cli_pager ='],
    ['s3 =', '  max_concurrent_requests = 20', '  addressing_style = path'],
    ['credential_process = /usr/bin/printf "%s" x'],
    ['role_arn=arn:aws:iam::123456789012:role/x'],
    ['region\t=\teu-west-1  '],
  ),
  { minLength: 1, maxLength: 3, selector: (k) => k[0].split(/\s*=/)[0] },
);
const noise = fc.array(fc.constantFrom('# note', '; café ☕', '#', '  # indented comment', '', '  '), { maxLength: 2 });

/** A section of the person's own: profiles whose names generated ones may want, sso-sessions, other kinds. */
export const userSection: fc.Arbitrary<UserSection> = fc
  .tuple(
    fc.constantFrom(
      ['[default]', 'profile default'],
      ['[profile prod-admin]', 'profile prod-admin'],
      ['[profile "prod"]', 'profile prod'],
      ["[profile 'dev-admin']", 'profile dev-admin'],
      ['[profile  home ]', 'profile home'],
      ['[profile tools.dev]', 'profile tools.dev'],
      ['[profile mycorp-prod-admin]', 'profile mycorp-prod-admin'],
      ['[profile default-111111111111]', 'profile default-111111111111'],
      ['[profile prod.ro]', 'profile prod.ro'],
      ['[sso-session mycorp]', 'sso-session mycorp'],
      ['[sso-session other.org]', 'sso-session other.org'],
      ['[services my-services]', 'services my-services'],
      ['[plugins]', 'plugins'],
    ),
    userKeys,
    noise,
    noise,
  )
  .map(([[header, id], keys, before, after]) => {
    const session = sessionPool.find((s) => id === `sso-session ${s.name}`);
    const body = session
      ? [
          `sso_start_url = ${session.startUrl}`,
          `sso_region = ${session.region}`,
          `sso_registration_scopes = ${session.scopes.join(',')}`,
        ]
      : keys.flat();
    return { id: id, lines: [...before, header, ...body, ...after] };
  });

/** The person's sections as file text (a byte string, as sso-sync reads files), with the given line ending. */
export function userText(sections: readonly UserSection[], eol: '\n' | '\r\n'): string {
  return Buffer.from(
    sections
      .flatMap((x) => x.lines)
      .map((l) => l + eol)
      .join(''),
    'utf8',
  ).toString('latin1');
}

// ---- checks on a written file ------------------------------------------------------------------------------

/** Profile names sso-sync may write. */
export const safeName = /^[A-Za-z0-9._-]+$/;
/** An account id sso-sync writes a profile for. */
export const validAccount = /^\d{12}$/;
/** A role name sso-sync writes a profile for (IAM's rule). */
export const validRole = /^[\w+=,.@-]{1,64}$/;

/** The lines of a file outside the blocks of the given sessions. */
export function linesOutside(text: string, sessions: ReadonlySet<string>): Line[] {
  const scan = scanConfig(text);
  const inside = new Set<number>();
  for (const b of scan.blocks) if (sessions.has(b.session)) for (let i = b.begin; i <= b.end; i++) inside.add(i);
  return scan.lines.filter((_, i) => !inside.has(i));
}

/**
 * Nothing outside the synced sessions' blocks changed between `before` and `after`, except a newline added to a
 * last line that had none and the blank lines that separate appended blocks. Other sessions' blocks count as
 * outside here.
 */
export function assertOutsideUnchanged(before: string, after: string, synced: ReadonlySet<string>, where = ''): void {
  const was = linesOutside(before, synced);
  const now = linesOutside(after, synced);
  assert.ok(now.length >= was.length, `lines outside the blocks were lost${where}`);
  was.forEach((line, i) => {
    if (i < was.length - 1 || line.eol !== '')
      assert.deepEqual(now[i], line, `line ${i + 1} outside the blocks${where}`);
    else assert.equal(now[i]!.text, line.text, `the last line outside the blocks${where}`);
  });
  for (const extra of now.slice(was.length))
    assert.equal(extra.text, '', `only blank lines are added outside the blocks${where}`);
}

/**
 * A config file as the AWS SDK for JavaScript reads it (its own shared config loader, no cache): profiles by
 * name, sso-sessions as `sso-session.NAME`.
 */
export async function readWithSdk(configFile: string): Promise<Record<string, Record<string, string | undefined>>> {
  const { configFile: parsed } = await loadSharedConfigFiles({
    configFilepath: configFile,
    filepath: path.join(path.dirname(configFile), 'no-credentials-file'),
    ignoreCache: true,
  });
  return parsed;
}
