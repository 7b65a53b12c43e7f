import { setTimeout as sleep } from 'node:timers/promises';

/** Whether a person watches: then the demo types commands and uses bold and dim text. */
export const interactive = process.stdout.isTTY === true;

/** Prints one line. */
export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** Bold on a terminal, plain otherwise. */
export function bold(text: string): string {
  return interactive ? `\x1b[1m${text}\x1b[0m` : text;
}

/** Dim on a terminal, plain otherwise. */
export function dim(text: string): string {
  return interactive ? `\x1b[2m${text}\x1b[0m` : text;
}

/** A section heading. */
export function step(text: string): void {
  say(`\n${bold(`== ${text}`)}`);
}

/** Prints a command as a person would type it: char by char on a terminal, at once otherwise. */
export async function typeLine(text: string): Promise<void> {
  if (!interactive) return say(text);
  for (const char of text) {
    process.stdout.write(char);
    await sleep(12);
  }
  say();
}

/** Prints program output indented, without trailing blank lines. */
export function output(text: string, indent = ''): void {
  const trimmed = text.replace(/\s+$/, '');
  if (trimmed !== '') say(trimmed.replace(/^/gm, indent));
}
