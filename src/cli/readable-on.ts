/** Whether log lines on a descriptor are shown to a person as text: apart, so that the daemon asks without pino. */

/** Whether log lines on this descriptor are shown to a person as text (a terminal), not written as JSON. */
export const readableOn = (fd: 1 | 2): boolean =>
  ((fd === 1 ? process.stdout : process.stderr) as { isTTY?: boolean }).isTTY === true;
