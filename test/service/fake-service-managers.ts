/**
 * Stand-ins for systemctl and launchctl at the process boundary: shell scripts in a temp bin directory,
 * put first on PATH, that record their arguments and keep a little state (enabled, active, loaded) in files,
 * so that the real execFile runner drives them exactly as it drives the real programs.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const record = `printf '%s\\037' "$(basename "$0")" "$@" >> "$FAKE_DIR/calls"; printf '\\n' >> "$FAKE_DIR/calls"
if [ -n "$FAKE_FAIL" ]; then
  case "$(basename "$0") $*" in
    $FAKE_FAIL) printf '%s\\n' "$FAKE_FAIL_STDERR" >&2; exit "\${FAKE_FAIL_CODE:-1}";;
  esac
fi
state="$FAKE_DIR/state"
`;

const systemctl = `#!/bin/sh
${record}
[ "$1" = --user ] || { echo "the fake systemctl only knows --user" >&2; exit 1; }
shift
case "$1" in
  daemon-reload) exit 0;;
  show-environment) echo "PATH=/usr/bin:/bin"; exit 0;;
  enable) [ "$2" = --now ] && touch "$state/active"; touch "$state/enabled"; echo "Created symlink." >&2; exit 0;;
  disable) [ "$2" = --now ] && rm -f "$state/active"; rm -f "$state/enabled"; exit 0;;
  start|restart) touch "$state/active"; exit 0;;
  stop) rm -f "$state/active"; exit 0;;
  is-active) if [ -f "$state/active" ]; then echo active; exit 0; else echo inactive; exit 3; fi;;
  is-enabled) if [ -f "$state/enabled" ]; then echo enabled; exit 0; else echo disabled; exit 1; fi;;
  *) echo "Unknown command verb $1." >&2; exit 1;;
esac
`;

const launchctl = `#!/bin/sh
${record}
case "$1" in
  print)
    if [ -f "$state/loaded" ]; then printf '%s = {\\n\\tactive count = 1\\n\\tstate = running\\n\\tpid = 4242\\n\\tlast exit code = (never exited)\\n}\\n' "$2"; exit 0; fi
    echo "Could not find service \\"\${2##*/}\\" in domain for user gui: 501" >&2; exit 113;;
  bootstrap)
    if [ -f "$state/loaded" ]; then echo "Bootstrap failed: 5: Input/output error" >&2; exit 5; fi
    cp "$3" "$state/loaded"; exit 0;;
  bootout)
    if [ -f "$state/loaded" ]; then rm -f "$state/loaded"; exit 0; fi
    echo "Boot-out failed: 3: No such process" >&2; exit 3;;
  enable|disable) exit 0;;
  *) echo "Unrecognized subcommand: $1" >&2; exit 64;;
esac
`;

/** A temp directory with the fakes, their call log and state. */
export interface FakeManagers {
  dir: string;
  bin: string;
  /** The environment for the runner: the fakes first on PATH. */
  env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  /** Every call so far: the program's name and its arguments. */
  calls(): string[][];
  clearCalls(): void;
  /** Marks the agent as loaded / the unit as enabled and active, as if done earlier. */
  setState(name: 'loaded' | 'enabled' | 'active', on: boolean): void;
  close(): void;
}

export function fakeManagers(): FakeManagers {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sso-sync-fake-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  mkdirSync(path.join(dir, 'state'));
  for (const [name, text] of [
    ['systemctl', systemctl],
    ['launchctl', launchctl],
  ] as const) {
    writeFileSync(path.join(bin, name), text);
    chmodSync(path.join(bin, name), 0o755);
  }
  const callsFile = path.join(dir, 'calls');
  return {
    dir,
    bin,
    env: (extra = {}) => ({ PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`, FAKE_DIR: dir, ...extra }),
    calls() {
      let text: string;
      try {
        text = readFileSync(callsFile, 'utf8');
      } catch {
        return [];
      }
      return text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => l.split('\u001f').slice(0, -1));
    },
    clearCalls: () => rmSync(callsFile, { force: true }),
    setState(name, on) {
      const file = path.join(dir, 'state', name);
      if (on) writeFileSync(file, '');
      else rmSync(file, { force: true });
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
