/**
 * The daemon's worker: a short-lived process that does one job for the daemon and ends (worker-jobs.ts). Its stop
 * signals are caught first, before the job's modules load: `systemctl --user kill -s HUP sso-sync` (a reload) and a
 * service manager's stop reach every process of the unit, and a worker still loading would otherwise end by the
 * signal's default action. SIGHUP is the daemon's to act on; SIGTERM and SIGINT (Ctrl-C reaches the whole process
 * group) cancel a sync that has not begun writing, as the daemon's `abort` does; a write in progress finishes.
 */
const stopping = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(signal, () => {
    if (signal !== 'SIGHUP') stopping.abort();
  });

const { useCompileCache } = await import('./compile-cache.js');
useCompileCache(process.env);
const { serve } = await import('./worker-jobs.js');
serve(stopping);
