import { useEffect, useState, type AnchorHTMLAttributes, type MouseEvent } from 'react';

// A few URLs, each a view a person can bookmark and share; everything a view shows (range,
// filters, drill-down) is in its query string. History API, no router library: four routes.

export type Route =
  | { view: 'overview' }
  | { view: 'expenses' }
  | { view: 'clusters' }
  | { view: 'cluster'; id: string }
  | { view: 'imports' }
  | { view: 'budgets' }
  | { view: 'notFound' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { view: 'overview' };
  if (path === '/expenses') return { view: 'expenses' };
  if (path === '/clusters') return { view: 'clusters' };
  if (path === '/imports') return { view: 'imports' };
  if (path === '/budgets') return { view: 'budgets' };
  const cluster = /^\/clusters\/([^/]+)$/.exec(path);
  if (cluster) return { view: 'cluster', id: decodeURIComponent(cluster[1] as string) };
  return { view: 'notFound' };
}

const NAVIGATE = 'cloudtuner:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATE));
}

/** The current location, re-rendering on back/forward and on `navigate`. */
export function useLocation(): { pathname: string; params: URLSearchParams } {
  const [location, setLocation] = useState(() => snapshot());
  useEffect(() => {
    const update = () => setLocation(snapshot());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE, update);
    };
  }, []);
  return { pathname: location.pathname, params: new URLSearchParams(location.search) };
}

function snapshot(): { pathname: string; search: string } {
  return { pathname: window.location.pathname, search: window.location.search };
}

/** `path?query`, dropping empty values; keys in the order given. */
export function href(path: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** The current URL with some query parameters changed (null removes one). */
export function withParams(updates: Record<string, string | null>): string {
  const params = new URLSearchParams(window.location.search);
  for (const [key, value] of Object.entries(updates)) {
    if (value === null || value === '') params.delete(key);
    else params.set(key, value);
  }
  const text = params.toString();
  return text ? `${window.location.pathname}?${text}` : window.location.pathname;
}

/** An ordinary link (open in a new tab works) that moves within the page on a plain click. */
export function Link({ to, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { to: string }) {
  const handle = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(to);
    window.scrollTo(0, 0);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
