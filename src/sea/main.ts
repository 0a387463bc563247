// The single executable's entry (bundled by src/sea/build.mjs): what bin/nova-doctor.js does, in the same
// order, for a program that is one script. The launcher's steps are kept as they are there; only the imports
// are static, because an executable's main script is CommonJS (no top-level await) and is all in one file.
import { launch } from '../cli/launch.js';
import { ExitCode } from '../errors.js';

// The demo's cloud and log are the source tree's fixtures, which the executable does not carry.
if (process.argv[2] === 'demo') {
  process.stderr.write('nova-doctor: the demo needs the source tree: run `node bin/nova-doctor.js demo` there\n');
  process.exit(ExitCode.usage);
}

// An executable's argv[1] is argv[0] again (where node's is the script): once is what was typed. React's
// production build is the bundle's only one (NODE_ENV is "production" at build time, as the launcher sets it).
void launch(process.argv.slice(2), [process.argv0, ...process.argv.slice(2)]);
