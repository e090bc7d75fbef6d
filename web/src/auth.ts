// The API token: asked for at sign-in and kept in session storage (gone with the tab), or the
// demo organization's, handed over by the page under `serve --demo`.

const KEY = 'cloudtuner.token';

export interface PageConfig {
  graphqlPath: string;
  /** Set only under `serve --demo`: the page opens signed in as the demo organization. */
  demoToken?: string;
}

/** What the server wrote into the page (a JSON script element, so no inline code runs). */
export function pageConfig(): PageConfig {
  const element = document.getElementById('cloudtuner-config');
  const parsed = element?.textContent ? (JSON.parse(element.textContent) as Partial<PageConfig>) : {};
  return { graphqlPath: parsed.graphqlPath ?? '/graphql', demoToken: parsed.demoToken };
}

export function storedToken(): string | null {
  try {
    return window.sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  window.sessionStorage.setItem(KEY, token);
}

export function forgetToken(): void {
  window.sessionStorage.removeItem(KEY);
}
