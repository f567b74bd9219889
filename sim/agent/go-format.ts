// Formats the agent shares with its Go original, where clients can see the difference.

/**
 * time.RFC3339Nano as Go prints it: UTC `Z`, fractional seconds with trailing zeros dropped and no
 * fraction at all when it is zero ("2024-02-09T10:47:44Z", "2023-07-13T20:49:35.5Z").
 */
export function goRfc3339Nano(date: Date): string {
  const iso = date.toISOString(); // always YYYY-MM-DDTHH:MM:SS.mmmZ
  const [seconds, fraction] = iso.slice(0, -1).split('.');
  const trimmed = (fraction ?? '').replace(/0+$/, '');
  return trimmed ? `${seconds}.${trimmed}Z` : `${seconds}Z`;
}

/** The body Go's http.Error writes: the message and a newline. */
export function goHttpErrorBody(message: string): string {
  return `${message}\n`;
}
