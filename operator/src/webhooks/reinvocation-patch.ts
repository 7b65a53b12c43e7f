import { addAppEnv, appEnvVars, envTargets, missingAppEnv } from './app-env.js';
import { clientTlsSecretFor } from './client-tls-secret.js';
import { INJECTED_ANNOTATION } from './injection-names.js';
import { escapePointerToken, type JsonPatchOp } from './json-patch.js';
import type { InjectionRecord, PodPatchInput, PodPatchResult } from './pod-patch.js';

/**
 * The second pass over a pod the operator already injected: the API server calls the webhook
 * again (reinvocationPolicy IfNeeded) when a later webhook changed the pod, which may have
 * added a container. Such a container gets the app env; the gate and volumes stay as they
 * are, and the annotation's env record is updated. A pod whose every container has the env
 * gets an empty patch, so re-admission changes nothing.
 *
 * The caller has checked that the pod's gate is exactly the one the operator injects.
 */
export function reinvocationPatch(input: PodPatchInput): PodPatchResult {
  const { pod, config } = input;
  const targets = envTargets(pod.spec!, config.nativeSidecars);
  if (targets.every(({ container }) => missingAppEnv(container).length === 0)) {
    return { patch: [], skipped: 'already injected' };
  }

  const record = parseInjectionRecord(pod.metadata?.annotations?.[INJECTED_ANNOTATION] ?? '');
  if (record === undefined) {
    return { refuse: `its ${INJECTED_ANNOTATION} annotation is not one the operator wrote` };
  }
  // The values the first pass gave: the DataSource on the lowest port it assigned.
  const [primaryName, port] = Object.entries(record.ports).sort(([, a], [, b]) => a - b)[0] ?? [];
  const primary = input.dataSources.find((ds) => ds.metadata.name === primaryName);
  if (primary === undefined || port === undefined) {
    return {
      refuse:
        `a container added after the injection needs the env of DataSource ` +
        `${primaryName ?? '(none recorded)'}, which does not exist`,
    };
  }

  const patch: JsonPatchOp[] = [];
  // The annotation was checked by the first pass, which mounted what it names.
  const tls = clientTlsSecretFor(pod.metadata?.annotations);
  const secure = 'secret' in tls && tls.secret !== undefined;
  const added = addAppEnv(patch, targets, appEnvVars(primary.spec.database, port, secure));
  const updated: InjectionRecord = { ...record, env: { ...record.env, ...added } };
  patch.push({
    op: 'replace',
    path: `/metadata/annotations/${escapePointerToken(INJECTED_ANNOTATION)}`,
    value: JSON.stringify(updated),
  });
  return { patch, record: updated };
}

/** The injection record in an annotation, or undefined when it is not one the operator wrote. */
export function parseInjectionRecord(text: string): InjectionRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;

  const record = value as Partial<InjectionRecord>;
  const isRecordOf = (o: unknown, check: (v: unknown) => boolean) =>
    typeof o === 'object' && o !== null && !Array.isArray(o) && Object.values(o).every(check);
  const validPort = (v: unknown) => Number.isInteger(v) && (v as number) > 0;
  const names = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'string');
  if (record.version !== 1) return undefined;
  if (!isRecordOf(record.ports, validPort) || !isRecordOf(record.env, names)) return undefined;
  return record as InjectionRecord;
}
