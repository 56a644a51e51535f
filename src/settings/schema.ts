/** The settings file's shape, its defaults, and validation that reports every problem with its key. */
import { validate as validCron } from 'node-cron';
import * as z from 'zod';
import { unknownRegion } from './regions.js';
import { defaultRules, namePlaceholders, reservedKeys } from '../core/profile-names.js';
import type { ProfileRules, SessionDef } from '../core/types.js';
import { durationHint, formatDuration, parseDuration } from './duration.js';

/** Settings after validation and defaults. */
export interface Settings {
  /** The file they came from, or undefined when none exists (zero configuration). */
  source: string | undefined;
  schedule: string;
  /** True when the file sets `schedule`; the default schedule is spread over its 30 minutes per installation. */
  scheduleWritten: boolean;
  /** The most a fixed per-installation delay added to every scheduled run may be (`splay`), in milliseconds. */
  splayMs: number;
  sessions: SessionDef[];
  rules: ProfileRules;
  sync: {
    concurrency: number;
    maxRemovalShare: number;
    allowMassRemoval: boolean;
    requestTimeoutMs: number;
    /** Scheduled cycles re-read each account's roles at least this often; 0 re-reads all of them every cycle. */
    rolesMaxAgeMs: number;
  };
  /** Refresh an access token when less than this many milliseconds of its life remain. */
  refreshWindowMs: number;
  /** Desktop notifications from the daemon (sign-in required, profiles changed). */
  notify: boolean;
  /** What may be a mistake but is used as given (a region sso-sync does not know): each run logs a warning. */
  notices: string[];
}

/** The defaults that apply to every key the file leaves out. */
export const defaults = {
  schedule: '*/30 * * * *',
  scopes: ['sso:account:access'],
  concurrency: 8,
  maxRemovalShare: 0.5,
  // A portal call that has not answered in this long is abandoned and retried (a few times) as a passing failure.
  requestTimeoutSeconds: 30,
  // The AWS CLI refreshes inside the last 15 minutes; sso-sync refreshes well before so others find a fresh token.
  refreshWindowMinutes: 30,
  // Four reads of every account's roles a day instead of 48: a role granted on a known account shows within 6 h.
  rolesMaxAgeMs: 6 * 3_600_000,
} as const;

/** Characters allowed in a session name: it appears in section headers, markers and the token cache key. */
export const sessionNamePattern = /^[A-Za-z0-9._-]+$/;
const regionPattern = /^[a-z]{2,}(-[a-z]+)+-\d+$/;
// Written after `key = ` in the AWS config: one line, printable ASCII, no surrounding spaces.
const safeValue = /^[\x21-\x7E](?:[\x20-\x7E]*[\x21-\x7E])?$/;

const region = z.string().regex(regionPattern, 'expected an AWS region such as eu-west-1');

/** A duration setting (`6h`, `30m`, `0`), as milliseconds, at most `maxMs`. */
const duration = (maxMs: number) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms > maxMs) {
      ctx.addIssue({ code: 'custom', message: ms === undefined ? durationHint : `at most ${formatDuration(maxMs)}` });
      return z.NEVER;
    }
    return ms;
  });
const glob = z.string().min(1, 'expected a non-empty glob');

const session = z.strictObject({
  start_url: z
    .url({ protocol: /^https$/, error: 'expected the AWS access portal URL, https://…/start' })
    .regex(safeValue, 'expected a URL of printable ASCII without spaces'),
  region,
  scopes: z
    .array(z.string().regex(/^[\x21-\x2B\x2D-\x7E]+$/, 'expected a scope such as sso:account:access'))
    .min(1)
    .optional(),
});

const nameTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    for (const m of template.matchAll(/\{([^}]*)\}/g)) {
      if (!(namePlaceholders as readonly string[]).includes(m[1]!)) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown placeholder {${m[1]}}; use ${namePlaceholders.map((p) => `{${p}}`).join(', ')}`,
        });
      }
    }
    const literal = template.replace(/\{[^}]*\}/g, '');
    if (!/^[A-Za-z0-9._-]*$/.test(literal))
      ctx.addIssue({ code: 'custom', message: 'only A-Za-z0-9._- may stand between placeholders' });
    if (!/\{account(_id)?\}/.test(template))
      ctx.addIssue({ code: 'custom', message: 'the name must contain {account} or {account_id}' });
  });

const profiles = z.strictObject({
  name: nameTemplate.optional(),
  strip_prefix: z.array(z.string().min(1)).optional(),
  role_alias: z
    .record(z.string().min(1), z.string().regex(/^[A-Za-z0-9._-]*$/, 'expected A-Za-z0-9._- or "" to drop the role'))
    .optional(),
  exclude_roles: z.array(glob).optional(),
  exclude_accounts: z.array(glob).optional(),
  regions: z.array(z.strictObject({ match: glob, region })).optional(),
  default_region: region.optional(),
  set: z
    .record(
      z
        .string()
        .regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase key such as output')
        .refine(
          (k) => !(reservedKeys as readonly string[]).includes(k),
          'this key is computed by sso-sync and cannot be set',
        ),
      z
        .union([z.string(), z.number(), z.boolean()])
        .transform(String)
        .refine((v) => safeValue.test(v), 'expected one line of printable ASCII'),
    )
    .optional(),
});

/** The whole file. Unknown keys are errors, so a typo does not silently do nothing. */
export const settingsSchema = z.strictObject({
  schedule: z
    .string()
    .min(1)
    .refine(
      (s) => validCron(s),
      'expected a cron expression such as "*/30 * * * *" (minute hour day month weekday, an optional seconds field ' +
        'first)',
    )
    .optional(),
  sessions: z
    .record(z.string().regex(sessionNamePattern, 'session names may use only A-Za-z0-9._-'), session)
    .optional(),
  profiles: profiles.optional(),
  sync: z
    .strictObject({
      concurrency: z.int().min(1).max(64).optional(),
      max_removal_share: z.number().min(0).max(1).optional(),
      allow_mass_removal: z.boolean().optional(),
      request_timeout_seconds: z.number().min(1).max(600).optional(),
      roles_max_age: duration(30 * 86_400_000).optional(),
    })
    .optional(),
  splay: duration(86_400_000).optional(),
  notify: z.boolean().optional(),
  token: z
    .strictObject({
      refresh_window_minutes: z
        .number()
        .min(1)
        .max(24 * 60)
        .optional(),
    })
    .optional(),
});

/** Applies defaults to a validated file. */
export function resolveSettings(raw: z.output<typeof settingsSchema>, source: string | undefined): Settings {
  const p = raw.profiles ?? {};
  return {
    source,
    schedule: raw.schedule ?? defaults.schedule,
    scheduleWritten: raw.schedule !== undefined,
    splayMs: raw.splay ?? 0,
    sessions: Object.entries(raw.sessions ?? {}).map(([name, s]) => ({
      name,
      startUrl: s.start_url,
      region: s.region,
      scopes: s.scopes ?? [...defaults.scopes],
    })),
    rules: {
      name: p.name ?? defaultRules.name,
      stripPrefix: p.strip_prefix ?? defaultRules.stripPrefix,
      roleAlias: { ...defaultRules.roleAlias, ...p.role_alias },
      excludeRoles: p.exclude_roles ?? [],
      excludeAccounts: p.exclude_accounts ?? [],
      regions: p.regions ?? [],
      defaultRegion: p.default_region,
      set: p.set ?? {},
    },
    sync: {
      concurrency: raw.sync?.concurrency ?? defaults.concurrency,
      maxRemovalShare: raw.sync?.max_removal_share ?? defaults.maxRemovalShare,
      allowMassRemoval: raw.sync?.allow_mass_removal ?? false,
      requestTimeoutMs: (raw.sync?.request_timeout_seconds ?? defaults.requestTimeoutSeconds) * 1000,
      rolesMaxAgeMs: raw.sync?.roles_max_age ?? defaults.rolesMaxAgeMs,
    },
    refreshWindowMs: (raw.token?.refresh_window_minutes ?? defaults.refreshWindowMinutes) * 60_000,
    notify: raw.notify ?? false,
    notices: regionNotices(raw),
  };
}

/** A notice for each region the settings give that sso-sync does not know. */
function regionNotices(raw: z.output<typeof settingsSchema>): string[] {
  const given: [string, string][] = [
    ...Object.entries(raw.sessions ?? {}).map(([name, s]): [string, string] => [`sessions.${name}.region`, s.region]),
    ...(raw.profiles?.regions ?? []).map((r, i): [string, string] => [`profiles.regions[${i}].region`, r.region]),
  ];
  if (raw.profiles?.default_region !== undefined) given.push(['profiles.default_region', raw.profiles.default_region]);
  return given.flatMap(([key, region]) => unknownRegion(region, key) ?? []);
}

/** Settings when no file exists. */
export function zeroSettings(): Settings {
  return resolveSettings({}, undefined);
}
