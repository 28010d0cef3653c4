// mode predict / evaluate: `model: artifact:NAME[/PATH]` is a checkpoint inside an artifact of this
// workflow run (e.g. uploaded by the train job before): downloaded, then PATH inside it, else its
// checkpoints/final, else its root when that is a model directory.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, normalize, sep } from 'node:path';
import { DefaultArtifactClient, type ArtifactClient } from '@actions/artifact';

export class ModelArtifactError extends Error {
  override name = 'ModelArtifactError';
  readonly flag = 'model';
}

const PREFIX = 'artifact:';

export function isArtifactRef(model: string): boolean {
  return model.startsWith(PREFIX);
}

/** Downloads the artifact `model` names into `tempDir` and returns the checkpoint directory in it. */
export async function modelFromArtifact(
  model: string,
  tempDir: string,
  client: ArtifactClient = new DefaultArtifactClient(),
): Promise<string> {
  const ref = model.slice(PREFIX.length);
  const slash = ref.indexOf('/');
  const name = slash < 0 ? ref : ref.slice(0, slash);
  const inside = slash < 0 ? '' : normalize(ref.slice(slash + 1));
  if (!name || inside.startsWith('..') || inside.startsWith(sep))
    throw new ModelArtifactError(`model: '${model}' is not artifact:NAME or artifact:NAME/PATH inside the artifact`);
  const { artifacts } = await client.listArtifacts({ latest: true });
  const found = artifacts.find((a) => a.name === name);
  if (!found)
    throw new ModelArtifactError(
      `model: this workflow run has no artifact '${name}' (it has: ${artifacts.map((a) => a.name).join(', ') || 'none'}); upload it in an earlier job (needs:) or pass a checkpoint path`,
    );
  const dest = join(tempDir, `textclf-model-${found.id}`);
  await client.downloadArtifact(found.id, { path: dest });
  const candidates = inside ? [join(dest, inside)] : [join(dest, 'checkpoints', 'final'), dest];
  const dir = candidates.find((d) => existsSync(join(d, 'config.json')));
  if (!dir) {
    const has = existsSync(join(dest, 'checkpoints'))
      ? readdirSync(join(dest, 'checkpoints')).filter((d) => statSync(join(dest, 'checkpoints', d)).isDirectory())
      : [];
    throw new ModelArtifactError(
      `model: artifact '${name}' has no model directory at ${inside || 'checkpoints/final'}${has.length ? `; it has checkpoints/${has.join(', checkpoints/')} (use artifact:${name}/checkpoints/<dir>)` : ''}`,
    );
  }
  return dir;
}
