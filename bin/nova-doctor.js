#!/usr/bin/env node
// Launcher only: everything else, the masking of passwords in argv first, is in src/cli/launch.ts.
const { launch } = await import('../dist/cli/launch.js');
await launch(process.argv.slice(2));
