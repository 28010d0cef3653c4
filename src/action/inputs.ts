// Action inputs -> the raw flag map parseFlags validates. Every action flag is read with
// core.getInput (INPUT_<NAME> as the runner sets it); unset inputs are '' and mean "default".
import * as core from '@actions/core';
import { flagsFor } from '../config/schema.js';

export function readRawInputs(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const s of flagsFor('action', 'any')) raw[s.name] = core.getInput(s.name);
  return raw;
}

/**
 * Masks the tokens before anything can print them (the runner masks only secrets it knows): the
 * GitHub token (returned), the Hugging Face hub_token, and an HF_TOKEN set in the environment.
 */
export function maskToken(): string {
  const token = core.getInput('github_token');
  for (const secret of [token, core.getInput('hub_token'), process.env.HF_TOKEN, process.env.HF_ACCESS_TOKEN])
    if (secret) core.setSecret(secret);
  return token;
}
