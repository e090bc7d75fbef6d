import { Client, cacheExchange, fetchExchange, mapExchange, type CombinedError } from 'urql';

/** Whether the API refused the token (HTTP 401, UNAUTHENTICATED): the sign-in is shown again. */
export function isUnauthenticated(error: CombinedError): boolean {
  const status = (error.response as Response | undefined)?.status;
  return status === 401 || error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED');
}

/** A GraphQL client for one token; `onRejected` runs when the API refuses it. */
export function createClient(url: string, token: string, onRejected: () => void): Client {
  return new Client({
    url,
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          if (isUnauthenticated(error)) onRejected();
        },
      }),
      fetchExchange,
    ],
    fetchOptions: () => ({ headers: { authorization: `Bearer ${token}` } }),
    // POST with a JSON body: what Apollo Server's CSRF prevention lets through without extra headers.
    preferGetMethod: false,
    // Costs change when a run or an import lands: a view shows what is cached, then refreshes.
    requestPolicy: 'cache-and-network',
  });
}

/** What to tell a person about a failed request: the API's own message, never a stack. */
export function errorMessage(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) return first.message;
  if (error.networkError) return 'The cost API could not be reached. Check your connection and try again.';
  return 'Something went wrong.';
}
