import { GitHubFake } from '../helpers/github-fake.js';

// @actions/github (inside @actions/artifact too) reads GITHUB_API_URL once, when first imported:
// set it before any dynamic import of code that loads it, and restore it afterwards, because other
// test files may run later in the same worker process. GITHUB_SERVER_URL must be unset (or
// github.com): @actions/artifact refuses other hosts as GHES.
export function pointGitHubApiAt(url: string): () => void {
  const saved = { GITHUB_API_URL: process.env.GITHUB_API_URL, GITHUB_SERVER_URL: process.env.GITHUB_SERVER_URL };
  process.env.GITHUB_API_URL = url;
  delete process.env.GITHUB_SERVER_URL;
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * The per-file setup of the tests that talk to the GitHub fake: starts the OpenAPI-validated fake,
 * points @actions/github at it, then runs `setup` (import code that loads @actions/github there,
 * never statically). Every test must leave no OpenAPI violation; the fake is closed and the env
 * restored after the file.
 */
export function useGitHubFake(setup: (fake: GitHubFake) => Promise<void>): void {
  let fake: GitHubFake | undefined;
  let restore: (() => void) | undefined;
  beforeAll(async () => {
    fake = await GitHubFake.start();
    restore = pointGitHubApiAt(fake.url);
    await setup(fake);
  });
  afterAll(async () => {
    restore?.();
    await fake?.close();
  });
  afterEach(() => {
    expect(fake?.violations).toEqual([]);
  });
}
