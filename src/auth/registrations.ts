/**
 * Client registrations, kept and reused until they expire so that every sign-in does not register a new client.
 * One file per session and flow in sso-sync's state directory, mode 0600 (it holds a client secret).
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { replaceFile } from '../fs/replace-file.js';
import type { Registration } from '../aws/oidc-api.js';
import { registrationPath } from '../paths.js';

/** The sign-in flows; each needs its own registration (different grant types). */
export type Flow = 'authorization-code' | 'device-code';

/** A registration is reused only for the same start URL and scopes, and while it has a day left. */
const minimumLifeMs = 24 * 3600_000;

interface Stored {
  clientId: string;
  clientSecret: string;
  expiresAt: string;
  startUrl: string;
  scopes: string[];
}

const file = (stateDir: string, session: string, flow: Flow) => registrationPath(stateDir, session, flow);

/** A stored registration still good for this session, or undefined (a damaged file is simply replaced). */
export async function loadRegistration(
  stateDir: string,
  session: string,
  flow: Flow,
  startUrl: string,
  scopes: readonly string[],
  now: number,
): Promise<Registration | undefined> {
  try {
    const s = JSON.parse(await readFile(file(stateDir, session, flow), 'utf8')) as Partial<Stored>;
    const expiresAt = new Date(String(s.expiresAt));
    if (typeof s.clientId !== 'string' || typeof s.clientSecret !== 'string' || Number.isNaN(expiresAt.getTime()))
      return undefined;
    if (s.startUrl !== startUrl || JSON.stringify(s.scopes) !== JSON.stringify(scopes)) return undefined;
    if (expiresAt.getTime() - now < minimumLifeMs) return undefined;
    return { clientId: s.clientId, clientSecret: s.clientSecret, expiresAt };
  } catch {
    return undefined;
  }
}

/** Stores a registration for later sign-ins. */
export async function saveRegistration(
  stateDir: string,
  session: string,
  flow: Flow,
  startUrl: string,
  scopes: readonly string[],
  registration: Registration,
): Promise<void> {
  const target = file(stateDir, session, flow);
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  const stored: Stored = {
    clientId: registration.clientId,
    clientSecret: registration.clientSecret,
    expiresAt: registration.expiresAt.toISOString(),
    startUrl,
    scopes: [...scopes],
  };
  await replaceFile(target, JSON.stringify(stored), 0o600);
}

/** Forgets a stored registration the service no longer accepts; a missing file is already forgotten. */
export async function dropRegistration(stateDir: string, session: string, flow: Flow): Promise<void> {
  await rm(file(stateDir, session, flow), { force: true });
}
