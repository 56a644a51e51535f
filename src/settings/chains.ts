/** The `chains` setting: role-chain profiles, validated when the settings load (every template checked once). */
import * as z from 'zod';
import { chainArnPlaceholders, chainNamePlaceholders, fillChainTemplate } from '../core/chains.js';

/** Problems of a template's placeholders: unknown ones, and a required one missing. */
function placeholderProblems(template: string, allowed: readonly string[], required?: string): string[] {
  const problems: string[] = [];
  for (const m of template.matchAll(/\{([^}]*)\}/g)) {
    if (!allowed.includes(m[1]!))
      problems.push(`unknown placeholder {${m[1]}}; use ${allowed.map((p) => `{${p}}`).join(', ')}`);
  }
  if (required !== undefined && !template.includes(`{${required}}`))
    problems.push(
      `the name must contain {${required}} (the SSO profile's name), so that each chain profile is its own`,
    );
  return problems;
}

const nameTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    for (const message of placeholderProblems(template, chainNamePlaceholders, 'profile'))
      ctx.addIssue({ code: 'custom', message });
    if (!/^[A-Za-z0-9._-]*$/.test(template.replace(/\{[^}]*\}/g, '')))
      ctx.addIssue({ code: 'custom', message: 'only A-Za-z0-9._- may stand between placeholders' });
  });

// An IAM role ARN in any partition, the path and name in the characters IAM allows.
const roleArn = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

const roleArnTemplate = z
  .string()
  .min(1)
  .superRefine((template, ctx) => {
    const problems = placeholderProblems(template, chainArnPlaceholders);
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    const example = fillChainTemplate(template, { account_id: '123456789012', role_name: 'Role', session: 's' });
    if (problems.length === 0 && !roleArn.test(example))
      ctx.addIssue({
        code: 'custom',
        message: 'expected an IAM role ARN such as "arn:aws:iam::{account_id}:role/Deployer"',
      });
  });

const chain = z.strictObject({
  name: nameTemplate,
  role_arn: roleArnTemplate,
  accounts: z.array(z.string().min(1, 'expected a non-empty glob')).optional(),
  roles: z.array(z.string().min(1, 'expected a non-empty glob')).optional(),
  role_session_name: z
    .string()
    .regex(/^[\w+=,.@-]{2,64}$/, 'expected 2 to 64 of A-Za-z0-9_+=,.@-')
    .optional(),
  duration_seconds: z.int().min(900).max(43200).optional(),
  external_id: z
    .string()
    .regex(/^[\w+=,.@:/-]{2,1224}$/, 'expected 2 to 1224 of A-Za-z0-9_+=,.@:/-')
    .optional(),
});

/** The `chains` key: a list of chains. */
export const chainsSchema = z.array(chain);
