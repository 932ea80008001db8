#!/usr/bin/env node
/** The `mongo-session` executable (package.json `bin`); the commands live in main.ts. */
import { describeFailure, main } from './main';

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`mongo-session: ${describeFailure(error)}\n`);
    process.exitCode = 1;
  },
);
