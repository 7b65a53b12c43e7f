import { dim, say } from './terminal.js';

// Fields worth a glance; the rest of a log line (pids, hostnames, times) is noise in a demo.
const SHOWN = ['session', 'role', 'identity', 'policy', 'rule', 'request', 'reason', 'version'];

/** Prints a process's JSON log lines in short, dim form, with a prefix naming the process. */
export function logPrinter(prefix: string, level = 30): (chunk: string) => void {
  let partial = '';
  return (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() === '') continue;
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        say(dim(`   [${prefix}] ${line}`));
        continue;
      }
      if (typeof entry.level === 'number' && entry.level < level) continue;
      const extra = SHOWN.filter((key) => entry[key] !== undefined)
        .map((key) => `${key}=${String(entry[key])}`)
        .join(' ');
      say(dim(`   [${prefix}] ${String(entry.msg)} ${extra}`.trimEnd()));
    }
  };
}
