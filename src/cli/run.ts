import { main } from './main.ts';

// The process entry: exit codes are decided here and nowhere else.
process.exitCode = await main(process.argv.slice(2));
