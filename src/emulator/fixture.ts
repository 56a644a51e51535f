/**
 * The accounts and roles an emulator serves: the fixture format, its validation, a generator and a demo organisation.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { errorMessage } from '../errors.js';

/** One account of a fixture, with the permission-set (role) names the signed-in user holds in it. */
export interface FixtureAccount {
  accountId: string;
  accountName: string;
  emailAddress?: string;
  roles: string[];
}

/** The assignments an emulator serves, in the order it pages them out. */
export interface Fixture {
  accounts: FixtureAccount[];
}

const accountSchema = z.object({
  accountId: z.string().regex(/^\d{12}$/, 'must be exactly 12 digits'),
  // Any text is allowed on purpose: tests feed brackets, newlines and `=` to prove names cannot inject config.
  accountName: z.string().min(1, 'must not be empty'),
  emailAddress: z.string().min(1, 'must not be empty').optional(),
  roles: z.array(z.string().min(1, 'a role name must not be empty')),
});

const fixtureSchema = z.object({ accounts: z.array(accountSchema) }).superRefine((fixture, ctx) => {
  const seen = new Map<string, number>();
  fixture.accounts.forEach((account, index) => {
    const first = seen.get(account.accountId);
    if (first === undefined) seen.set(account.accountId, index);
    else {
      ctx.addIssue({
        code: 'custom',
        path: ['accounts', index, 'accountId'],
        message: `duplicates accounts[${first}].accountId (${account.accountId})`,
      });
    }
    const roles = new Set<string>();
    account.roles.forEach((role, roleIndex) => {
      if (roles.has(role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['accounts', index, 'roles', roleIndex],
          message: `role ${JSON.stringify(role)} is listed twice`,
        });
      }
      roles.add(role);
    });
  });
});

/** A fixture that failed validation; `problems` lists every problem found, each with its location. */
export class FixtureError extends Error {
  readonly code = 'fixture.invalid';
  readonly source: string;
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    const list = problems.map((p) => `  - ${p}`).join('\n');
    super(`invalid fixture ${source}:\n${list}\nfix the fixture and start again`);
    this.name = 'FixtureError';
    this.source = source;
    this.problems = problems;
  }
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) out += typeof key === 'number' ? `[${key}]` : `${out === '' ? '' : '.'}${String(key)}`;
  return out === '' ? '(top level)' : out;
}

/** Validates untrusted fixture data; `source` (a file name or a label) appears in every error. */
export function parseFixture(json: unknown, source: string): Fixture {
  const result = fixtureSchema.safeParse(json);
  if (!result.success) {
    throw new FixtureError(
      source,
      result.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`),
    );
  }
  // zod returns fresh objects, so the caller's data can change later without touching ours.
  return result.data;
}

/** Reads and validates a JSON fixture file. */
export async function loadFixture(path: string): Promise<Fixture> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FixtureError(path, [`cannot read the file: ${errorMessage(error)}`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FixtureError(path, [`not valid JSON: ${errorMessage(error)}`]);
  }
  return parseFixture(json, path);
}

/** Settings for generateFixture. */
export interface GenerateOptions {
  accounts: number;
  rolesPerAccount: number;
  seed?: number;
}

/** Permission sets as they are commonly named, the AWS-managed ones first. */
const ROLE_POOL = [
  'AdministratorAccess',
  'ReadOnlyAccess',
  'PowerUserAccess',
  'Billing',
  'DataScientist',
  'ViewOnlyAccess',
  'SecurityAudit',
  'DatabaseAdministrator',
  'NetworkAdministrator',
  'SupportUser',
  'SystemAdministrator',
  'Developer',
] as const;

const TEAMS = [
  'Payments',
  'Data Platform',
  'Identity',
  'Search',
  'Checkout',
  'Analytics',
  'Mobile API',
  'Billing Engine',
  'Shared Services',
  'Security',
  'Log Archive',
  'Networking',
  'Machine Learning',
  'Customer Portal',
  'Inventory',
  'Notifications',
  'Web Frontend',
  'CI Runners',
  'Reporting',
  'Backoffice',
] as const;
const ENVIRONMENTS = ['prod', 'staging', 'dev', 'sandbox', 'qa', 'Prod EU', 'Prod US', 'test'] as const;

/** mulberry32: a tiny seeded generator, so a seed always yields the same organisation. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function slug(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

// Real organisations mix naming habits; the sync's prefix stripping and sanitising must cope with all of them.
function accountName(random: () => number): string {
  const team = pick(random, TEAMS);
  const env = pick(random, ENVIRONMENTS);
  const style = random();
  if (style < 0.3) return `mycorp-${slug(team)}-${slug(env)}`;
  if (style < 0.5) return `MyCorp ${team} ${env}`;
  if (style < 0.8) return `${team} ${env}`;
  return `${team.toLowerCase()}_${env.toUpperCase().replace(/ /g, '_')}`;
}

/** A deterministic organisation of the given size, for tests and benchmarks that need many accounts. */
export function generateFixture(options: GenerateOptions): Fixture {
  const { accounts, rolesPerAccount } = options;
  if (!Number.isInteger(accounts) || accounts < 0) {
    throw new RangeError(`accounts must be an integer >= 0, got ${accounts}`);
  }
  if (!Number.isInteger(rolesPerAccount) || rolesPerAccount < 0) {
    throw new RangeError(`rolesPerAccount must be an integer >= 0, got ${rolesPerAccount}`);
  }
  const random = seededRandom(options.seed ?? 1);
  const ids = new Set<string>();
  const names = new Set<string>();
  const result: FixtureAccount[] = [];
  for (let i = 0; i < accounts; i++) {
    let accountId: string;
    do {
      // Leading digit 1-9 keeps ids from looking like numbers that lost a zero; ids are strings either way.
      accountId = String(1 + Math.floor(random() * 9)) + String(Math.floor(random() * 1e11)).padStart(11, '0');
    } while (ids.has(accountId));
    ids.add(accountId);

    const base = accountName(random);
    let name = base;
    for (let n = 2; names.has(name); n++) name = `${base} ${n}`;
    names.add(name);

    result.push({
      accountId,
      accountName: name,
      emailAddress: `aws+${slug(name)}@mycorp.example`,
      roles: pickRoles(random, rolesPerAccount),
    });
  }
  return { accounts: result };
}

function pickRoles(random: () => number, count: number): string[] {
  const pool: string[] = [...ROLE_POOL];
  const roles: string[] = [];
  while (roles.length < count && pool.length > 0) {
    roles.push(pool.splice(Math.floor(random() * pool.length), 1)[0] as string);
  }
  // Beyond the common names, organisations invent their own permission sets.
  for (let n = 1; roles.length < count; n++) roles.push(`CustomRole${String(n).padStart(2, '0')}`);
  return roles;
}

/** A small demo organisation: prefixed and spaced names, a custom `Developer` role, a read-only-only account. */
export function builtinFixture(): Fixture {
  const account = (accountId: string, accountName: string, mailbox: string, roles: string[]): FixtureAccount => ({
    accountId,
    accountName,
    emailAddress: `aws+${mailbox}@mycorp.example`,
    roles,
  });
  // Built on each call so that no caller can change what another one gets.
  return {
    accounts: [
      account('111111111111', 'mycorp-prod', 'prod', ['AdministratorAccess', 'ReadOnlyAccess']),
      account('222222222222', 'mycorp-staging', 'staging', [
        'AdministratorAccess',
        'PowerUserAccess',
        'ReadOnlyAccess',
      ]),
      account('333333333333', 'mycorp-dev', 'dev', ['AdministratorAccess', 'Developer']),
      account('444444444444', 'Shared Services', 'shared', ['AdministratorAccess', 'ReadOnlyAccess', 'Billing']),
      account('555555555555', 'Security Audit', 'audit', ['ReadOnlyAccess']),
      account('666666666666', 'Data Platform EU', 'data-eu', ['DataScientist', 'ReadOnlyAccess']),
      account('777777777777', 'mycorp-sandbox', 'sandbox', ['AdministratorAccess']),
      account('888888888888', 'MyCorp Management', 'management', ['AdministratorAccess', 'Billing']),
    ],
  };
}
