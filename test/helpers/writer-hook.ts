/** The writer's test hooks: points between its steps where a test plays another program. */

/** A writer hook (the writer awaits its hooks) that runs a synchronous step: another program's write, say. */
export const hook = (step: () => void) => (): Promise<void> => {
  step();
  return Promise.resolve();
};
