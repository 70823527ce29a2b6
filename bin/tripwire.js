#!/usr/bin/env node
// The `tripwire` command: runs the compiled CLI (`npm start` and `npm run build` compile it into dist/).
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('tripwire: the CLI is not built yet: run "npm run build" (npm start does it too)\n');
  process.exit(1);
}
require(main).runFromCommandLine();
