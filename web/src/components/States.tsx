import type { ReactNode } from 'react';
import type { CombinedError } from 'urql';
import { errorMessage } from '../client';

/** A placeholder the size of what is coming, announced to screen readers. */
export function Loading({ label = 'Loading…', rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div className="state loading" role="status" aria-busy="true" data-testid="loading">
      <span className="visually-hidden">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="skeleton" />
      ))}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state empty" data-testid="empty">
      <strong>{title}</strong>
      {children ? <p>{children}</p> : null}
    </div>
  );
}

export function ErrorState({ error, retry }: { error: CombinedError; retry?: () => void }) {
  return (
    <div className="state error" role="alert" data-testid="error">
      <strong>Could not load this view</strong>
      <p>{errorMessage(error)}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}
