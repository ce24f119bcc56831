// The API client: one fetch wrapper that sends the token in the
// Authorization header (never in a URL), decodes the error envelope and
// reads Retry-After.

import type { ErrorBody } from "./types";

const tokenKey = "zocket.token";

// The session's token lives in memory and in localStorage, so that a reload
// or a second tab stays signed in (docs/webapp.md says why localStorage).
let token: string | null = readStoredToken();

function readStoredToken(): string | null {
  try {
    return localStorage.getItem(tokenKey);
  } catch {
    return null;
  }
}

export function getToken(): string | null {
  return token;
}

export function setToken(t: string | null): void {
  token = t;
  try {
    if (t) localStorage.setItem(tokenKey, t);
    else localStorage.removeItem(tokenKey);
  } catch {
    // Storage refused (private mode): the token stays in memory.
  }
}

// ApiError is a failed request: the envelope's code and message, the
// status, and for a 429 how long to wait.
export class ApiError extends Error {
  status: number;
  code: string;
  retryAfter: number | null;
  details: ErrorBody["details"];

  constructor(status: number, body: Partial<ErrorBody>, retryAfter: number | null) {
    super(body.message || body.error || `Request failed (${status})`);
    this.status = status;
    this.code = body.code || (status === 0 ? "connection_lost" : "error");
    this.retryAfter = retryAfter;
    this.details = body.details;
  }
}

// onUnauthorized is called when the API refuses the token (a session ended
// elsewhere): the app signs out.
let onUnauthorized: () => void = () => {};

export function setUnauthorizedHandler(f: () => void): void {
  onUnauthorized = f;
}

export function retryAfterSeconds(h: Headers): number | null {
  const v = h.get("Retry-After");
  if (!v) return null;
  const n = Number(v);
  if (Number.isFinite(n)) return Math.max(0, Math.ceil(n));
  const when = Date.parse(v);
  return Number.isNaN(when) ? null : Math.max(0, Math.ceil((when - Date.now()) / 1000));
}

export function headers(extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { ...extra };
  if (token) h.Authorization = `Bearer ${token}`;
  return h;
}

// send makes a request and answers the raw response when it succeeded; a
// failure throws an ApiError (status 0: the connection was lost).
export async function send(method: string, path: string, body?: unknown, init?: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: headers(body === undefined ? undefined : { "Content-Type": "application/json" }),
      body: body === undefined ? undefined : JSON.stringify(body),
      ...init,
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, { message: "Connection lost: check your network and try again." }, null);
  }
  if (res.ok) return res;
  throw await errorOf(res);
}

// errorOf is a failed response as an ApiError (and the end of a session
// the API refused).
export async function errorOf(res: Response): Promise<ApiError> {
  let env: Partial<ErrorBody> = {};
  try {
    env = (await res.json()) as ErrorBody;
  } catch {
    // Not the envelope (a proxy's page): the status speaks.
  }
  if (res.status === 401 && token) onUnauthorized();
  return new ApiError(res.status, env, retryAfterSeconds(res.headers));
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  return (await res.json()) as T;
}

// download saves a response's body as a file, named by its
// Content-Disposition or fallback.
export async function download(res: Response, fallback: string): Promise<void> {
  const blob = await res.blob();
  const cd = res.headers.get("Content-Disposition") || "";
  const m = /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(cd);
  const name = m ? decodeURIComponent(m[1]) : fallback;
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

// describe is the sentence the app shows for a failure.
export function describe(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.status === 429) {
      return e.retryAfter != null
        ? `Too many requests: try again in ${e.retryAfter} s.`
        : `Too many requests: try again in a moment.`;
    }
    return e.message;
  }
  if (e instanceof Error) return e.message;
  return String(e);
}
