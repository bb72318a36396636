/** Text helpers for messages built from errors and tool output. */

/** The message of anything thrown: an Error's message, an object's `message`, else String(e). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/**
 * The first line of `text`. With `max`, a longer line is shortened at the last space that fits and
 * ends in '…'; a first word longer than `max` is kept whole, so no word is ever cut.
 */
export function firstLine(text: string, max?: number): string {
  const line = text.split('\n')[0];
  if (max === undefined || line.length <= max) return line;
  const cut = line.lastIndexOf(' ', max - 1);
  if (cut > 0) return `${line.slice(0, cut).trimEnd()}…`;
  const space = line.indexOf(' ');
  return space > 0 ? `${line.slice(0, space)}…` : line;
}
