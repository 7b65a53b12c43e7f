import { readFile } from 'node:fs/promises';

/** A V8 CPU profile as node --cpu-prof writes it (the DevTools Profile type). */
interface CpuProfile {
  nodes: {
    id: number;
    hitCount?: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Self time of one function or one file, as a share of all samples. */
export interface HotSpot {
  name: string;
  selfMs: number;
  share: number;
}

/**
 * Where a profiled process spent its CPU: hottest functions and files by self time. Shares
 * are of the busy time: idle samples (waiting in the event loop) are counted apart.
 */
export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

/**
 * Sums self time per function and per file from the samples: each sample is attributed to the
 * node on top of the stack, for the time until the next sample (timeDeltas, in microseconds).
 */
export function summarizeProfile(profile: CpuProfile, top = 20): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let totalUs = 0;
  let idleUs = 0;

  samples.forEach((id, index) => {
    const node = byId.get(id);
    const us = deltas[index + 1] ?? 0;
    if (node === undefined) return;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') {
      idleUs += us;
      return;
    }
    const file = url === '' ? `(native) ${functionName}` : shortFile(url);
    const name = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
    totalUs += us;
  });

  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    functions: hottest(functions, totalUs, top),
    files: hottest(files, totalUs, top),
  };
}

/** Reads a .cpuprofile file and summarizes it. */
export async function summarizeProfileFile(path: string, top = 20): Promise<ProfileSummary> {
  return summarizeProfile(JSON.parse(await readFile(path, 'utf8')) as CpuProfile, top);
}

function hottest(totals: Map<string, number>, totalUs: number, top: number): HotSpot[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: totalUs > 0 ? us / totalUs : 0 }));
}

// Keep the part of a path that names the package or the project file; internals stay as is.
function shortFile(url: string): string {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const project = url.indexOf('/dist/src/');
  if (project >= 0) return url.slice(url.lastIndexOf('/', project - 1) + 1);
  return url.replace(/^file:\/\//, '');
}

/** The summary as text lines for a terminal. */
export function formatProfile(summary: ProfileSummary): string {
  const line = (h: HotSpot) =>
    `  ${(h.share * 100).toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(7)} ms  ${h.name}`;
  return [
    `CPU profile of the gate: ${summary.totalMs.toFixed(0)} ms busy, ` +
      `${summary.idleMs.toFixed(0)} ms idle; shares are of the busy time`,
    'by file (self time):',
    ...summary.files.map(line),
    'by function (self time):',
    ...summary.functions.map(line),
  ].join('\n');
}
