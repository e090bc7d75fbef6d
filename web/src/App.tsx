import { useCallback, useMemo, useState } from 'react';
import { Provider } from 'urql';
import { forgetToken, pageConfig, storedToken, storeToken } from './auth';
import { createClient } from './client';
import { rangeFrom } from './dates';
import { parseRoute, useLocation, href, Link } from './router';
import { Layout } from './components/Layout';
import { Empty } from './components/States';
import { SignIn } from './views/SignIn';
import { Overview } from './views/Overview';
import { Expenses } from './views/Expenses';
import { Clusters } from './views/Clusters';
import { Cluster } from './views/Cluster';
import { Imports } from './views/Imports';
import { Budgets } from './views/Budgets';

const config = pageConfig();

function initialToken(): string | null {
  const stored = storedToken();
  if (stored) return stored;
  // Under `serve --demo` the page opens signed in as the demo organization, as GraphiQL does.
  if (config.demoToken) {
    storeToken(config.demoToken);
    return config.demoToken;
  }
  return null;
}

export function App() {
  const [token, setToken] = useState<string | null>(initialToken);
  const [rejected, setRejected] = useState(false);
  const signOut = useCallback((wasRejected: boolean) => {
    forgetToken();
    setRejected(wasRejected);
    setToken(null);
  }, []);
  const client = useMemo(
    () => (token ? createClient(config.graphqlPath, token, () => signOut(true)) : null),
    [token, signOut],
  );
  const { pathname, params } = useLocation();

  if (!token || !client) {
    return (
      <SignIn
        rejected={rejected}
        onToken={(next) => {
          storeToken(next);
          setRejected(false);
          setToken(next);
        }}
      />
    );
  }
  const route = parseRoute(pathname);
  const range = rangeFrom(params);
  let view;
  switch (route.view) {
    case 'overview':
      view = <Overview range={range} />;
      break;
    case 'expenses':
      view = <Expenses range={range} params={params} />;
      break;
    case 'clusters':
      view = <Clusters range={range} />;
      break;
    case 'cluster':
      view = <Cluster id={route.id} range={range} params={params} />;
      break;
    case 'imports':
      view = <Imports />;
      break;
    case 'budgets':
      view = <Budgets range={range} />;
      break;
    default:
      view = (
        <Empty title="No such page">
          <Link to={href('/', {})}>Go to the overview</Link>
        </Empty>
      );
  }
  return (
    <Provider value={client}>
      <Layout route={route} range={range} onSignOut={() => signOut(false)}>
        {/* A new range or view starts from its loading state, not from the last one's figures. */}
        <div key={`${route.view}|${range.start}|${range.end}`}>{view}</div>
      </Layout>
    </Provider>
  );
}
