#!/usr/bin/env node
// The `tripwire` command: runs the compiled CLI (npm ci builds it; `npm run build` after changes).
require('../dist/cli/main.js');
