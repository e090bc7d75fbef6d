#!/usr/bin/env node
// Runs the compiled CLI; `npm install` builds it (the `prepare` script).
require('../dist/src/cli/index.js').main(process.argv).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
