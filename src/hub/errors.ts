// What a push to the Hugging Face Hub can fail with, each saying what happened and the fix.
// `flag` names the flag or input the fix is about (the action titles its annotation with it).

export class HubPushError extends Error {
  override name = 'HubPushError';
  constructor(
    message: string,
    readonly flag?: string,
  ) {
    super(message);
  }
}

/** No byte moved for `timeout` seconds: the server or the network stalled. */
export class HubTimeoutError extends HubPushError {
  override name = 'HubTimeoutError';
}
