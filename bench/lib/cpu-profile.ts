import { readdirSync, readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of a V8 `.cpuprofile` (from `node --cpu-prof`) that a summary needs. */
export interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }>;
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  /** Self time in ms and as a share of the busy (non-idle) time. */
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** Wall time the profile covers, and the part of it the thread was not idle. */
  wallMs: number;
  busyMs: number;
  /** Self time by where the code lives: a src/ file, a package, node's internals, GC. */
  byArea: ProfileLine[];
  /** Self time by function. */
  byFunction: ProfileLine[];
  /** Time inside each src/ function, callees included, for the few that matter. */
  inclusive: ProfileLine[];
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function area(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(gc)';
  if (functionName === '(idle)' || functionName === '(program)' || functionName === '(root)') return functionName;
  if (!url) return '(native)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (pkg) return pkg[1]!;
  if (file.startsWith('node:')) return 'node internals';
  if (file.startsWith(REPO)) return path.relative(REPO, file);
  return file;
}

/** The newest `.cpuprofile` in `dir` (written by `node --cpu-prof --cpu-prof-dir=dir`). */
export function readProfile(dir: string): CpuProfile {
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().pop();
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  return JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile;
}

/** Profiles this process while `work` runs (the inspector's sampling profiler, 1 ms interval). */
export async function profileWhile<T>(work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 1000 });
    await session.post('Profiler.start');
    const result = await work();
    const { profile } = await session.post('Profiler.stop');
    return { result, profile: profile as unknown as CpuProfile };
  } finally {
    session.disconnect();
  }
}

/** Sums a profile's self time by area and by function, and inclusive time in src/ functions. */
export function summarizeProfile(profile: CpuProfile, top = 12): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = area(url, functionName);
    if (where === '(idle)') {
      idleUs += us;
      continue;
    }
    areas.set(where, (areas.get(where) ?? 0) + us);
    const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) ?? 0) + us);
    // Each src/ function on the stack gets the sample once, however deep it recurses.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      const owner = area(frame.url, frame.functionName);
      if (!owner.startsWith('src/')) continue;
      const key = `${frame.functionName || '(anonymous)'} ${owner}`;
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const wallUs = profile.endTime - profile.startTime;
  const busyUs = wallUs - idleUs;
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, share: Math.round((us / busyUs) * 1000) / 10 }));
  return { wallMs: Math.round(wallUs / 1000), busyMs: Math.round(busyUs / 1000), byArea: lines(areas), byFunction: lines(functions), inclusive: lines(inclusive) };
}
