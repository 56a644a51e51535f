/** The validated `chains` setting as the core takes it. Apart from the schema (chains.ts), so that it needs no zod. */
import type { z } from 'zod';
import type { ChainRule } from '../core/chains.js';
import type { chainsSchema } from './chains.js';

/** The validated chains as the core takes them. */
export function resolveChains(raw: z.output<typeof chainsSchema>): ChainRule[] {
  return raw.map((c) => ({
    name: c.name,
    roleArn: c.role_arn,
    accounts: c.accounts ?? [],
    roles: c.roles ?? [],
    roleSessionName: c.role_session_name,
    durationSeconds: c.duration_seconds,
    externalId: c.external_id,
  }));
}
