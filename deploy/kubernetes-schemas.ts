/**
 * Kubernetes manifests against the Kubernetes API schemas, offline: kubernetes-models (and
 * @kubernetes-models/prometheus-operator for the ServiceMonitor CRD) bundle validators generated
 * from the OpenAPI schemas (types, formats, required fields, enums). Those validators let unknown
 * fields through, as the API server drops them silently; kubectl's strict validation refuses them,
 * and so does this module: every field must be a property of the kind's generated TypeScript
 * interface (same schemas), found with the TypeScript compiler.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import ts from 'typescript';

/** A kind this project deploys: its model (the bundled validator) and its generated interface. */
interface KindSchema {
  readonly model: new (data: never) => { validate(): void };
  /** Module of the model, whose declarations name the interface. */
  readonly module: string;
  readonly iface: string;
}

/** The kinds deploy/kubernetes may use, by `apiVersion/kind`; another kind is a problem until added here. */
export const KIND_SCHEMAS: Readonly<Record<string, KindSchema>> = {
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', iface: 'IConfigMap' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', iface: 'IService' },
  'apps/v1/Deployment': {
    model: Deployment,
    module: 'kubernetes-models/apps/v1/Deployment',
    iface: 'IDeployment',
  },
  'policy/v1/PodDisruptionBudget': {
    model: PodDisruptionBudget,
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    iface: 'IPodDisruptionBudget',
  },
  'autoscaling/v2/HorizontalPodAutoscaler': {
    model: HorizontalPodAutoscaler,
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    iface: 'IHorizontalPodAutoscaler',
  },
  'networking.k8s.io/v1/NetworkPolicy': {
    model: NetworkPolicy,
    module: 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy',
    iface: 'INetworkPolicy',
  },
  'monitoring.coreos.com/v1/ServiceMonitor': {
    model: ServiceMonitor,
    module: '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor',
    iface: 'IServiceMonitor',
  },
};

/** Whether a value is a plain object (a YAML mapping). */
export const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The interfaces of every kind, from the packages' declarations (built once, on first use). */
let interfaces: { checker: ts.TypeChecker; types: Map<string, ts.Type> } | undefined;

function kindInterfaces(): NonNullable<typeof interfaces> {
  if (interfaces) return interfaces;
  const here = dirname(fileURLToPath(import.meta.url));
  // A virtual module naming every interface, resolved from this folder like an import would be.
  const entry = join(here, '__kubernetes_kinds__.ts');
  const names = Object.keys(KIND_SCHEMAS);
  const text = names
    .map(
      (key, i) => `import type { ${KIND_SCHEMAS[key]!.iface} as K${i} } from '${KIND_SCHEMAS[key]!.module}';`,
    )
    .concat(`export type Kinds = { ${names.map((key, i) => `${JSON.stringify(key)}: K${i}`).join('; ')} };`)
    .join('\n');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    types: [],
    noEmit: true,
    skipLibCheck: true,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (file, language, ...rest) =>
    file === entry
      ? ts.createSourceFile(file, text, language, true, ts.ScriptKind.TS)
      : getSourceFile(file, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (file) => file === entry || fileExists(file);
  const program = ts.createProgram({ rootNames: [entry], options, host });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry)!;
  const alias = source.statements.find(ts.isTypeAliasDeclaration)!;
  const kinds = checker.getTypeAtLocation(alias.name);
  const types = new Map<string, ts.Type>();
  for (const key of names) {
    const property = kinds.getProperty(key);
    const type = property && checker.getTypeOfSymbolAtLocation(property, alias);
    // An interface that did not resolve would make every field look unknown, or none.
    if (!type || type.flags & ts.TypeFlags.Any)
      throw new Error(`${KIND_SCHEMAS[key]!.module}: no declarations for ${KIND_SCHEMAS[key]!.iface}`);
    types.set(key, type);
  }
  interfaces = { checker, types };
  return interfaces;
}

/** Fields of `value` that `type` does not declare, as `spec.template.spec.containers[0].foo`. */
function unknownFields(checker: ts.TypeChecker, value: unknown, type: ts.Type, path: string, out: string[]) {
  if (typeof value !== 'object' || value === null) return;
  const declared = checker.getNonNullableType(type);
  if (declared.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return;
  const members = declared.isUnion() ? declared.types : [declared];
  if (Array.isArray(value)) {
    const element = members.map((t) => checker.getIndexTypeOfType(t, ts.IndexKind.Number)).find(Boolean);
    if (element)
      for (const [i, item] of value.entries()) unknownFields(checker, item, element, `${path}[${i}]`, out);
    return;
  }
  const map = members.map((t) => checker.getIndexTypeOfType(t, ts.IndexKind.String)).find(Boolean);
  const properties = new Map(
    members.flatMap((t) => checker.getPropertiesOfType(t)).map((symbol) => [symbol.name, symbol]),
  );
  for (const [key, item] of Object.entries(value)) {
    const at = path === '' ? key : `${path}.${key}`;
    const property = properties.get(key);
    if (property) {
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const propertyType = declaration
        ? checker.getTypeOfSymbolAtLocation(property, declaration)
        : checker.getAnyType();
      unknownFields(checker, item, propertyType, at, out);
    } else if (map) {
      unknownFields(checker, item, map, at, out);
    } else {
      out.push(`${at}: unknown field (not in the ${checker.typeToString(declared)} schema)`);
    }
  }
}

/** Schema problems of one manifest (empty when it validates), each naming the field. */
export function schemaProblems(manifest: unknown): string[] {
  if (!isRecord(manifest)) return ['not a mapping'];
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const schema = KIND_SCHEMAS[key];
  if (!schema)
    return [
      `${key}: no schema for this kind (deploy/kubernetes-schemas.ts KIND_SCHEMAS lists the known ones)`,
    ];
  const problems: string[] = [];
  try {
    new schema.model(manifest as never).validate();
  } catch (err) {
    // ajv's messages, `data/spec/replicas must be integer, …`, one per violation.
    problems.push(...(err as Error).message.split(/,\s(?=data)/).map((m) => m.replace(/^data\/?/, '')));
  }
  const { checker, types } = kindInterfaces();
  unknownFields(checker, manifest, types.get(key)!, '', problems);
  return [...new Set(problems)];
}
