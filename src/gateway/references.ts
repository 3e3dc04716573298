/**
 * Entity references across sources. A source that returns a type another source owns returns a
 * reference, `{ id }` (a Position's token), and the fields of that type complete it. Field by
 * field, that was one loader call and one promise per field: three market fields of fifty
 * positions' tokens made 150 of each, for one upstream call.
 *
 * A source that declares a `TypeReference` for such a type is asked once per reference instead,
 * on the field that returns it, and only when the client's selection there reads one of the
 * fields the declaration names (aliases, fragments and inline fragments included; @skip/@include
 * are not evaluated, so a skipped field still counts: one load the answer may not need, and waits
 * for). The owner's `complete` turns the reference into its record, whose fields then resolve
 * without a promise; another source's `prefetch` starts its loads at the same moment, so its
 * upstream call runs beside the owner's instead of after it (a child field waits for its parent's
 * value), and the field's value waits for those loads too, so that its fields find them arrived (no
 * promise each; the answer waited for them anyway). The owner's own fields that name their
 * entities in their arguments (`token(id)`, `tokens(ids)`) start the others' prefetches from those
 * arguments, once the owner's resolver has accepted them. The answer is the same with or without a
 * declaration: fields still load what they lack themselves.
 */
import {
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  Kind,
  type SelectionSetNode,
} from 'graphql';

/** A reference to an entity of another source: its key. */
export interface EntityReference {
  readonly id: string;
}

/** What one source does, once per reference, for the fields it resolves on a type. */
export interface TypeReference {
  /** The source's fields of the type that need more than the key: a selection of none of them costs nothing. */
  readonly fields: readonly string[];
  /**
   * The owner of the type: the whole record for `reference`, or `reference` itself where there is
   * none (unknown, failed): the fields then load, and fail, on their own, as without this.
   */
  complete?(reference: EntityReference, context: never): unknown;
  /**
   * Another source that adds fields to the type: starts their loads (its fields then find them
   * cached). What it returns (it must not reject: a failure is its fields' to report) is waited for
   * with the owner's completion, so that its fields find the value arrived and need no promise.
   */
  prefetch?(reference: EntityReference, context: never): PromiseLike<unknown> | undefined;
  /**
   * The owner's fields (by coordinate, `Query.tokens`) whose arguments name the entities they
   * return: the references those arguments give, for the other sources' prefetches.
   */
  readonly arguments?: Readonly<
    Record<string, (args: Readonly<Record<string, unknown>>) => readonly EntityReference[]>
  >;
}

/** Each source's references, by type name. */
export type SourceReferences = Readonly<Record<string, TypeReference>>;

interface Declared {
  readonly source: string;
  readonly fields: ReadonlySet<string>;
  readonly reference: TypeReference;
}

/**
 * Wraps every field that returns a referenced type and is resolved by a source other than its
 * owner, and the owner's fields named in `arguments` (`owners`: coordinate → the source that
 * resolves it). Called once at boot; a declaration that names what does not exist is a boot error.
 */
export function applyEntityReferences(
  schema: GraphQLSchema,
  sources: readonly { readonly name: string; readonly references?: SourceReferences | undefined }[],
  owners: ReadonlyMap<string, string>,
): void {
  const declared = new Map<string, Declared[]>();
  for (const source of sources) {
    for (const [typeName, reference] of Object.entries(source.references ?? {})) {
      if (!(schema.getType(typeName) instanceof GraphQLObjectType)) {
        throw new Error(
          `${source.name}: a reference to ${typeName}, which is not an object type of the schema`,
        );
      }
      for (const coordinate of Object.keys(reference.arguments ?? {})) {
        if (owners.get(coordinate) !== source.name) {
          throw new Error(`${source.name}: arguments of ${coordinate}, which it does not resolve`);
        }
      }
      const list = declared.get(typeName) ?? [];
      const owner = reference.complete && list.find((d) => d.reference.complete);
      if (owner) throw new Error(`${typeName} is completed by both ${owner.source} and ${source.name}`);
      list.push({ source: source.name, fields: new Set(reference.fields), reference });
      declared.set(typeName, list);
    }
  }
  if (declared.size === 0) return;
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      const coordinate = `${type.name}.${field.name}`;
      const target = referencedType(field.type);
      const declarations = target && declared.get(target.type);
      const resolvedBy = owners.get(coordinate);
      if (!target || !declarations || !field.resolve || !resolvedBy) continue;
      const others = declarations.filter((d) => d.source !== resolvedBy);
      if (others.length === 0) continue;
      const owner = declarations.find((d) => d.source === resolvedBy && d.reference.complete);
      const fromArguments = owner?.reference.arguments?.[coordinate];
      if (!owner) wrap(field, others, { list: target.list });
      // The owner's own fields return whole records; some name them in their arguments.
      else if (fromArguments) wrap(field, others, { fromArguments });
    }
  }
}

/** The named type a field returns, if it is an object or a list of objects (not a list of lists). */
function referencedType(type: GraphQLOutputType): { type: string; list: boolean } | undefined {
  let inner = type instanceof GraphQLNonNull ? type.ofType : type;
  let list = false;
  if (inner instanceof GraphQLList) {
    list = true;
    inner = inner.ofType instanceof GraphQLNonNull ? inner.ofType.ofType : inner.ofType;
  }
  return inner instanceof GraphQLObjectType ? { type: inner.name, list } : undefined;
}

/** Where the references come from: the field's value (another source's field), or its arguments (the owner's). */
type ReferencesOf =
  | { readonly list: boolean }
  | {
      readonly fromArguments: (args: Readonly<Record<string, unknown>>) => readonly EntityReference[];
    };

function wrap(
  field: GraphQLField<unknown, unknown>,
  declarations: readonly Declared[],
  from: ReferencesOf,
): void {
  const resolve = field.resolve as GraphQLFieldResolver<unknown, never>;
  const readers = createSelectionReaders(declarations);
  field.resolve = (parent, args, contextValue, info) => {
    const context = contextValue as never;
    // First: the resolver checks its arguments (and throws on bad ones) before anything is loaded.
    const value = resolve(parent, args, context, info);
    const { owner, prefetchers } = readers(info);
    if (!owner && prefetchers.length === 0) return value;
    // The prefetches' loads, waited for with the value: the whole value is then one promise whose
    // fields (and list items) resolve synchronously, instead of a promise per item and per field.
    const waits: PromiseLike<unknown>[] = [];
    if ('fromArguments' in from) {
      for (const reference of from.fromArguments(args)) prefetch(prefetchers, reference, context, waits);
      return withWaits(value, waits);
    }
    const each = (reference: unknown): unknown => {
      if (reference === null || reference === undefined) return reference;
      prefetch(prefetchers, reference as EntityReference, context, waits);
      return owner ? owner.complete!(reference as EntityReference, context) : reference;
    };
    const completeAll = (resolved: unknown): unknown => {
      if (!from.list) return withWaits(each(resolved), waits);
      if (!Array.isArray(resolved)) return resolved;
      const items = resolved.map(each);
      return withWaits(owner ? Promise.all(items) : items, waits);
    };
    return isPromiseLike(value) ? value.then(completeAll) : completeAll(value);
  };
}

/** Starts every prefetch of `reference`, adding the loads they return to `waits`. */
function prefetch(
  prefetchers: readonly TypeReference[],
  reference: EntityReference,
  context: never,
  waits: PromiseLike<unknown>[],
): void {
  for (const prefetcher of prefetchers) {
    const loading = prefetcher.prefetch!(reference, context);
    if (loading) waits.push(loading);
  }
}

/** `value` once `waits` have settled too (they never reject); a rejected value rejects at once. */
function withWaits(value: unknown, waits: readonly PromiseLike<unknown>[]): unknown {
  if (waits.length === 0) return value;
  return Promise.all([value, ...waits]).then(([settled]) => settled);
}

/** What a selection asks for: the owner's completion and the others' prefetches, of the fields it reads. */
interface Wanted {
  readonly owner: TypeReference | undefined;
  readonly prefetchers: readonly TypeReference[];
}

/**
 * Which declarations a field's selection reads, remembered per selection: graphql-jit hands the
 * same `fieldNodes` array to every call of a compiled query; graphql-js (subscriptions) a new one
 * per call, so the memo is keyed by the first node (the document's, long-lived) and compares the rest.
 */
function createSelectionReaders(declarations: readonly Declared[]) {
  const memo = new WeakMap<FieldNode, { nodes: readonly FieldNode[]; wanted: Wanted }[]>();
  return (info: GraphQLResolveInfo): Wanted => {
    const nodes = info.fieldNodes;
    const first = nodes[0]!;
    const entries = memo.get(first) ?? [];
    const known = entries.find(
      (entry) =>
        entry.nodes === nodes ||
        (entry.nodes.length === nodes.length && entry.nodes.every((n, i) => n === nodes[i])),
    );
    if (known) return known.wanted;
    const names = selectedFieldNames(nodes, info.fragments);
    const read = declarations
      .filter((d) => [...d.fields].some((name) => names.has(name)))
      .map((d) => d.reference);
    const wanted: Wanted = {
      owner: read.find((r) => r.complete),
      prefetchers: read.filter((r) => r.prefetch),
    };
    entries.push({ nodes, wanted });
    memo.set(first, entries);
    return wanted;
  };
}

/** The names of the fields selected under `nodes`, through fragments and inline fragments. */
function selectedFieldNames(
  nodes: readonly FieldNode[],
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
): Set<string> {
  const names = new Set<string>();
  const visited = new Set<string>();
  const walk = (set: SelectionSetNode | undefined): void => {
    for (const selection of set?.selections ?? []) {
      if (selection.kind === Kind.FIELD) names.add(selection.name.value);
      else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!visited.has(selection.name.value)) {
        visited.add(selection.name.value);
        walk(fragments[selection.name.value]?.selectionSet);
      }
    }
  };
  for (const node of nodes) walk(node.selectionSet);
  return names;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === 'function';
}
