import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApolloServer, HeaderMap } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../logger';
import { DomainError } from '../errors';
import type { Services } from '../resolvers/services';
import type { TokenService } from '../services/token.service';
import { createLoaders } from '../resolvers/loaders';
import type { GraphQLContext } from '../resolvers/context';
import { complexityLimitPlugin, depthLimitRule } from './graphql-limits';
import { createErrorFormatter, toGraphQLError } from './format-error';
import { CLOSE_AFTER_413, readBody } from './read-body';
import type { FairLimiter } from './fair-limiter';

export interface GraphQLHandlerOptions {
  schema: GraphQLSchema;
  services: Services;
  tokens: TokenService;
  logger: Logger;
  maxDepth: number;
  maxComplexity: number;
  /** Shares execution between organizations (GRAPHQL_CONCURRENCY / GRAPHQL_ORG_CONCURRENCY). */
  limiter?: FairLimiter;
}

/** Largest GraphQL request body accepted. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * Apollo Server behind our own node:http routing: every request is authenticated by its
 * bearer token before any resolver runs, and gets fresh DataLoaders scoped to that organization.
 */
export class GraphQLHandler {
  private readonly apollo: ApolloServer<GraphQLContext>;

  constructor(private readonly options: GraphQLHandlerOptions) {
    this.apollo = new ApolloServer<GraphQLContext>({
      schema: options.schema,
      introspection: true,
      includeStacktraceInErrorResponses: false,
      validationRules: [depthLimitRule(options.maxDepth)],
      plugins: [complexityLimitPlugin(options.maxComplexity)],
      formatError: createErrorFormatter(options.logger),
      // The composition root owns SIGTERM/SIGINT and stops everything in order. Apollo's own
      // handler (on by default outside NODE_ENV=test) would stop it and re-raise the signal,
      // killing the process (exit 143) before workers, queues, ClickHouse and Redis are closed.
      stopOnTerminationSignals: false,
    });
  }

  async start(): Promise<void> {
    await this.apollo.start();
  }

  async stop(): Promise<void> {
    await this.apollo.stop();
  }

  /** Answers one HTTP request to /graphql (GET or POST). */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req, MAX_BODY_BYTES);
      if (raw === null) {
        res
          .writeHead(413, { 'content-type': 'text/plain', ...CLOSE_AFTER_413 })
          .end(`request body over ${MAX_BODY_BYTES} bytes`);
        return;
      }
      const contentType = headers.get('content-type') ?? '';
      if (
        contentType.includes('application/json') ||
        contentType.includes('application/graphql-response+json')
      ) {
        try {
          body = raw.length ? JSON.parse(raw.toString('utf8')) : undefined;
        } catch {
          writeJsonError(res, 400, 'BAD_REQUEST', 'the request body is not valid JSON');
          return;
        }
      } else {
        body = raw.toString('utf8');
      }
    }
    const { services, tokens, limiter } = this.options;
    // Held from authentication until the answer is written: the organization's share of slots.
    let release: (() => void) | undefined;
    try {
      await this.execute(req, res, url, headers, body, async () => {
        try {
          const viewer = await tokens.authenticate(headers.get('authorization'));
          release = await limiter?.acquire(viewer.organizationId);
          return { viewer, loaders: createLoaders(services, viewer.organizationId) };
        } catch (error) {
          throw error instanceof DomainError ? toGraphQLError(error) : error;
        }
      });
    } finally {
      release?.();
    }
  }

  private async execute(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    headers: HeaderMap,
    body: unknown,
    context: () => Promise<GraphQLContext>,
  ): Promise<void> {
    const response = await this.apollo.executeHTTPGraphQLRequest({
      httpGraphQLRequest: { method: req.method ?? 'GET', headers, search: url.search, body },
      context,
    });
    const responseHeaders: Record<string, string> = {};
    for (const [name, value] of response.headers) responseHeaders[name] = value;
    if (response.status === 401) responseHeaders['www-authenticate'] = 'Bearer realm="cloudtuner"';
    res.writeHead(response.status ?? 200, responseHeaders);
    if (response.body.kind === 'complete') {
      res.end(response.body.string);
      return;
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

function writeJsonError(res: ServerResponse, status: number, code: string, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ errors: [{ message, extensions: { code } }] }));
}
