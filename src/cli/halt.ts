import { rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { HALT_NOTE } from '../state/halt-note.ts';
import { isoLocal } from '../util/clock.ts';
import { NoteStore } from '../vault/note-store.ts';
import { out } from './output.ts';
import { resolveVault } from './vault-arg.ts';

export const HALT_HELP = `scriptorium halt ["reason"] [--vault DIR]

Stop every new turn and every scheduled fire at once by writing HALT.md at the vault root.
Running turns finish. "scriptorium resume" (or deleting HALT.md) goes on with what waited.`;

export const RESUME_HELP = `scriptorium resume [--vault DIR]

Remove HALT.md: messages that waited run, and missed schedules catch up (once, where catch_up allows).`;

export async function haltCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { vault: { type: 'string' } } });
  const vault = resolveVault(values.vault);
  const reason = positionals.join(' ').trim() || 'Halted from the command line.';
  const store = new NoteStore(vault);
  await store.write(
    HALT_NOTE,
    `# Halted\n\n${reason}\n\nHalted at ${isoLocal(new Date())}. While this note exists Scriptorium starts no turn and fires no schedule.\nDelete it (or run \`scriptorium resume\`) to go on.\n`,
  );
  out(`Halted: ${vault}/${HALT_NOTE} written. Running turns finish; nothing new starts.`);
  return 0;
}

export async function resumeCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { vault: { type: 'string' } } });
  const vault = resolveVault(values.vault);
  const store = new NoteStore(vault);
  if (!store.exists(HALT_NOTE)) {
    out('Not halted: there is no HALT.md.');
    return 0;
  }
  await rm(store.absolute(HALT_NOTE), { force: true });
  out('Resumed: HALT.md removed; what waited runs now.');
  return 0;
}
