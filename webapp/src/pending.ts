// A reply in progress survives a reload: its ids are kept in
// sessionStorage (this tab only) when metadata arrives, and the text so far
// with the last event's id when the page goes away, so the reloaded page
// shows what it had and resumes from there (GET /api/chat/stream/{id} with
// Last-Event-ID). Without the text, it resumes from the start.

import type { Artifact } from "./api/types";

export interface PendingTurn {
  conversationId: string;
  messageId: string;
  lastEventId: string | null;
  text: string;
  artifacts: Artifact[];
}

const key = "zocket.turn";

export function savePending(p: PendingTurn | null): void {
  try {
    if (p) sessionStorage.setItem(key, JSON.stringify(p));
    else sessionStorage.removeItem(key);
  } catch {
    // Full or refused: a reload then starts the reply's stream over.
  }
}

export function loadPending(): PendingTurn | null {
  try {
    const s = sessionStorage.getItem(key);
    return s ? (JSON.parse(s) as PendingTurn) : null;
  } catch {
    return null;
  }
}
