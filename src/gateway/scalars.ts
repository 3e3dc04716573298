/** Scalars shared by every source: money and quantities are never floats. */
import { GraphQLScalarType, Kind } from 'graphql';
import { gatewayError } from '../errors.js';

/** Plain decimal notation: optional minus, digits, optional fraction; no exponent, at most 38 digits. */
const DECIMAL = /^-?(?:0|[1-9]\d{0,37})(?:\.\d{1,18})?$/;

function parseDecimal(value: unknown): string {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    throw gatewayError('BAD_USER_INPUT', 'Decimal values are strings in plain notation, such as "12.5".');
  }
  return value;
}

/** `Decimal`: an exact decimal number serialised as a string. */
export const DecimalScalar = new GraphQLScalarType({
  name: 'Decimal',
  description: 'An exact decimal number serialised as a string in plain notation, e.g. "0.00012".',
  serialize: (value) => {
    if (typeof value === 'string') return value;
    throw new TypeError('Decimal must be produced as a string');
  },
  parseValue: parseDecimal,
  parseLiteral: (ast) => parseDecimal(ast.kind === Kind.STRING ? ast.value : undefined),
});

function parseDateTime(value: unknown): string {
  if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
    throw gatewayError('BAD_USER_INPUT', 'DateTime values are ISO 8601 strings.');
  }
  return new Date(value).toISOString();
}

/** `DateTime`: an ISO 8601 instant in UTC. */
export const DateTimeScalar = new GraphQLScalarType({
  name: 'DateTime',
  description: 'An instant as an ISO 8601 string in UTC, e.g. "2026-01-01T00:00:00.000Z".',
  serialize: (value) => {
    if (typeof value === 'string') return value;
    if (value instanceof Date) return value.toISOString();
    throw new TypeError('DateTime must be produced as a string or Date');
  },
  parseValue: parseDateTime,
  parseLiteral: (ast) => parseDateTime(ast.kind === Kind.STRING ? ast.value : undefined),
});

export const scalarTypeDefs = /* GraphQL */ `
  scalar Decimal
  scalar DateTime
`;
