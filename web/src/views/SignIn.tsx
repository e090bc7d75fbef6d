import { useState, type FormEvent } from 'react';

/** Asks for an API token; says so when the last one was refused. */
export function SignIn({ rejected, onToken }: { rejected: boolean; onToken: (token: string) => void }) {
  const [token, setToken] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (token.trim()) onToken(token.trim());
  };
  return (
    <div className="sign-in">
      <form onSubmit={submit} data-testid="sign-in">
        <h1>CloudTuner</h1>
        <p>Sign in with an API token of your organization.</p>
        {rejected ? (
          <p className="notice error" role="alert">
            That token was not accepted: it may be mistyped, revoked or expired.
          </p>
        ) : null}
        <label>
          API token
          <input
            type="password"
            name="token"
            autoComplete="off"
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="ctk_…"
          />
        </label>
        <button type="submit" disabled={!token.trim()}>
          Sign in
        </button>
        <p className="hint">
          The token is kept for this browser tab only. Operators issue one with{' '}
          <code>cloudtuner token create --org &lt;id&gt;</code>.
        </p>
      </form>
    </div>
  );
}
