import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLogFile, LOG_FILE } from '../../../src/util/log-file.ts';
import { createLogger, formatHuman } from '../../../src/util/logger.ts';
import { createRedactor } from '../../../src/util/redact.ts';

let dir = '';
let file = '';

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'scriptorium-log-file-'));
  file = path.join(dir, ...LOG_FILE.split('/'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

const read = (f: string) => readFileSync(f, 'utf8');
const lines = (f: string) => read(f).split('\n').filter(Boolean);
/** `line 07 ....` padded to 30 bytes with its newline, so sizes are easy to reason about. */
const line = (n: number) => `line ${String(n).padStart(2, '0')} `.padEnd(29, '.');

describe('createLogFile', () => {
  it('creates the logs folder on the first write and appends one line per write', () => {
    const log = createLogFile(file);
    expect(existsSync(path.dirname(file))).toBe(false);
    log.write('{"msg":"one"}');
    log.write('{"msg":"two"}\n');
    expect(read(file)).toBe('{"msg":"one"}\n{"msg":"two"}\n');
  });

  it('rotates before a line would pass maxBytes, keeping N old files and the newest lines', () => {
    // 3 lines of 30 bytes fit in 100: each file holds 3 lines, and the 4th starts a new one.
    const log = createLogFile(file, { maxBytes: 100, keep: 2 });
    for (let n = 1; n <= 20; n++) log.write(line(n));

    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    for (const f of [file, `${file}.1`, `${file}.2`]) expect(statSync(f).size).toBeLessThanOrEqual(100);
    // 20 lines, 3 a file: lines 19-20 in the current file, 16-18 in .1, 13-15 in .2; 1-12 are gone.
    expect(lines(file)).toEqual([line(19), line(20)]);
    expect(lines(`${file}.1`)).toEqual([line(16), line(17), line(18)]);
    expect(lines(`${file}.2`)).toEqual([line(13), line(14), line(15)]);
  });

  it('goes on from the size of a file a previous run left', () => {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, line(1) + '\n' + line(2) + '\n');
    const log = createLogFile(file, { maxBytes: 100, keep: 3 });
    log.write(line(3));
    expect(lines(file)).toEqual([line(1), line(2), line(3)]);
    log.write(line(4));
    expect(lines(`${file}.1`)).toEqual([line(1), line(2), line(3)]);
    expect(lines(file)).toEqual([line(4)]);
  });

  it('writes a line longer than maxBytes on its own, in a fresh file', () => {
    const log = createLogFile(file, { maxBytes: 50, keep: 1 });
    log.write('short');
    log.write('x'.repeat(80));
    log.write('after');
    expect(lines(`${file}.1`)).toEqual(['x'.repeat(80)]);
    expect(lines(file)).toEqual(['after']);
  });

  it('never throws when it cannot write (a file where the logs folder should be), and says so once', () => {
    mkdirSync(path.join(dir, '.scriptorium'), { recursive: true });
    writeFileSync(path.join(dir, '.scriptorium', 'logs'), 'not a folder');
    const reported: Error[] = [];
    const log = createLogFile(file, { onError: (error) => reported.push(error) });
    expect(() => {
      log.write('{"msg":"one"}');
      log.write('{"msg":"two"}');
    }).not.toThrow();
    expect(reported).toHaveLength(1);
    expect(reported[0]!.message).toMatch(/EEXIST|ENOTDIR/);
  });

  it('reports the failure on stderr by default, naming the file', () => {
    writeFileSync(path.join(dir, '.scriptorium'), 'not a folder');
    const writes: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (writes.push(String(chunk)), true));
    const log = createLogFile(file);
    log.write('a');
    log.write('b');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toContain(`cannot write the log file ${file}`);
  });

  it('with `within`, never makes that folder again once it is removed (a vault deleted under the daemon)', () => {
    const vault = path.join(dir, 'vault');
    const inVault = path.join(vault, ...LOG_FILE.split('/'));
    mkdirSync(vault);
    const reported: Error[] = [];
    const log = createLogFile(inVault, { within: vault, onError: (error) => reported.push(error) });
    log.write('first');
    expect(lines(inVault)).toEqual(['first']);
    rmSync(vault, { recursive: true });
    log.write('second');
    log.write('third');
    expect(existsSync(vault)).toBe(false);
    expect(reported.map((e) => (e as NodeJS.ErrnoException).code)).toEqual(['ENOENT']);
  });

  it('drops writes after close, and closes twice without complaint', () => {
    const log = createLogFile(file);
    log.write('kept');
    log.close();
    log.close();
    log.write('dropped');
    expect(lines(file)).toEqual(['kept']);
  });

  it('gets the logger lines redacted, since redaction happens before write', () => {
    const log = createLogFile(file);
    const logger = createLogger({ format: 'json', write: log.write, redact: createRedactor({ MY_API_KEY: 'hunter2hunter2' }) });
    logger.warn('key hunter2hunter2 leaked', { agent: 'researcher', header: 'x-key: hunter2hunter2' });
    const record = JSON.parse(lines(file)[0]!);
    expect(record).toMatchObject({ level: 'warn', msg: 'key [redacted MY_API_KEY] leaked', agent: 'researcher', header: 'x-key: [redacted MY_API_KEY]' });
    expect(read(file)).not.toContain('hunter2');
  });
});

describe('formatHuman', () => {
  it('shows a JSON record exactly as the human logger shows it', () => {
    const now = () => new Date('2026-11-21T09:36:05.123Z');
    const human: string[] = [];
    const json: string[] = [];
    const fields = { agent: 'researcher', note: 'Inbox/a b.md', attempt: 2, nested: { ok: true }, missing: undefined, error: new Error('boom') };
    createLogger({ format: 'human', now, write: (l) => human.push(l) }).warn('turn failed', fields);
    createLogger({ format: 'json', now, write: (l) => json.push(l) }).warn('turn failed', fields);
    expect(formatHuman(JSON.parse(json[0]!))).toBe(human[0]);
    expect(human[0]).toBe('09:36:05 WARN  turn failed  agent=researcher note="Inbox/a b.md" attempt=2 nested={"ok":true} error={"name":"Error","message":"boom"}');
  });

  it('adds the local date when asked, for a file that spans days', () => {
    expect(formatHuman({ time: '2026-11-21T09:36:05.000Z', level: 'info', msg: 'watching vault' }, { withDate: true })).toBe(
      '2026-11-21 09:36:05 INFO  watching vault',
    );
  });
});
