import { readFile } from 'node:fs/promises';

/** One verb on one resource of one API group ('' is the core group), as `group/resource:verb`. */
export type Permission = string;

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs?: string[];
}

/** Every permission a list of RBAC rules grants, expanded and sorted. */
export function grantedPermissions(rules: PolicyRule[]): Permission[] {
  const granted = new Set<Permission>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) {
        for (const verb of rule.verbs ?? []) granted.add(`${group}/${resource}:${verb}`);
      }
    }
  }
  return [...granted].sort();
}

interface AuditEvent {
  verb?: string;
  user?: { username?: string };
  objectRef?: { apiGroup?: string; resource?: string; subresource?: string };
  responseStatus?: { code?: number };
}

/** What one user asked the API server for, from its audit log: allowed and refused. */
export interface PermissionUse {
  used: Permission[];
  refused: Permission[];
}

/**
 * Reads an audit log (JSON lines) and collects the permissions username exercised on
 * resources; requests to non-resource URLs (/version, /apis discovery) are left out, since
 * every authenticated user may make them.
 */
export async function permissionsUsed(auditLog: string, username: string): Promise<PermissionUse> {
  const used = new Set<Permission>();
  const refused = new Set<Permission>();
  for (const line of (await readFile(auditLog, 'utf8')).split('\n')) {
    if (line === '') continue;
    const event = JSON.parse(line) as AuditEvent;
    if (event.user?.username !== username || !event.objectRef?.resource || !event.verb) continue;

    const { apiGroup, resource, subresource } = event.objectRef;
    const name = subresource ? `${resource}/${subresource}` : resource;
    const permission = `${apiGroup ?? ''}/${name}:${event.verb}`;
    if (event.responseStatus?.code === 403) refused.add(permission);
    else used.add(permission);
  }
  return { used: [...used].sort(), refused: [...refused].sort() };
}
