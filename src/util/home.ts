import os from 'node:os';
import path from 'node:path';

/** `~/code` → `/home/me/code`: people write folders that way in YAML, where no shell expands them. */
export function expandHome(dir: string, home: string = os.homedir()): string {
  return /^~(\/|$)/.test(dir) ? path.join(home, dir.slice(1)) : dir;
}
