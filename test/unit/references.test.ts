import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import type { EntityReference } from '../../src/gateway/references.js';
import { buildGatewaySchema } from '../../src/gateway/schema.js';
import type { SourceDefinition } from '../../src/gateway/source.js';

/** `items` owns Item; `lists` returns references to it; `notes` adds Item.note. */
function sources(log: string[]): SourceDefinition[] {
  const names: Record<string, string> = { a: 'Alpha', b: 'Beta' };
  return [
    {
      name: 'items',
      typeDefs: 'type Query { item(id: ID!): Item } type Item { id: ID! name: String }',
      resolvers: {
        Query: { item: (_: unknown, { id }: { id: string }) => ({ id, name: names[id] }) },
        Item: {
          name: (item: { id: string; name?: string }) => {
            if ('name' in item) return item.name;
            log.push(`field ${item.id}`);
            return names[item.id];
          },
        },
      },
      references: {
        Item: {
          fields: ['name'],
          complete: (reference: EntityReference) => {
            log.push(`complete ${reference.id}`);
            return names[reference.id] ? { id: reference.id, name: names[reference.id] } : reference;
          },
          arguments: { 'Query.item': ({ id }) => [{ id: String(id) }] },
        },
      },
    },
    {
      name: 'lists',
      typeDefs: 'type Query { list: [Item!]! pick: Item! } type Item { id: ID! }',
      resolvers: {
        Query: {
          list: () => [{ id: 'a' }, { id: 'b' }],
          pick: async () => ({ id: 'b' }),
        },
      },
    },
    {
      name: 'notes',
      typeDefs: 'type Item { note: String }',
      resolvers: { Item: { note: (item: { id: string }) => `note ${item.id}` } },
      references: {
        Item: {
          fields: ['note'],
          prefetch: (reference: EntityReference) => void log.push(`prefetch ${reference.id}`),
        },
      },
    },
  ];
}

describe('entity references (graphql-js: a new fieldNodes array per call)', () => {
  it('completes each reference once when the selection reads a field that needs the record', async () => {
    const log: string[] = [];
    const schema = buildGatewaySchema(sources(log));
    for (let run = 0; run < 2; run++) {
      log.length = 0;
      const result = await graphql({
        schema,
        source: '{ list { ...F x: name } pick { ... on Item { name } } } fragment F on Item { id }',
      });
      expect(result).toEqual({
        data: {
          list: [
            { id: 'a', x: 'Alpha' },
            { id: 'b', x: 'Beta' },
          ],
          pick: { name: 'Beta' },
        },
      });
      expect(log.sort()).toEqual(['complete a', 'complete b', 'complete b']);
    }
  });

  it('completes nothing for the key alone, prefetches for another source’s field, and from the arguments of the owner’s fields', async () => {
    const log: string[] = [];
    const schema = buildGatewaySchema(sources(log));
    expect(await graphql({ schema, source: '{ list { id } }' })).toEqual({
      data: { list: [{ id: 'a' }, { id: 'b' }] },
    });
    expect(log).toEqual([]);
    expect(await graphql({ schema, source: '{ pick { note } }' })).toEqual({
      data: { pick: { note: 'note b' } },
    });
    expect(log).toEqual(['prefetch b']);
    log.length = 0;
    expect(await graphql({ schema, source: '{ item(id: "a") { name note } }' })).toEqual({
      data: { item: { name: 'Alpha', note: 'note a' } },
    });
    // The owner's own field: nothing to complete, the other source prefetches from the arguments.
    expect(log).toEqual(['prefetch a']);
    log.length = 0;
    await graphql({ schema, source: '{ item(id: "a") { name } }' });
    expect(log).toEqual([]);
  });

  it('answers a field once the prefetches of its value have arrived: the prefetched fields find them', async () => {
    const arrived = new Set<string>();
    const seen: string[] = [];
    const slow = sources([]);
    slow[2] = {
      name: 'notes',
      typeDefs: 'type Item { note: String }',
      resolvers: {
        Item: {
          note: (item: { id: string }) => {
            seen.push(`${item.id} ${arrived.has(item.id) ? 'arrived' : 'pending'}`);
            return `note ${item.id}`;
          },
        },
      },
      references: {
        Item: {
          fields: ['note'],
          prefetch: (reference: EntityReference) =>
            new Promise<void>((resolve) =>
              setTimeout(() => {
                arrived.add(reference.id);
                resolve();
              }, 20),
            ),
        },
      },
    };
    const schema = buildGatewaySchema(slow);
    // A list of references, one reference (async), and the owner's field from its arguments.
    for (const source of ['{ list { note } }', '{ pick { name note } }', '{ item(id: "a") { note } }']) {
      arrived.clear();
      seen.length = 0;
      const result = await graphql({ schema, source });
      expect(result.errors).toBeUndefined();
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((entry) => entry.endsWith('arrived'))).toBe(true);
    }
  });

  it('refuses at boot a type two sources complete, a reference to what is not an object type, arguments of another source’s field', () => {
    const twice = sources([]);
    twice[2] = {
      ...twice[2]!,
      references: { Item: { fields: ['note'], complete: (r: EntityReference) => r } },
    };
    expect(() => buildGatewaySchema(twice)).toThrow('Item is completed by both items and notes');
    const scalar = sources([]);
    scalar[2] = { ...scalar[2]!, references: { ID: { fields: [] } } };
    expect(() => buildGatewaySchema(scalar)).toThrow('notes: a reference to ID, which is not an object type');
    const misnamed = sources([]);
    const items = misnamed[0]!.references!.Item!;
    misnamed[0] = {
      ...misnamed[0]!,
      references: { Item: { ...items, arguments: { 'Query.list': () => [] } } },
    };
    expect(() => buildGatewaySchema(misnamed)).toThrow(
      'items: arguments of Query.list, which it does not resolve',
    );
  });
});
