/** Terminal styling that respects NO_COLOR and non-TTY output. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
}

const plain: Style = { bold: (t) => t, dim: (t) => t, green: (t) => t, red: (t) => t, yellow: (t) => t };

/**
 * Colours only when the stream is a terminal and NO_COLOR is unset.
 *
 * @example
 * const style = styleFor(process.stdout, process.env);
 */
export function styleFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  if (!stream.isTTY || (env.NO_COLOR !== undefined && env.NO_COLOR !== '')) return plain;
  const wrap = (open: number, close: number) => (text: string) => `\u001b[${open}m${text}\u001b[${close}m`;
  return { bold: wrap(1, 22), dim: wrap(2, 22), green: wrap(32, 39), red: wrap(31, 39), yellow: wrap(33, 39) };
}
