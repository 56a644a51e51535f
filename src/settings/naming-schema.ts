/**
 * The settings of richer names, several regions and per-account overrides (`profiles.case`, `role_case`,
 * `account_trim`, `role_trim`, region lists, `profiles.accounts`): their shapes, the checks that refuse a setting
 * that cannot work (an invalid expression, an alias on a glob that may match several accounts), and the rules they
 * become.
 */
import * as z from 'zod';
import { accountIdKey, hasWildcard } from '../core/overrides.js';
import { compileTrim } from '../core/profile-names.js';
import { shortRegion } from '../core/region-names.js';

/** `lower`, `keep` or `upper`. */
const nameCase = z.enum(['lower', 'keep', 'upper'], { error: 'expected lower, keep or upper' });

/** Regular expressions, each checked by compiling it. */
const trims = z.array(
  z
    .string()
    .min(1, 'expected a regular expression')
    .superRefine((source, ctx) => {
      try {
        compileTrim(source);
      } catch (error) {
        const why = error instanceof Error ? error.message.replace(/^Invalid regular expression: /, '') : '';
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression (${why})` });
      }
    }),
);

/** One region, or a list of different regions whose short names differ too (they end the profiles' names). */
export function regionsValue(region: z.ZodType<string>) {
  return z.union([region, z.array(region).min(1, 'expected at least one region')]).superRefine((value, ctx) => {
    if (typeof value === 'string') return;
    const seen = new Map<string, string>();
    for (const r of value) {
      const short = shortRegion(r);
      const other = seen.get(short);
      if (other === r) ctx.addIssue({ code: 'custom', message: `${r} is given twice` });
      else if (other !== undefined)
        ctx.addIssue({ code: 'custom', message: `${other} and ${r} have the same short name ${short}` });
      seen.set(short, r);
    }
  });
}

const aliasText = /^[A-Za-z0-9._-]+$/;

/** Whether an entry, validated or not, gives an alias (the check runs even when other keys have problems). */
const givesAlias = (entry: unknown) => typeof entry === 'object' && entry !== null && 'alias' in entry;

/** Run a record's check even when some of its entries have problems of their own: every problem is said at once. */
const always = { when: (payload: { value: unknown }) => typeof payload.value === 'object' && payload.value !== null };

/** An alias needs a key that names one account or role: on a glob, every match would share one name. */
function aliasOnGlob(kind: 'account' | 'role'): string {
  return (
    `an alias needs a key that names one ${kind}: this key has * or ?, so every ${kind} it matches would get the ` +
    `same name; give the alias under the ${kind === 'account' ? 'account id or name' : 'role name'} itself`
  );
}

/** The per-account overrides (`profiles.accounts`), keyed by account id or a glob on account names. */
export function accountOverrides(region: z.ZodType<string>, extraKeys: z.ZodType<Record<string, string>>) {
  const role = z.strictObject({
    alias: z
      .string()
      .regex(/^[A-Za-z0-9._-]*$/, 'expected A-Za-z0-9._- or "" to drop the role')
      .optional(),
    region: regionsValue(region).optional(),
    exclude: z.boolean().optional(),
  });
  const account = z.strictObject({
    alias: z.string().regex(aliasText, 'expected a name of A-Za-z0-9._-').optional(),
    region: regionsValue(region).optional(),
    exclude: z.boolean().optional(),
    set: extraKeys.optional(),
    roles: z
      .record(z.string().min(1, 'expected a role name or a glob'), role)
      .superRefine((roles, ctx) => {
        for (const [key, r] of Object.entries(roles))
          if (givesAlias(r) && hasWildcard(key))
            ctx.addIssue({ code: 'custom', path: [key, 'alias'], message: aliasOnGlob('role') });
      }, always)
      .optional(),
  });
  const key = z
    .string()
    .min(1, 'expected an account id or a glob on account names')
    .refine(
      (k) => !/^\d+$/.test(k) || accountIdKey.test(k),
      'an account id has 12 digits: quote it ("012345678901"), since YAML reads an unquoted id as a number and ' +
        'drops a leading 0',
    );
  return z.record(key, account).superRefine((accounts, ctx) => {
    for (const [key, a] of Object.entries(accounts))
      if (givesAlias(a) && hasWildcard(key) && !accountIdKey.test(key))
        ctx.addIssue({ code: 'custom', path: [key, 'alias'], message: aliasOnGlob('account') });
  }, always);
}

/** The keys these settings add to `profiles`. */
export function namingKeys(region: z.ZodType<string>, extraKeys: z.ZodType<Record<string, string>>) {
  return {
    case: nameCase.optional(),
    role_case: nameCase.optional(),
    account_trim: trims.optional(),
    role_trim: trims.optional(),
    accounts: accountOverrides(region, extraKeys).optional(),
  };
}
