/** Which sso-sessions a run syncs: those in the settings plus those the AWS config defines outside the blocks. */
import type { SectionRef } from '../core/config-text.js';
import type { SessionDef } from '../core/types.js';
import { SsoSyncError } from '../errors.js';
import { defaults, sessionNamePattern } from '../settings/resolved.js';

/** A config section that names a session sso-sync cannot use, and why. */
export interface SessionProblem {
  session: string;
  problem: string;
}

/** Sessions from `[sso-session]` sections written by `aws configure sso-session` or by hand. */
export function sessionsFromConfig(sections: readonly SectionRef[]): {
  sessions: SessionDef[];
  problems: SessionProblem[];
} {
  const sessions: SessionDef[] = [];
  const problems: SessionProblem[] = [];
  for (const s of sections) {
    if (s.kind !== 'sso-session') continue;
    const startUrl = s.values.get('sso_start_url')?.trim();
    const region = s.values.get('sso_region')?.trim();
    const missing = [!startUrl && 'sso_start_url', !region && 'sso_region'].filter(Boolean);
    if (!sessionNamePattern.test(s.name))
      problems.push({ session: s.name, problem: 'its name uses characters other than A-Za-z0-9._-' });
    else if (missing.length > 0) problems.push({ session: s.name, problem: `it has no ${missing.join(' and ')}` });
    else {
      const scopes = (s.values.get('sso_registration_scopes') ?? '').split(/[,\s]+/).filter(Boolean);
      sessions.push({
        name: s.name,
        startUrl: startUrl!,
        region: region!,
        scopes: scopes.length > 0 ? scopes : [...defaults.scopes],
      });
    }
  }
  return { sessions, problems };
}

/** Keys where a session in the settings disagrees with the config's section of the same name. */
export interface SessionConflict {
  session: string;
  keys: string[];
}

/** The union of both sources, limited by `--session`. The config's section is what the AWS CLI reads, so it wins. */
export function selectSessions(
  fromSettings: readonly SessionDef[],
  fromConfig: readonly SessionDef[],
  only: readonly string[],
  settingsFile: string | undefined,
  configFile: string,
): { sessions: SessionDef[]; conflicts: SessionConflict[] } {
  const all = new Map<string, SessionDef>();
  const conflicts: SessionConflict[] = [];
  for (const s of fromSettings) all.set(s.name, s);
  for (const s of fromConfig) {
    const mine = all.get(s.name);
    if (mine) {
      const keys = [
        mine.startUrl !== s.startUrl && 'sso_start_url',
        mine.region !== s.region && 'sso_region',
        mine.scopes.join(',') !== s.scopes.join(',') && 'sso_registration_scopes',
      ].filter((k): k is string => typeof k === 'string');
      if (keys.length > 0) conflicts.push({ session: s.name, keys });
    }
    all.set(s.name, s);
  }
  if (all.size === 0) {
    const orSettings = settingsFile
      ? ` or add it under sessions: in ${settingsFile}`
      : ' or in a settings file (see the README)';
    throw new SsoSyncError(
      'usage',
      `there is no sso-session to sync in ${configFile}: ` +
        `create one with \`sso-sync init\` (or \`aws configure sso-session\`)${orSettings}.`,
    );
  }
  const unknown = only.filter((n) => !all.has(n));
  if (unknown.length > 0) {
    throw new SsoSyncError(
      'usage',
      `no sso-session named ${unknown.join(', ')}; the known sessions are ${[...all.keys()].sort().join(', ')}.`,
    );
  }
  const chosen = only.length > 0 ? [...new Set(only)].map((n) => all.get(n)!) : [...all.values()];
  return {
    sessions: chosen.sort((a, b) => (a.name < b.name ? -1 : 1)),
    conflicts: conflicts.filter((c) => chosen.some((s) => s.name === c.session)),
  };
}
