// Server-sent events over fetch: the chat routes are POSTs with a bearer
// token, which EventSource cannot send. Each event is handed on as soon as
// its blank line arrives.

import { ApiError } from "./client";

export interface SSEEvent {
  id: string | null;
  event: string;
  data: string;
}

// StreamEnd tells how a stream ended: with [DONE], or cut (the connection
// broke or the response ended without it).
export type StreamEnd = "done" | "cut";

// open starts a stream: the request with the token and Last-Event-ID in
// headers.
export async function open(
  method: string,
  path: string,
  body: unknown,
  token: string | null,
  lastEventId: string | null,
  signal: AbortSignal,
): Promise<Response> {
  const h: Record<string, string> = { Accept: "text/event-stream" };
  if (token) h.Authorization = `Bearer ${token}`;
  if (body !== undefined) h["Content-Type"] = "application/json";
  if (lastEventId) h["Last-Event-ID"] = lastEventId;
  let res: Response;
  try {
    res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, { message: "Connection lost: check your network and try again." }, null);
  }
  return res;
}

export async function readEvents(res: Response, signal: AbortSignal, onEvent: (e: SSEEvent) => void): Promise<StreamEnd> {
  if (!res.body) return "cut";
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let id: string | null = null;
  let event = "message";
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return "cut";
      if (signal.aborted) return "cut";
      buf += value;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line === "") {
          if (data.length) {
            const d = data.join("\n");
            if (d === "[DONE]") return "done";
            onEvent({ id, event, data: d });
          }
          id = null;
          event = "message";
          data = [];
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "id") id = val;
        else if (field === "event") event = val;
        else if (field === "data") data.push(val);
      }
    }
  } catch (e) {
    if ((e as Error).name === "AbortError") return "cut";
    return "cut";
  } finally {
    reader.releaseLock();
  }
}
