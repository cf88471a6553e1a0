import type { Section } from './findings.ts';

export const MIN_NODE = '22.18';

export function checkNode(version: string): Section {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const [needMajor = 0, needMinor = 0] = MIN_NODE.split('.').map(Number);
  const recent = major > needMajor || (major === needMajor && minor >= needMinor);
  return {
    id: 'node',
    title: 'Node',
    findings: [
      recent
        ? { level: 'ok', message: `node ${version}` }
        : { level: 'warn', message: `node ${version}: Scriptorium needs ${MIN_NODE} or later (it runs its TypeScript directly); install a newer Node` },
    ],
  };
}
