import { main } from './main.ts';

// `scriptorium status | head`: the reader went away; that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

// The process entry: exit codes are decided here and nowhere else.
process.exitCode = await main(process.argv.slice(2));
