/**
 * Settings after validation: their shape, the defaults of every key a file leaves out, and the zero configuration.
 * Apart from the schema (schema.ts), so that a command that finds no settings file loads neither zod nor YAML.
 */
import type { ChainRule } from '../core/chains.js';
import { defaultRules } from '../core/profile-names.js';
import { regionList } from '../core/region-names.js';
import type { ProfileStyleName } from '../core/profile-style.js';
import type { ProfileRules, Regions, SessionDef } from '../core/types.js';
import { resolveChains } from './chain-rules.js';
import { namingRules, overrideRegions } from './naming-rules.js';
import { unknownRegion } from './regions.js';
import type { RawSettings } from './schema.js';

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
  /** How generated profiles get their credentials (`profiles.style`). */
  style: ProfileStyleName;
  /** Role-chain profiles built on the generated ones (`chains`). */
  chains: ChainRule[];
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
/** Applies defaults to a validated file. */
export function resolveSettings(raw: RawSettings, source: string | undefined): Settings {
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
      ...namingRules(p),
    },
    style: p.style ?? 'sso-session',
    chains: resolveChains(raw.chains ?? []),
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
function regionNotices(raw: RawSettings): string[] {
  const given: [string, string | string[]][] = [
    ...Object.entries(raw.sessions ?? {}).map(([name, s]): [string, string] => [`sessions.${name}.region`, s.region]),
    ...(raw.profiles?.regions ?? []).map((r, i): [string, Regions] => [`profiles.regions[${i}].region`, r.region]),
  ];
  if (raw.profiles?.default_region !== undefined) given.push(['profiles.default_region', raw.profiles.default_region]);
  given.push(...overrideRegions(raw.profiles ?? {}));
  return given.flatMap(([key, regions]) => regionList(regions).flatMap((r) => unknownRegion(r, key) ?? []));
}

/** Settings when no file exists. */
export function zeroSettings(): Settings {
  return resolveSettings({}, undefined);
}
