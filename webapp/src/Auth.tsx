import { useState, type FormEvent } from "react";
import { ApiError, api, describe } from "./api/client";
import { route, type AuthResponse, type Body, type User } from "./api/types";

// AuthScreen signs in or creates an account; either way the answer holds
// the token, which the app keeps out of every URL.
export function AuthScreen({ onSignedIn }: { onSignedIn: (u: User, token: string) => void }) {
  const [mode, setMode] = useState<"signin" | "register">("signin");
  const [email, setEmail] = useState("");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setFieldErrors({});
    try {
      const r =
        mode === "signin"
          ? await api<AuthResponse>("POST", route("/api/auth/login"), { email, password } satisfies Body<"/api/auth/login", "post">)
          : await api<AuthResponse>("POST", route("/api/auth/register"), { email, username, password } satisfies Body<"/api/auth/register", "post">);
      onSignedIn(r.user, r.token);
    } catch (err) {
      setError(describe(err));
      if (err instanceof ApiError && err.details) {
        const f: Record<string, string> = {};
        for (const d of err.details) if (d.field && d.message) f[d.field] = d.message;
        setFieldErrors(f);
      }
    } finally {
      setBusy(false);
    }
  }

  const register = mode === "register";
  return (
    <main className="auth">
      <form className="auth-card" onSubmit={submit} noValidate>
        <h1 className="brand">Zocket</h1>
        <p className="auth-lead">{register ? "Create an account to start building." : "Sign in to your workspace."}</p>
        <label>
          Email
          <input type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          {fieldErrors.email && <span className="field-error">{fieldErrors.email}</span>}
        </label>
        {register && (
          <label>
            Username
            <input autoComplete="username" value={username} onChange={(e) => setUsername(e.target.value)} required />
            {fieldErrors.username && <span className="field-error">{fieldErrors.username}</span>}
          </label>
        )}
        <label>
          Password
          <input
            type="password"
            autoComplete={register ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            required
          />
          {fieldErrors.password && <span className="field-error">{fieldErrors.password}</span>}
        </label>
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          {register ? "Create account" : "Sign in"}
        </button>
        <p className="auth-switch">
          {register ? "Already have an account?" : "New here?"}{" "}
          <button
            type="button"
            className="link"
            onClick={() => {
              setMode(register ? "signin" : "register");
              setError(null);
              setFieldErrors({});
            }}
          >
            {register ? "Sign in" : "Create account"}
          </button>
        </p>
      </form>
    </main>
  );
}
