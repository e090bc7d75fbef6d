import type { ReactNode } from 'react';
import type { Range } from '../dates';
import { href, Link, type Route } from '../router';
import { RangePicker } from './RangePicker';

const NAV: { view: Route['view']; label: string; path: string }[] = [
  { view: 'overview', label: 'Overview', path: '/' },
  { view: 'expenses', label: 'Expenses', path: '/expenses' },
  { view: 'clusters', label: 'Clusters', path: '/clusters' },
  { view: 'budgets', label: 'Budgets', path: '/budgets' },
  { view: 'imports', label: 'Imports & runs', path: '/imports' },
];

/** The frame of every view: navigation (keeping the range), the range picker, sign-out. */
export function Layout(props: { route: Route; range: Range; onSignOut: () => void; children: ReactNode }) {
  const { route, range, onSignOut, children } = props;
  const current = route.view === 'cluster' ? 'clusters' : route.view;
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">CloudTuner</div>
        <nav aria-label="Views">
          {NAV.map((item) => (
            <Link
              key={item.view}
              to={href(item.path, { start: range.start, end: range.end })}
              className={item.view === current ? 'active' : ''}
              aria-current={item.view === current ? 'page' : undefined}
            >
              {item.label}
            </Link>
          ))}
        </nav>
        <button type="button" className="link sign-out" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {/* Imports and runs are listed newest first, whatever the range. */}
      {route.view === 'imports' ? null : (
        <div className="toolbar">
          <RangePicker range={range} />
        </div>
      )}
      <main>{children}</main>
      <footer>
        Costs in US dollars, days in UTC. <a href="/graphql">GraphQL playground</a>
      </footer>
    </div>
  );
}
