/**
 * The settings file's schema: validation that reports every problem with its key. The settings after it, and their
 * defaults: resolved.ts (re-exported here).
 */
import { validate as validCron } from 'node-cron';
import * as z from 'zod';
import { namePlaceholders, reservedKeys } from '../core/profile-names.js';
import { profileStyles, styleKeys } from '../core/profile-style.js';
import { chainsSchema } from './chains.js';
import { durationHint, formatDuration, parseDuration } from './duration.js';
import { namingKeys, regionsValue } from './naming-schema.js';
import { sessionNamePattern } from './resolved.js';

export { defaults, resolveSettings, sessionNamePattern, zeroSettings, type Settings } from './resolved.js';

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
    if (!/\{account(_id|_name)?\}/.test(template))
      ctx.addIssue({ code: 'custom', message: 'the name must contain {account}, {account_id} or {account_name}' });
    // Without a role part, every role of an account would get the same name (then told apart only by suffixes).
    if (!/\{role(_name)?\}/.test(template))
      ctx.addIssue({
        code: 'custom',
        message: 'the name must contain {role} or {role_name}, or every role of an account would have one name',
      });
  });

/** The extra keys of a profile (`set`): lowercase keys, one line of printable ASCII each. */
const extraKeys = z.record(
  z
    .string()
    .regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase key such as output')
    .refine(
      (k) => !([...reservedKeys, ...styleKeys] as readonly string[]).includes(k),
      'this key is computed by sso-sync and cannot be set',
    ),
  z
    .union([z.string(), z.number(), z.boolean()])
    .transform(String)
    .refine((v) => safeValue.test(v), 'expected one line of printable ASCII'),
);

const profiles = z.strictObject({
  name: nameTemplate.optional(),
  strip_prefix: z.array(z.string().min(1)).optional(),
  role_alias: z
    .record(z.string().min(1), z.string().regex(/^[A-Za-z0-9._-]*$/, 'expected A-Za-z0-9._- or "" to drop the role'))
    .optional(),
  exclude_roles: z.array(glob).optional(),
  exclude_accounts: z.array(glob).optional(),
  regions: z.array(z.strictObject({ match: glob, region: regionsValue(region) })).optional(),
  default_region: regionsValue(region).optional(),
  set: extraKeys.optional(),
  ...namingKeys(region, extraKeys),
  style: z.enum(profileStyles, { error: `expected one of ${profileStyles.join(', ')}` }).optional(),
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
  chains: chainsSchema.optional(),
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

/** A settings file as the schema reads it, before the defaults apply. */
export type RawSettings = z.output<typeof settingsSchema>;
