// Who may start training from a comment: write, maintain or admin on the repository, asked from
// REST (GET /repos/{owner}/{repo}/collaborators/{username}/permission), never from the payload's
// author_association (which says nothing about push rights for org members).
import type { Octokit, RepoRef } from '../events.js';

export type Permission = 'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none';

const TRIGGER: readonly Permission[] = ['admin', 'maintain', 'write'];

export async function getPermission(octokit: Octokit, repo: RepoRef, username: string): Promise<Permission> {
  try {
    const { data } = await octokit.rest.repos.getCollaboratorPermissionLevel({ ...repo, username });
    // role_name distinguishes maintain/triage; `permission` folds them into write/read.
    const role = (data.role_name ?? data.permission) as string;
    if ((TRIGGER as string[]).includes(role) || role === 'triage' || role === 'read') return role as Permission;
    return (['admin', 'write', 'read'] as string[]).includes(data.permission)
      ? (data.permission as Permission)
      : 'none';
  } catch (e) {
    if ((e as { status?: number }).status === 404) return 'none';
    throw e;
  }
}

export function mayTrigger(p: Permission): boolean {
  return TRIGGER.includes(p);
}
