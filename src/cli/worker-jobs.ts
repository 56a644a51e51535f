/**
 * The jobs of the daemon's worker process (worker.ts, which caught the stop signals before this module loaded): a
 * sync, a token refresh, reading the settings, the schedule's next time. The daemon forks the worker with an IPC
 * channel (see daemon-command.ts and daemon/worker-protocol.ts), so that what a job loads (the AWS SDK, zod,
 * node-cron) and the memory it uses leave with it. Its log lines go where the daemon's go.
 */
import { RefusedRefreshes } from '../auth/refused-refreshes.js';
import { systemClock } from '../clock/clock.js';
import { readConfig } from '../config-file/config-file.js';
import { shortSha256Hex } from '../core/short-hash.js';
import { configFacts } from '../daemon/config-facts.js';
import { summarize } from '../daemon/sync-summary.js';
import {
  carryError,
  carrySummary,
  type JobAnswers,
  type WorkerJob,
  type WorkerMessage,
} from '../daemon/worker-protocol.js';
import { SsoSyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { stateDir } from '../paths.js';
import { loadSettings } from '../settings/load.js';
import { allSessions } from '../sync/configured-sessions.js';
import { runOnce } from '../sync/run-once.js';
import { recordSync } from '../sync/sync-state.js';
import { launchdLabel, systemdUnitName } from '../service/plan.js';
import { keeper, logger } from './edges.js';
import { packageVersion } from './package-version.js';
import { recordFailure, syncDeps, type Edge } from './sync-edges.js';

const edge: Edge = { env: process.env, clock: systemClock };

/** Sends a message to the daemon; one that cannot go (the daemon is gone) is dropped. */
function tell(message: WorkerMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, {}, () => {
      resolve();
    });
  });
}

/** The refresh tokens the daemon knows were refused; one refused now is told to it. */
const refusedOf = (hashes: string[]) =>
  new RefusedRefreshes(hashes, (refreshTokenHash) => void tell({ kind: 'refused', refreshTokenHash }));

/** Each token a keeper writes is told to the daemon, by its hash: its cache watch then knows it is no sign-in. */
const refreshed = (session: string, token: { accessToken: string }) =>
  void tell({ kind: 'refreshed', session, accessTokenHash: shortSha256Hex(token.accessToken) });

/** The daemon's sync, as it ran in the daemon's own process before: recorded for `status`, a failure too. */
async function sync(
  job: Extract<WorkerJob, { kind: 'sync' }>,
  log: Logger,
  stopping: AbortSignal,
): Promise<JobAnswers['sync']> {
  const { env, clock } = edge;
  const request = { ...job.request, signal: stopping };
  try {
    const report = await runOnce(syncDeps(edge, log, refreshed, refusedOf(job.refused)), request);
    if (!report.cancelled) await recordSync(stateDir(env), report, new Date(clock.now()), { log, clock });
    return carrySummary(summarize(report));
  } catch (error) {
    await recordFailure(edge, request, error, log);
    throw error;
  }
}

/** The next time the expression comes, as node-cron reckons it. */
async function nextRun(expression: string): Promise<JobAnswers['next-run']> {
  const { default: cron } = await import('node-cron');
  const task = cron.schedule(expression, () => undefined);
  try {
    return task.getNextRun()?.getTime() ?? null;
  } finally {
    await task.stop();
  }
}

/** Does the job; its answer. */
async function work(job: WorkerJob, log: Logger, stopping: AbortSignal): Promise<unknown> {
  switch (job.kind) {
    case 'settings':
      return loadSettings(job.settingsFile, edge.env);
    case 'next-run':
      return nextRun(job.expression);
    case 'sync':
      return sync(job, log, stopping);
    case 'refresh':
      await keeper(edge, log, job.refreshWindowMs, refreshed, refusedOf(job.refused)).refresh(job.session);
      return null;
    case 'config':
      return configFacts((await readConfig(job.configFile, { clock: edge.clock })).text);
    case 'sessions':
      return allSessions(edge.env, job.settings);
  }
}

/**
 * After a stop, how long a job may still take before the worker ends anyway: as long as the daemon waits for it.
 * A sync cancels itself before writing, but a long fetch (thousands of accounts) only ends there after a minute or
 * more; nothing is written before that point, and a write takes milliseconds.
 */
const stopGraceMs = 5_000;

/**
 * Takes the job, does it, answers, and ends. `stopping` is aborted by a stop signal (worker.ts), the daemon's
 * `abort`, or the daemon gone: a sync that has not begun writing stops.
 */
export function serve(stopping: AbortController): void {
  stopping.signal.addEventListener('abort', () => systemClock.setTimer(stopGraceMs, () => process.exit(0)), {
    once: true,
  });
  process.on('disconnect', () => stopping.abort());
  process.on('message', (message: { kind?: string; version?: unknown }) => {
    if (message.kind === 'abort') {
      stopping.abort();
      return;
    }
    void answer(message, stopping.signal).then(() => process.exit(0));
  });
}

/** How to restart the daemon, where it runs as the service here; and by hand. */
function restartAdvice(): string {
  const service =
    process.platform === 'darwin'
      ? `\`launchctl kickstart -k gui/${process.getuid?.() ?? '$(id -u)'}/${launchdLabel}\``
      : `\`systemctl --user restart ${systemdUnitName}\``;
  return `${service} where it runs as the service; otherwise stop it and run \`sso-sync\` again`;
}

/** The job's answer, or its failure, told to the daemon. */
async function answer(message: { version?: unknown }, stopping: AbortSignal): Promise<void> {
  try {
    const installed = packageVersion();
    if (message.version !== installed) {
      throw new SsoSyncError(
        'usage',
        `sso-sync was upgraded under the running daemon (the daemon is ${String(message.version)}, the files ` +
          `installed now are ${installed}), and the daemon cannot use the new files. Restart it: ${restartAdvice()}.`,
      );
    }
    const job = message as WorkerJob;
    const log = logger(1, job.logLevel, edge.env);
    await tell({ kind: 'done', answer: await work(job, log, stopping) });
  } catch (error) {
    await tell({ kind: 'failed', error: carryError(error) });
  }
}
