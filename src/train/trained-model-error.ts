// A trained model that cannot score: no id2label, missing weights, an export it lacks.
export class TrainedModelError extends Error {
  override name = 'TrainedModelError';
}
