/**
 * What `scriptorium doctor` reports: findings grouped in sections. The checks build them and print
 * nothing; cli/doctor.ts renders them.
 */

/** `fail` blocks work (exit 1); `warn` is worth a look; `info` is a detail line under the one before. */
export type Level = 'ok' | 'info' | 'warn' | 'fail' | 'skip';

export interface Finding {
  level: Level;
  message: string;
  /** Vault path of the note (or the file) the finding is about. */
  file?: string;
  field?: string;
}

export type SectionId = 'node' | 'config' | 'claude' | 'auth' | 'vault' | 'daemon';

export interface Section {
  id: SectionId;
  title: string;
  /** Said once under the title: what the check does when it is not free. */
  note?: string;
  findings: Finding[];
}

export interface DoctorReport {
  vault: string;
  configFile: string;
  /** Nothing blocks work: the exit code is 0. */
  ok: boolean;
  blocking: number;
  warnings: number;
  sections: Section[];
}

export function skipped(id: SectionId, title: string, message: string): Section {
  return { id, title, findings: [{ level: 'skip', message }] };
}
