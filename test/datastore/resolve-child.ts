// Child process for the cache race test: resolves one datastore and prints what it got as JSON.
import { resolveDatastore } from '../../src/datastore/index.js';

const [source, cacheDir] = process.argv.slice(2);
const lines: string[] = [];
// Each line also goes to stderr as it happens, so the test can act on it (e.g. on "Waiting for").
const say = (m: string) => {
  lines.push(m);
  process.stderr.write(`${m}\n`);
};
const log = { info: say, notice: say, warning: say };
resolveDatastore({ source, cacheDir, log, retry: { minSeconds: 0, maxSeconds: 0 } }).then(
  (r) => process.stdout.write(JSON.stringify({ root: r.root, lines })),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: e.message, lines }));
    process.exitCode = 1;
  },
);
