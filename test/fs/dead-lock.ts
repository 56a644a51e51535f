/** Locks as a process killed while holding them leaves them: for the tests of every place that takes a lock. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pino, type Logger } from 'pino';

/** The pid of a process that has exited. */
export function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

/** Writes the lock file a process killed while holding it leaves at `lock`; returns that process's pid. */
export function leaveDeadLock(lock: string): number {
  const pid = deadPid();
  writeFileSync(lock, JSON.stringify({ pid, at: new Date().toISOString(), id: 'killed' }));
  return pid;
}

/** A logger that keeps its lines (parsed) in `lines`, from `level` up. */
export function capturingLogger(level = 'info'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = pino(
    { level, base: undefined },
    { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { log, lines };
}
