// Child process for the cache race test: resolves one datastore and prints what it got as JSON.
import { resolveDatastore } from '../../src/datastore/index.js';

const [source, cacheDir] = process.argv.slice(2);
const lines: string[] = [];
const log = {
  info: (m: string) => lines.push(m),
  notice: (m: string) => lines.push(m),
  warning: (m: string) => lines.push(m),
};
resolveDatastore({ source, cacheDir, log, retry: { minSeconds: 0, maxSeconds: 0 } }).then(
  (r) => process.stdout.write(JSON.stringify({ root: r.root, lines })),
  (e: Error) => {
    process.stdout.write(JSON.stringify({ error: e.message, lines }));
    process.exitCode = 1;
  },
);
