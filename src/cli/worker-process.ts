/**
 * Runs one job in a worker process (worker.ts) for the daemon: forks it with an IPC channel, sends the job, hears
 * what it tells on the way (tokens it wrote, refresh tokens refused), and resolves with its answer once the process
 * has ended. See daemon/worker-protocol.ts.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { systemClock, type Clock } from '../clock/clock.js';
import { errorMessage, SsoSyncError } from '../errors.js';
import { formatDuration } from '../settings/duration.js';
import { daemonNodeFlags } from './daemon-tiers.js';
import {
  rebuildError,
  type AbortMessage,
  type JobAnswers,
  type WorkerJob,
  type WorkerMessage,
} from '../daemon/worker-protocol.js';

/** The worker's file: beside this module, in the tsc build and in the bundle alike (both put it in dist/src/cli). */
export const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));

/**
 * Node's options for a worker: the daemon's own, less those the service units start the daemon with (daemon-tiers.ts):
 * a worker's sync of thousands of profiles needs its code compiled, and room to allocate.
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !daemonNodeFlags.includes(arg));
}

/** A job of a kind. */
export type JobOf<K extends WorkerJob['kind']> = Extract<WorkerJob, { kind: K }>;

/** How a job is run. */
export interface WorkerOptions {
  /** The worker's environment: the daemon's. */
  env: NodeJS.ProcessEnv;
  /** The worker's file (default: the installed one). */
  file?: string;
  /** When aborted, the worker is told to stop a sync that has not begun writing. */
  signal?: AbortSignal | undefined;
  /** Hears what the worker tells before its answer. */
  heard?: (message: Extract<WorkerMessage, { kind: 'refreshed' | 'refused' }>) => void;
  /** The clock of the deadline (default the system's). */
  clock?: Clock;
  /** How long the job may take before its worker is ended (default: the kind's, `deadlines`). */
  deadlineMs?: number;
}

/**
 * How long a job may take before its worker is ended and the job taken as failed: well beyond the longest real one
 * (a refresh holds its lock under 2.5 minutes; a scheduled sync of 10,000 accounts at the portal's pace takes some
 * minutes), so that only a worker that hangs (a bug, a file system that does not answer) meets it, and the daemon
 * goes on instead of waiting for ever.
 */
export const deadlines: Record<WorkerJob['kind'], number> = {
  settings: 60_000,
  'next-run': 60_000,
  config: 60_000,
  sessions: 60_000,
  refresh: 10 * 60_000,
  sync: 60 * 60_000,
};

/** What comes of a job whose worker failed: what the daemon does next. */
const next: Record<WorkerJob['kind'], string> = {
  sync: 'the daemon tries the sync again',
  refresh: 'the token timer tries the refresh again',
  'next-run': 'the daemon asks again in a minute',
  config: 'the daemon looks again at its next change',
  sessions: 'the daemon keeps the sessions it knew',
  settings: 'the previous settings stay; save the file again or send SIGHUP to read it again',
};

/** Why a worker ended without its answer, in words, with what to do. */
function ended(
  kind: WorkerJob['kind'],
  file: string,
  started: Error | undefined,
  code: number | null,
  signal: string | null,
): string {
  const what = `the sso-sync worker process for the ${kind} job`;
  if (started) {
    return (
      `${what} could not be started (${errorMessage(started)}): Node.js at ${process.execPath} may have been ` +
      'moved or upgraded. Restart the daemon; where it runs as the service, `sso-sync service install` ' +
      `writes the service again with the Node.js installed now. Until then ${next[kind]}`
    );
  }
  if (signal === 'SIGKILL') {
    return (
      `${what} was killed (SIGKILL) before it answered: the system does that when memory runs out (the kernel's ` +
      `log says so, \`journalctl -k\`), as does a person or a service manager that kills it; ${next[kind]}`
    );
  }
  return (
    `${what} ${signal ? `was ended by ${signal}` : `exited with status ${code ?? 'unknown'}`} before it ` +
    `answered; the lines above say why. If sso-sync was upgraded or removed meanwhile (its file: ${file}), ` +
    `restart the daemon; otherwise ${next[kind]}`
  );
}

/**
 * How many times a job is started in a new worker when the one before was ended by SIGHUP in its first moments. A
 * reload's SIGHUP reaches every process of the unit (`systemctl --user kill -s HUP`), and systemd sends it again to
 * any process forked while it sends: the worker the daemon starts for that very reload can get it before worker.ts
 * has caught it (seen under load: "could not be started (write EPIPE)", and no reload). A worker that has caught
 * it goes on.
 */
const hangupTries = 3;

/** Runs the job in a new worker; resolves with its answer, rejects with its failure (made again on this side). */
export async function runWorker<K extends WorkerJob['kind']>(
  job: JobOf<K>,
  options: WorkerOptions,
): Promise<JobAnswers[K]> {
  for (let tries = 1; ; tries++) {
    const outcome = await runWorkerOnce(job, options);
    if (outcome.hungUp && tries < hangupTries) continue;
    if (outcome.ok) return outcome.answer;
    throw outcome.error;
  }
}

/** One worker's run of the job: its answer, or its failure and whether SIGHUP ended it before it answered. */
type Outcome<K extends WorkerJob['kind']> =
  { ok: true; answer: JobAnswers[K]; hungUp: false } | { ok: false; error: Error; hungUp: boolean };

function runWorkerOnce<K extends WorkerJob['kind']>(job: JobOf<K>, options: WorkerOptions): Promise<Outcome<K>> {
  const resolve = (answer: JobAnswers[K]) => ({ ok: true as const, answer, hungUp: false as const });
  const fail = (error: Error, hungUp = false) => ({ ok: false as const, error, hungUp });
  return new Promise((settle) => {
    let answer: Extract<WorkerMessage, { kind: 'done' | 'failed' }> | undefined;
    let started: Error | undefined;
    let late: number | undefined;
    const child = fork(options.file ?? workerFile, [], {
      env: options.env,
      execArgv: workerExecArgv(process.execArgv),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const abort = () => {
      if (child.connected) child.send({ kind: 'abort' } satisfies AbortMessage);
    };
    child.on('message', (message: WorkerMessage) => {
      if (message.kind === 'done' || message.kind === 'failed') answer = message;
      else options.heard?.(message);
    });
    child.on('error', (error) => (started ??= error));
    const deadlineMs = options.deadlineMs ?? deadlines[job.kind];
    const deadline = (options.clock ?? systemClock).setTimer(deadlineMs, () => {
      late = deadlineMs;
      child.kill('SIGKILL');
    });
    // 'close' comes once the process has ended and its IPC channel is closed: every message has been heard.
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      deadline.cancel();
      if (answer?.kind === 'done') {
        settle(resolve(answer.answer as JobAnswers[K]));
        return;
      }
      if (answer?.kind === 'failed') {
        settle(fail(rebuildError(answer.error)));
        return;
      }
      const why =
        late === undefined
          ? ended(job.kind, options.file ?? workerFile, started, code, signal)
          : `the sso-sync worker process for the ${job.kind} job did not answer in ${formatDuration(late)} and was ` +
            `ended; ${next[job.kind]}. If it happens again, run with --log-level debug to see where it stops`;
      settle(fail(new SsoSyncError('worker.failed', why, { retryable: true }), signal === 'SIGHUP'));
    });
    try {
      child.send(job);
    } catch (error) {
      // A job that cannot be sent (it does not clone): the worker would wait for ever.
      child.kill('SIGKILL');
      deadline.cancel();
      settle(fail(new Error(`the ${job.kind} job could not be sent to its worker process: ${errorMessage(error)}`)));
      return;
    }
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
  });
}
