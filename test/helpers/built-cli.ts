// The CLI as a user runs it (bin/scriptorium.js → dist/), built once per `vitest run` (a globalSetup) and
// handed to the tests that spawn it as `inject('cliBin')`.
//
// The build is cached by the content of what goes into it, in node_modules/.cache/scriptorium-test-cli/<hash>/,
// laid out like the installed package (bin/, dist/, package.json, links to node_modules/ and templates/), so
// the CLI finds its templates and its package.json where it would. It is built in a folder of its own and
// renamed into place: two runs at once (two clones sharing nothing, or two vitest processes in one clone)
// never see a half-built CLI, and the repository's own dist/ is never touched.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, stat, symlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** bin/scriptorium.js of the built CLI. */
    cliBin: string;
  }
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = path.join(REPO, 'node_modules', '.cache', 'scriptorium-test-cli');
/** Builds not used for this long are removed (a run lasts minutes; an edit of src/ makes a new build). */
const STALE_MS = 24 * 3_600_000;

export default async function setup(project: TestProject): Promise<void> {
  project.provide('cliBin', await builtCli());
  // Watch mode: src/ may have changed between runs.
  project.onTestsRerun(async () => project.provide('cliBin', await builtCli()));
}

/** bin/scriptorium.js of a CLI built from the repository's sources as they are now. */
export async function builtCli(): Promise<string> {
  const inputs = await buildInputs();
  const dir = path.join(CACHE, await hashOf(inputs));
  if (!existsSync(dir)) await build(dir, inputs);
  const now = new Date();
  await utimes(dir, now, now);
  await prune(dir);
  return path.join(dir, 'bin', 'scriptorium.js');
}

/** Every file the build reads, relative to the repository: src/**\/*.ts, tsconfig*.json, package.json, bin/. */
async function buildInputs(): Promise<string[]> {
  const files = async (dir: string, keep: (name: string) => boolean): Promise<string[]> =>
    (await readdir(path.join(REPO, dir), { recursive: true, withFileTypes: true }))
      .filter((entry) => entry.isFile() && keep(entry.name))
      .map((entry) => path.relative(REPO, path.join(entry.parentPath, entry.name)));
  const top = (await readdir(REPO)).filter((name) => /^tsconfig.*\.json$/.test(name) || name === 'package.json');
  return [...(await files('src', (name) => name.endsWith('.ts'))), ...(await files('bin', () => true)), ...top].sort();
}

async function hashOf(inputs: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of inputs) hash.update(`${file}\0`).update(await readFile(path.join(REPO, file))).update('\0');
  return hash.digest('hex').slice(0, 16);
}

async function build(dir: string, inputs: string[]): Promise<void> {
  await mkdir(CACHE, { recursive: true });
  const work = await mkdtemp(path.join(CACHE, '.building-'));
  try {
    for (const file of inputs.filter((f) => f.startsWith(`bin${path.sep}`) || f === 'package.json')) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await copyFile(path.join(REPO, file), path.join(work, file));
    }
    await symlink(path.join(REPO, 'node_modules'), path.join(work, 'node_modules'), 'dir');
    await symlink(path.join(REPO, 'templates'), path.join(work, 'templates'), 'dir');
    const tsc = path.join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
    await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(work, 'dist')], { cwd: REPO }).catch(
      (error: Error & { stdout?: string }) => {
        throw new Error(`building the CLI for the tests failed:\n${error.stdout || error.message}`);
      },
    );
    try {
      await rename(work, dir);
    } catch (error) {
      // Another run built the same sources first: its build is as good as this one.
      if (!existsSync(dir)) throw error;
    }
  } finally {
    await rm(work, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Builds (and abandoned build folders) not used for a day; never the one in use. */
async function prune(current: string): Promise<void> {
  for (const name of await readdir(CACHE)) {
    const dir = path.join(CACHE, name);
    if (dir === current) continue;
    const used = await stat(dir).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - used > STALE_MS) await rm(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}
