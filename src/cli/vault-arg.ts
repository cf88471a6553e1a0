import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './output.ts';

/** The vault a command works on: the argument, else $SCRIPTORIUM_VAULT, else the current folder. */
export function resolveVault(arg: string | undefined): string {
  const chosen = arg ?? process.env.SCRIPTORIUM_VAULT ?? process.cwd();
  const vault = path.resolve(chosen);
  if (!existsSync(vault) || !statSync(vault).isDirectory()) {
    throw new UsageError(`${vault} is not a folder. Create a vault with "scriptorium init ${chosen}" first.`);
  }
  return vault;
}
