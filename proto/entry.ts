import { setFlagsFromString } from 'node:v8';
if (process.env.PROTO_FLAGS) for (const f of ['--no-opt', '--no-maglev', '--no-sparkplug']) setFlagsFromString(f);
const { catchSignals } = await import('../src/daemon/early-signals.js');
const signals = catchSignals(process);
const { runDaemonCommand } = await import('../src/cli/daemon-command.js');
const code = await runDaemonCommand({ kind: 'daemon', settingsFile: undefined, logLevel: undefined }, process.env, signals);
process.exit(code);
