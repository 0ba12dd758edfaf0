#!/usr/bin/env node
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const cli = join(__dirname, '..', 'out', 'main', 'cli.js');
if (!existsSync(cli)) {
  process.stderr.write('whittle: the app is not built yet. Run `npm run build` (npm install does it for you).\n');
  process.exit(1);
}
require(cli);
