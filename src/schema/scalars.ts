import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { parseDay } from '../domain/days';

/** A whole UTC day as ISO `YYYY-MM-DD`; kept as that string inside the service. */
export const DateScalar = new GraphQLScalarType<string, string>({
  name: 'Date',
  description: 'A calendar day in UTC, written YYYY-MM-DD (ISO 8601).',
  serialize(value) {
    if (typeof value === 'string' && parseDay(value)) return value;
    if (value instanceof Date) return value.toISOString().slice(0, 10);
    throw new GraphQLError(`Date cannot represent ${JSON.stringify(value)}`);
  },
  parseValue(value) {
    if (typeof value === 'string' && parseDay(value)) return value;
    throw new GraphQLError(
      `Date must be a real calendar day written YYYY-MM-DD, got ${JSON.stringify(value)}`,
      {
        extensions: { code: 'BAD_USER_INPUT' },
      },
    );
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && parseDay(ast.value)) return ast.value;
    const shown = ast.kind === Kind.STRING ? JSON.stringify(ast.value) : ast.kind;
    throw new GraphQLError(`Date must be a real calendar day written YYYY-MM-DD, got ${shown}`, {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  },
});
