import { stringify } from 'yaml';
import { API_GROUP, API_VERSION, GROUP_VERSION } from './common.js';
import { CATEGORY, KINDS, type KindDefinition } from './crd-definitions.js';
import { structuralSchema, type SchemaNode } from './structural-schema.js';

/** The header of every generated file; the drift test keeps the files equal to the generator. */
export const GENERATED_HEADER =
  '# Generated from the zod schemas in crds/src by `make generate`. Do not edit.\n';

/** The CustomResourceDefinition of one kind, as an object ready to serialize. */
export function customResourceDefinition(def: KindDefinition): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/part-of': 'portcullis' },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: [CATEGORY],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: objectSchema(def) },
        },
      ],
    },
  };
}

/** File name (`portcullis.dev_datasources.yaml`) to content, for every kind. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const def of KINDS) {
    const text = stringify(customResourceDefinition(def), {
      lineWidth: 0,
      aliasDuplicateObjects: false,
    });
    files.set(`${API_GROUP}_${def.plural}.yaml`, GENERATED_HEADER + text);
  }
  return files;
}

// The API server owns metadata (a schema there may only say `type: object`), and apiVersion
// and kind are checked before the schema is; spec and status come from zod.
function objectSchema(def: KindDefinition): SchemaNode {
  return {
    description: def.description,
    type: 'object',
    properties: {
      apiVersion: {
        description: `Versioned schema of this object: ${GROUP_VERSION}.`,
        type: 'string',
      },
      kind: { description: `Kind of this object: ${def.kind}.`, type: 'string' },
      metadata: { type: 'object' },
      spec: structuralSchema(def.spec),
      status: structuralSchema(def.status),
    },
    required: ['spec'],
  };
}
