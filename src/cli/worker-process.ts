/**
 * Runs one job in a worker process (worker.ts) for the daemon: forks it with an IPC channel, sends the job, hears
 * what it tells on the way (tokens it wrote, refresh tokens refused), and resolves with its answer once the process
 * has ended. See daemon/worker-protocol.ts.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../errors.js';
import {
  protocolVersion,
  rebuildError,
  type AbortMessage,
  type JobAnswers,
  type WorkerJob,
  type WorkerMessage,
} from '../daemon/worker-protocol.js';

/** The worker's file: beside this module, in the tsc build and in the bundle alike (both put it in dist/src/cli). */
export const workerFile = fileURLToPath(new URL('./worker.js', import.meta.url));

/** A job without what every job carries (runWorker adds it). */
export type JobOf<K extends WorkerJob['kind']> = Omit<Extract<WorkerJob, { kind: K }>, 'protocol'>;

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
}

/** How a worker ended, in words. */
function ending(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was ended by ${signal}` : `exited with status ${code ?? 'unknown'}`;
}

/** Runs the job in a new worker; resolves with its answer, rejects with its failure (made again on this side). */
export function runWorker<K extends WorkerJob['kind']>(job: JobOf<K>, options: WorkerOptions): Promise<JobAnswers[K]> {
  return new Promise((resolve, reject) => {
    let answer: Extract<WorkerMessage, { kind: 'done' | 'failed' }> | undefined;
    let started: Error | undefined;
    const child = fork(options.file ?? workerFile, [], {
      env: options.env,
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
    // 'close' comes once the process has ended and its IPC channel is closed: every message has been heard.
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', abort);
      if (answer?.kind === 'done') {
        resolve(answer.answer as JobAnswers[K]);
        return;
      }
      if (answer?.kind === 'failed') {
        reject(rebuildError(answer.error));
        return;
      }
      const why = started ? `could not be started (${errorMessage(started)})` : ending(code, signal);
      reject(
        new Error(
          `the sso-sync worker process for the ${job.kind} job ${why} before it answered; ` +
            `the lines above may say why. Its file: ${options.file ?? workerFile}`,
        ),
      );
    });
    child.send({ ...job, protocol: protocolVersion });
    if (options.signal?.aborted) abort();
    else options.signal?.addEventListener('abort', abort, { once: true });
  });
}
