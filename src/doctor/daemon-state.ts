import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { HALT_NOTE, haltReason } from '../state/halt-note.ts';
import { LOCK_FILE, lockHolder } from '../state/lock.ts';
import { readStatus } from '../state/status-file.ts';
import type { Finding, Section } from './findings.ts';

/** The lock, the running daemon's status file, and the halt note. */

export async function checkDaemon(root: string): Promise<Section> {
  const findings: Finding[] = [];
  const section: Section = { id: 'daemon', title: 'Daemon', findings };
  const recorded = await readFile(path.join(root, LOCK_FILE), 'utf8').then((text) => text.trim(), () => null);
  const holder = await lockHolder(root);
  if (holder !== null) {
    findings.push({ level: 'ok', message: `daemon running (pid ${holder})` });
    const status = await readStatus(root);
    if (status === null || status.pid !== holder) {
      findings.push({ level: 'info', message: 'no status from it yet (.scriptorium/status.json)' });
    } else {
      findings.push({ level: 'info', message: `since ${status.startedAt}, last update ${status.updatedAt}` });
      const working = status.agents.filter((a) => a.state === 'working').map((a) => a.name);
      const queued = status.agents.filter((a) => a.queued > 0).map((a) => `${a.name} (${a.queued})`);
      findings.push({ level: 'info', message: `working: ${working.join(', ') || 'none'}; queued: ${queued.join(', ') || 'none'}` });
      for (const agent of status.agents.filter((a) => a.hold)) findings.push({ level: 'info', message: `${agent.name} waits: ${agent.hold}` });
    }
  } else if (recorded === null) {
    findings.push({ level: 'ok', message: 'not running' });
  } else if (/^\d+$/.test(recorded)) {
    findings.push({ level: 'warn', file: LOCK_FILE, message: `stale lock from pid ${recorded} (a crash); "scriptorium start" will take it over` });
  } else {
    findings.push({ level: 'warn', file: LOCK_FILE, message: 'the lock file holds no pid; "scriptorium start" will take it over' });
  }
  const halt = await readFile(path.join(root, HALT_NOTE), 'utf8').then((raw) => raw, () => null);
  if (halt !== null || existsSync(path.join(root, HALT_NOTE))) {
    findings.push({ level: 'warn', file: HALT_NOTE, message: `halted: ${haltReason(halt ?? '').replace(/\.+$/, '')}. Nothing new runs until "scriptorium resume"` });
  }
  return section;
}
