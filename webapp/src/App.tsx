import { useCallback, useEffect, useState } from "react";
import { api, getToken, send, setToken, setUnauthorizedHandler } from "./api/client";
import { route, type MeResponse, type User } from "./api/types";
import { AuthScreen } from "./Auth";
import { Workspace } from "./Workspace";

// App is signed out (the auth screen) or signed in (the workspace); a
// stored token is checked with /api/auth/me before the workspace shows.
export function App() {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(() => getToken() !== null);

  const signOutLocally = useCallback(() => {
    setToken(null);
    sessionStorage.clear();
    setUser(null);
  }, []);

  useEffect(() => {
    setUnauthorizedHandler(signOutLocally);
    if (!getToken()) return;
    api<MeResponse>("GET", route("/api/auth/me"))
      .then((r) => setUser(r.user))
      .catch(() => signOutLocally())
      .finally(() => setChecking(false));
  }, [signOutLocally]);

  const signOut = useCallback(async () => {
    try {
      await send("POST", route("/api/auth/logout"));
    } catch {
      // Signed out here whatever the server says.
    }
    signOutLocally();
  }, [signOutLocally]);

  if (checking) {
    return (
      <div className="shell-loading" aria-busy="true">
        <span className="brand">Zocket</span>
      </div>
    );
  }
  if (!user) {
    return (
      <AuthScreen
        onSignedIn={(u, token) => {
          setToken(token);
          setUser(u);
        }}
      />
    );
  }
  return <Workspace user={user} setUser={setUser} onSignOut={signOut} />;
}
