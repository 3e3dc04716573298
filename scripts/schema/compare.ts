/**
 * The registry check: every change between a baseline and the new schema with its criticality
 * (@graphql-inspector/core, with policy directives judged by direction in policy-diff.ts), breaking
 * ones failing unless allowlisted, and every client operation validated against the new schema and
 * checked against the changes to what it uses. An allowlist entry never excuses a broken client
 * operation: change the operation (the client) as well.
 */
import { type Change, CriticalityLevel, diff } from '@graphql-inspector/core';
import type { GraphQLSchema } from 'graphql';
import type { AllowedChange } from './allowlist.js';
import {
  type ClientOperation,
  coordinatesUsed,
  type OperationProblem,
  touches,
  validateOperations,
} from './operations.js';
import { ALLOWLIST_FILE, OPERATIONS_DIR } from './paths.js';
import { isPolicyDirectiveUsage, policyChanges } from './policy-diff.js';

export interface SchemaCheckInput {
  /** Undefined when there is no baseline yet: only the operations are checked. */
  readonly baseline: GraphQLSchema | undefined;
  readonly current: GraphQLSchema;
  readonly operations: readonly ClientOperation[];
  readonly allowlist: readonly AllowedChange[];
  /**
   * The baseline cannot show applied directives (introspection): skip DIRECTIVE_USAGE_* changes and
   * policy changes.
   */
  readonly ignoreDirectiveUsages?: boolean;
}

/** A change with the allowlist entry accepting it, if it is breaking and listed. */
export interface CheckedChange {
  readonly change: Change;
  readonly allowedBy: AllowedChange | undefined;
}

export interface SchemaCheckResult {
  readonly changes: readonly CheckedChange[];
  /** Breaking changes no allowlist entry accepts: each fails the check. */
  readonly unallowed: readonly CheckedChange[];
  /** Operations that break: invalid against the new schema, or using what a breaking change touches. */
  readonly broken: readonly OperationProblem[];
  /** Dangerous changes to what an operation uses: printed, not failing. */
  readonly warnings: readonly OperationProblem[];
  /** Allowlist entries that match no change (already landed, or mistyped). */
  readonly unusedAllowlist: readonly AllowedChange[];
  readonly operations: number;
  readonly ok: boolean;
}

const isBreaking = (change: Change) => change.criticality.level === CriticalityLevel.Breaking;

/** An output field whose type only loses its outer `!`: operations stay valid, clients see nulls. */
function becomesNullable(change: Change): boolean {
  if (change.type !== 'FIELD_TYPE_CHANGED') return false;
  const meta = change.meta as { oldFieldType?: string; newFieldType?: string };
  return meta.oldFieldType !== undefined && meta.oldFieldType === `${meta.newFieldType}!`;
}
const isDangerous = (change: Change) => change.criticality.level === CriticalityLevel.Dangerous;

/** Runs the check; pure apart from the inspector's diff. */
export async function checkSchema(input: SchemaCheckInput): Promise<SchemaCheckResult> {
  const { baseline, current, operations, allowlist, ignoreDirectiveUsages = false } = input;
  const diffed = baseline
    ? [
        // Policy directives are judged by direction (policy-diff.ts), not as any directive usage.
        ...(await diff(baseline, current)).filter(
          (change) =>
            !isPolicyDirectiveUsage(change) &&
            !(ignoreDirectiveUsages && change.type.startsWith('DIRECTIVE_USAGE_')),
        ),
        ...(ignoreDirectiveUsages ? [] : policyChanges(baseline, current)),
      ]
    : [];
  const changes = diffed.map((change) => ({
    change,
    allowedBy: isBreaking(change)
      ? allowlist.find((entry) => entry.type === change.type && entry.path === change.path)
      : undefined,
  }));
  const unallowed = changes.filter(({ change, allowedBy }) => isBreaking(change) && !allowedBy);

  const broken: OperationProblem[] = validateOperations(current, operations);
  const warnings: OperationProblem[] = [];
  if (baseline) {
    for (const operation of operations) {
      const used = coordinatesUsed(baseline, operation.document);
      for (const { change, allowedBy } of changes) {
        if (!change.path || !(isBreaking(change) || isDangerous(change))) continue;
        const coordinate = touches(used, change.path);
        if (!coordinate) continue;
        const problem = {
          operation,
          coordinate,
          message: `uses ${coordinate}: ${change.criticality.level} ${change.type} — ${change.message}`,
        };
        const reviewed = allowedBy?.operations?.includes(operation.name) === true && becomesNullable(change);
        if (isBreaking(change) && !reviewed) broken.push(problem);
        else
          warnings.push(
            reviewed
              ? { ...problem, message: `${problem.message} (reviewed for this operation: allowlisted)` }
              : problem,
          );
      }
    }
  }
  const unusedAllowlist = allowlist.filter((entry) => !changes.some(({ allowedBy }) => allowedBy === entry));
  return {
    changes,
    unallowed,
    broken,
    warnings,
    unusedAllowlist,
    operations: operations.length,
    ok: unallowed.length === 0 && broken.length === 0,
  };
}

const LEVEL_ORDER = [CriticalityLevel.Breaking, CriticalityLevel.Dangerous, CriticalityLevel.NonBreaking];

function byOperation(problems: readonly OperationProblem[]): Map<ClientOperation, OperationProblem[]> {
  const grouped = new Map<ClientOperation, OperationProblem[]>();
  for (const problem of problems) {
    grouped.set(problem.operation, [...(grouped.get(problem.operation) ?? []), problem]);
  }
  return grouped;
}

/** The human report schema:check prints, one line per change and per problem. */
export function formatSchemaCheck(
  result: SchemaCheckResult,
  baselineDescription: string | undefined,
): string {
  const lines: string[] = [];
  lines.push(
    `baseline: ${baselineDescription ?? 'none (no committed schema yet): only client operations are checked'}`,
  );
  const count = (level: CriticalityLevel) =>
    result.changes.filter(({ change }) => change.criticality.level === level).length;
  lines.push(
    `schema changes: ${result.changes.length} (${count(CriticalityLevel.Breaking)} breaking, ${count(CriticalityLevel.Dangerous)} dangerous, ${count(CriticalityLevel.NonBreaking)} safe)`,
  );
  const sorted = [...result.changes].sort(
    (a, b) =>
      LEVEL_ORDER.indexOf(a.change.criticality.level) - LEVEL_ORDER.indexOf(b.change.criticality.level),
  );
  for (const { change, allowedBy } of sorted) {
    const level = change.criticality.level.padEnd(12);
    lines.push(`  ${level} ${change.type.padEnd(28)} ${(change.path ?? '-').padEnd(36)} ${change.message}`);
    if (change.criticality.reason) lines.push(`  ${''.padEnd(12)} why: ${change.criticality.reason}`);
    if (allowedBy) lines.push(`  ${''.padEnd(12)} allowed by ${ALLOWLIST_FILE}: ${allowedBy.reason}`);
  }

  const broken = byOperation(result.broken);
  const warned = byOperation(result.warnings);
  lines.push(
    `client operations (${OPERATIONS_DIR}): ${result.operations} checked against the new schema, ${broken.size} broken, ${warned.size} with warnings`,
  );
  for (const [operation, problems] of broken) {
    lines.push(`  BROKEN  operation ${operation.name} (${operation.client}, ${operation.file})`);
    for (const { message } of problems) lines.push(`          ${message}`);
  }
  for (const [operation, problems] of warned) {
    lines.push(`  WARNING operation ${operation.name} (${operation.client}, ${operation.file})`);
    for (const { message } of problems) lines.push(`          ${message}`);
  }
  for (const entry of result.unusedAllowlist) {
    lines.push(
      `note: ${ALLOWLIST_FILE} entry ${entry.type} ${entry.path} matches no change (landed already? remove it)`,
    );
  }

  if (result.ok) {
    lines.push('schema:check passed');
    return lines.join('\n');
  }
  const reasons: string[] = [];
  if (result.unallowed.length > 0)
    reasons.push(`${result.unallowed.length} breaking change(s) not in ${ALLOWLIST_FILE}`);
  if (broken.size > 0)
    reasons.push(
      `${broken.size} client operation(s) broken: ${[...broken.keys()].map((o) => o.name).join(', ')}`,
    );
  lines.push(`schema:check FAILED: ${reasons.join('; ')}`);
  if (result.unallowed.length > 0) {
    lines.push(`To accept a breaking change, add it to ${ALLOWLIST_FILE} with a reason reviewers can judge:`);
    lines.push('breaking:');
    for (const { change } of result.unallowed) {
      lines.push(
        `  - type: ${change.type}`,
        `    path: ${change.path ?? ''}`,
        '    reason: "<why clients are not hurt, or who agreed>"',
      );
    }
  }
  if (broken.size > 0) {
    lines.push(
      `A broken client operation cannot be allowlisted: keep the schema compatible (deprecate first), or change the operation in ${OPERATIONS_DIR} once no shipped client sends the old one.`,
    );
  }
  return lines.join('\n');
}
