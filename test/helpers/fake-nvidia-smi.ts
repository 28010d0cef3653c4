// An `nvidia-smi` for machines without an NVIDIA driver: a shell script that answers exactly the
// query textclf makes (`--query-gpu=name,compute_cap,driver_version,memory.total
// --format=csv,noheader`) with the given CSV lines, as the real binary prints them, and exits 9
// on anything else. Put the returned folder first on PATH.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function fakeNvidiaSmi(dir: string, lines: string[]): string {
  mkdirSync(dir, { recursive: true });
  const quoted = lines.map((l) => `'${l.replace(/'/g, `'\\''`)}'`).join(' ');
  writeFileSync(
    join(dir, 'nvidia-smi'),
    '#!/bin/sh\n' +
      '[ "$1" = "--query-gpu=name,compute_cap,driver_version,memory.total" ] && [ "$2" = "--format=csv,noheader" ] || exit 9\n' +
      `printf '%s\\n' ${quoted}\n`,
  );
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
  return dir;
}
