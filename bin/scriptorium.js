#!/usr/bin/env node
// Scriptorium needs Node 22 or newer. This launcher is plain JavaScript that any Node can run, so an
// older Node gets a clear message instead of a stack trace from a dependency.
const [major] = process.versions.node.split('.').map(Number);
if (major < 22) {
  process.stderr.write(
    `scriptorium needs Node.js 22 or newer; this is ${process.version}.\n` +
      'Install Node 22+ (https://nodejs.org), or inside the Scriptorium repository use "npm start",\n' +
      'which runs on the Node 22 that "npm install" brings.\n',
  );
  process.exit(1);
}
await import('../dist/cli/run.js');
