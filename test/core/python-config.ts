/**
 * Reads AWS config files the way the AWS CLI does: Python's configparser in strict mode (a RawConfigParser, as
 * botocore creates it), then botocore's mapping of section names to profiles and sso-sessions (shlex words,
 * exactly two of them). All files go to one python3 process, so a test can check hundreds of files cheaply.
 */
import { spawnSync } from 'node:child_process';

/** One file as the AWS CLI reads it, or why it cannot. */
export type PythonReading =
  | {
      ok: true;
      /** Every section (not DEFAULT) with its options, as `cp.get` returns them. */
      sections: Record<string, Record<string, string>>;
      /** Section names in file order. */
      order: string[];
      /** Each section in file order as botocore files it: [section, kind, name]. */
      kinds: [string, 'profile' | 'sso-session' | 'other', string][];
      /** Profile name -> the section names that define it (more than one means one silently wins). */
      profiles: Record<string, string[]>;
      ssoSessions: Record<string, string[]>;
    }
  | { ok: false; error: string };

const script = String.raw`
import configparser, json, shlex, sys

def words(key):
    try:
        parts = shlex.split(key)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None

out = {}
for path in json.load(sys.stdin):
    cp = configparser.RawConfigParser()
    try:
        with open(path, encoding='utf-8') as fp:
            cp.read_file(fp, path)
    except (configparser.Error, UnicodeDecodeError) as e:
        out[path] = {'ok': False, 'error': type(e).__name__ + ': ' + str(e)}
        continue
    sections = {}
    profiles = {}
    sso_sessions = {}
    kinds = []
    for section in cp.sections():
        sections[section] = {option: cp.get(section, option) for option in cp.options(section)}
        # botocore's build_profile_map: the prefix is tested with startswith, the name is shlex's second word.
        kind, name = 'other', section
        if section.startswith('profile'):
            if words(section) is not None:
                kind, name = 'profile', words(section)
        elif section.startswith('sso-session'):
            if words(section) is not None:
                kind, name = 'sso-session', words(section)
        elif section == 'default':
            kind, name = 'profile', 'default'
        if kind == 'profile':
            profiles.setdefault(name, []).append(section)
        elif kind == 'sso-session':
            sso_sessions.setdefault(name, []).append(section)
        kinds.append([section, kind, name])
    out[path] = {'ok': True, 'sections': sections, 'order': cp.sections(), 'kinds': kinds, 'profiles': profiles, 'ssoSessions': sso_sessions}
json.dump(out, sys.stdout)
`;

/** True when a python3 with configparser can be started here. */
export function pythonAvailable(): boolean {
  return spawnSync('python3', ['-c', 'import configparser, shlex'], { stdio: 'ignore' }).status === 0;
}

/** Reads every file with the AWS CLI's parser in one python3 process. */
export function readWithPython(files: readonly string[]): Record<string, PythonReading> {
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(files), maxBuffer: 256 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8')) as Record<string, PythonReading>;
}

/** How botocore files each section header's inner text: [kind, name], as build_profile_map does. */
export function botocoreKinds(headers: readonly string[]): ['profile' | 'sso-session' | 'other', string][] {
  const code = String.raw`
import json, shlex, sys
def words(key):
    try:
        parts = shlex.split(key)
    except ValueError:
        return None
    return parts[1] if len(parts) == 2 else None
out = []
for h in json.load(sys.stdin):
    kind, name = 'other', h
    if h.startswith('profile') and words(h) is not None:
        kind, name = 'profile', words(h)
    elif h.startswith('sso-session') and words(h) is not None:
        kind, name = 'sso-session', words(h)
    elif h == 'default':
        kind, name = 'profile', 'default'
    out.append([kind, name])
json.dump(out, sys.stdout)
`;
  const run = spawnSync('python3', ['-c', code], { input: JSON.stringify(headers), maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8')) as ['profile' | 'sso-session' | 'other', string][];
}

/** Python's shlex.split of each text (posix mode, as botocore calls it); null where shlex raises. */
export function shlexSplit(texts: readonly string[]): (string[] | null)[] {
  const code = String.raw`
import json, shlex, sys
out = []
for t in json.load(sys.stdin):
    try:
        out.append(shlex.split(t))
    except ValueError:
        out.append(None)
json.dump(out, sys.stdout)
`;
  const run = spawnSync('python3', ['-c', code], { input: JSON.stringify(texts), maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`python3 failed (${run.status}): ${run.stderr.toString()}`);
  return JSON.parse(run.stdout.toString('utf8')) as (string[] | null)[];
}
