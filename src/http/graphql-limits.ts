import {
  getOperationAST,
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { getVariableValues } from 'graphql/execution/values';

/** Rejects operations nested deeper than `maxDepth` fields (fragments followed, introspection exempt). */
export function depthLimitRule(maxDepth: number) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const depthOf = (set: SelectionSetNode | undefined, seen: Set<string>): number => {
      if (!set) return 0;
      let deepest = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          if (selection.name.value.startsWith('__')) continue;
          deepest = Math.max(deepest, 1 + depthOf(selection.selectionSet, seen));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          deepest = Math.max(deepest, depthOf(selection.selectionSet, seen));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (fragment && !seen.has(name)) {
            deepest = Math.max(deepest, depthOf(fragment.selectionSet, new Set([...seen, name])));
          }
        }
      }
      return deepest;
    };
    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`The operation is ${depth} levels deep; at most ${maxDepth} are allowed.`, {
              nodes: [node],
            }),
          );
        }
      },
    };
  };
}

/** Days per cost unit of a range: a field over a month costs what one over a day does. */
const DAYS_PER_UNIT = 31;

/** How many units a `range` argument spans (1 without one, or when it is not a valid range). */
function rangeUnits(range: unknown): number {
  const { start, end } = (range ?? {}) as { start?: unknown; end?: unknown };
  if (typeof start !== 'string' || typeof end !== 'string') return 1;
  const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000 + 1;
  return Number.isFinite(days) && days > 0 ? Math.ceil(days / DAYS_PER_UNIT) : 1;
}

/**
 * What a field costs: 1 plus its children, its children `first` times over on a page, and all of
 * it once per 31 days of its `range` (a year of breakdown reads twelve months of rows, so it is
 * not one unit). Aliases are fields of their own, so they add up.
 */
const costEstimator: ComplexityEstimator = ({ args, childComplexity }) => {
  const first = typeof args.first === 'number' ? args.first : undefined;
  const own = first === undefined ? 1 + childComplexity : 1 + childComplexity * first;
  return own * rangeUnits(args.range);
};

/** Refuses an operation whose estimated cost (see costEstimator) exceeds `max`. */
export function complexityLimitPlugin(max: number): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          // The estimate reads the variables, so they are coerced here first: a variable of the
          // wrong type, missing or unknown is the client's error (400 BAD_USER_INPUT, as Apollo
          // answers it at execution), never a 500 from inside the estimator.
          const operation = getOperationAST(document, request.operationName ?? undefined);
          if (operation?.operation === 'subscription' && !schema.getSubscriptionType()) {
            throw new GraphQLError('This API has no subscriptions: send a query or a mutation.', {
              nodes: [operation],
              extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } },
            });
          }
          if (operation) {
            const { errors } = getVariableValues(
              schema,
              operation.variableDefinitions ?? [],
              request.variables ?? {},
            );
            if (errors?.length) {
              throw new GraphQLError((errors[0] as GraphQLError).message, {
                nodes: (errors[0] as GraphQLError).nodes,
                extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
              });
            }
          }
          const complexity = getComplexity({
            schema,
            query: document,
            operationName: request.operationName ?? undefined,
            variables: request.variables ?? {},
            estimators: [costEstimator],
          });
          if (complexity > max) {
            throw new GraphQLError(
              `The operation's complexity is ${complexity}; at most ${max} is allowed.`,
              {
                extensions: { code: 'QUERY_TOO_COMPLEX', http: { status: 400 } },
              },
            );
          }
        },
      };
    },
  };
}
