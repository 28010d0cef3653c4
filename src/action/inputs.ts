// Action inputs -> the raw flag map parseFlags validates. Every action flag is read with
// core.getInput (INPUT_<NAME> as the runner sets it); unset inputs are '' and mean "default".
import * as core from '@actions/core';
import { flagsFor } from '../config/schema.js';

export function readRawInputs(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const s of flagsFor('action', 'any')) raw[s.name] = core.getInput(s.name);
  return raw;
}

/** Masks the token before anything can print it (the runner masks only secrets it knows). */
export function maskToken(): string {
  const token = core.getInput('github_token');
  if (token) core.setSecret(token);
  return token;
}
