import { useCallback, useEffect, useRef, useState } from "react";
import { ApiError, api, describe, download, errorOf, getToken, send } from "./api/client";
import { open, readEvents, type SSEEvent } from "./api/sse";
import {
  route,
  type Artifact,
  type Body,
  type Chunk,
  type Complete,
  type Message,
  type Metadata,
  type StreamError,
  type Thread,
  type UsageResponse,
  type User,
  type ZipLink,
} from "./api/types";
import { ArtifactPanel } from "./ArtifactPanel";
import { Chat, type Banner, type UIMessage } from "./Chat";
import { loadPending, savePending, type PendingTurn } from "./pending";
import { Sidebar } from "./Sidebar";
import { chunkReceived } from "./timing";

interface Turn {
  conversationId: string | null;
  messageId: string | null; // the reply's id, from metadata
  tempId: string; // the reply's id in the list until metadata names it
  lastEventId: string | null;
  controller: AbortController;
  stopping: boolean;
}

function conversationFromHash(): string | null {
  const m = /^#\/c\/([0-9a-fA-F-]{36})$/.exec(location.hash);
  return m ? m[1] : null;
}

function fromServer(m: Message): UIMessage {
  return {
    id: m.id,
    role: m.role === "USER" ? "USER" : "ASSISTANT",
    content: m.content,
    artifacts: m.artifacts || [],
    builds: {},
    stopped: m.stopped,
    alternatives: m.alternatives,
  };
}

let tempSeq = 0;
const tempId = () => `local-${++tempSeq}`;

export function Workspace({
  user,
  setUser,
  onSignOut,
}: {
  user: User;
  setUser: (u: User) => void;
  onSignOut: () => void;
}) {
  const [conversationId, setConversationId] = useState<string | null>(conversationFromHash);
  const [title, setTitle] = useState<string>("");
  const [messages, setMessages] = useState<UIMessage[]>([]);
  const [loading, setLoading] = useState(false);
  const [streaming, setStreaming] = useState(false);
  const [banner, setBanner] = useState<Banner | null>(null);
  const [panel, setPanel] = useState<string | null>(null);
  const [usage, setUsage] = useState<UsageResponse | null>(null);
  const [listVersion, setListVersion] = useState(0);
  const [sidebarOpen, setSidebarOpen] = useState(false);
  const turn = useRef<Turn | null>(null);
  // The conversation on screen: a reply that starts one sets it, so that
  // opening it (the hash changed) does not load it again.
  const opened = useRef<string | null | undefined>(undefined);
  const textRef = useRef<Map<string, string>>(new Map());
  const userRef = useRef(user);
  userRef.current = user;

  // reportError is stable: the panel and the sidebar load again when it
  // changes.
  const reportError = useCallback((e: unknown) => setBanner({ kind: "error", text: describe(e) }), []);
  const onDeleted = useCallback(
    (id: string) => {
      if (id === opened.current) location.hash = "#/";
    },
    [],
  );
  const onRenamed = useCallback((id: string, t: string) => {
    if (id === opened.current) setTitle(t);
  }, []);

  const replaceMessage = useCallback((oldId: string, m: UIMessage) => {
    setMessages((ms) => ms.map((x) => (x.id === oldId ? m : x)));
  }, []);

  const refreshUsage = useCallback(() => {
    api<UsageResponse>("GET", route("/api/usage"))
      .then(setUsage)
      .catch(() => {});
  }, []);
  useEffect(refreshUsage, [refreshUsage]);

  const updateMessage = useCallback((id: string, f: (m: UIMessage) => UIMessage) => {
    setMessages((ms) => ms.map((m) => (m.id === id ? f(m) : m)));
  }, []);

  // loadThread shows a conversation as the server has it.
  const loadThread = useCallback(async (id: string): Promise<UIMessage[] | null> => {
    try {
      const t = await api<Thread>("GET", route("/api/conversations/{id}", { id }));
      const ms = t.conversation.messages.filter((m) => m.role !== "SYSTEM").map(fromServer);
      setTitle(t.conversation.title);
      setMessages(ms);
      return ms;
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        location.hash = "#/";
      }
      setBanner({ kind: "error", text: describe(e) });
      return null;
    }
  }, []);

  // handle applies one event of a reply's stream to the list.
  const handle = useCallback(
    (t: Turn, e: SSEEvent) => {
      if (e.id) t.lastEventId = e.id;
      let env: { type: string; data: unknown };
      try {
        env = JSON.parse(e.data);
      } catch {
        return;
      }
      const id = t.messageId ?? t.tempId;
      switch (e.event) {
        case "metadata": {
          const m = env.data as Metadata;
          const isNew = t.conversationId !== m.conversationId;
          t.conversationId = m.conversationId;
          t.messageId = m.messageId;
          const prev = textRef.current.get(t.tempId) ?? "";
          textRef.current.set(m.messageId, prev);
          setMessages((ms) =>
            ms.map((x) =>
              x.id === t.tempId ? { ...x, id: m.messageId } : x.id === "local-user-" + t.tempId ? { ...x, id: m.userMessageId } : x,
            ),
          );
          if (isNew) {
            opened.current = m.conversationId;
            setTitle(m.title);
            setConversationId(m.conversationId);
            history.replaceState(null, "", `#/c/${m.conversationId}`);
            setListVersion((v) => v + 1);
          }
          savePending({ conversationId: m.conversationId, messageId: m.messageId, lastEventId: null, text: "", artifacts: [] });
          break;
        }
        case "chunk": {
          const c = env.data as Chunk;
          if ("text" in c) {
            chunkReceived();
            const text = (textRef.current.get(id) ?? "") + c.text;
            textRef.current.set(id, text);
            updateMessage(id, (m) => ({ ...m, content: text }));
          } else if (c.type === "artifact") {
            const a = c.artifact;
            updateMessage(id, (m) => ({
              ...m,
              artifacts: [...m.artifacts.filter((x) => x.id !== a.id), a],
            }));
            setPanel(a.id);
          } else if (c.type === "build") {
            const b = c.buildResult;
            updateMessage(id, (m) => ({ ...m, builds: { ...m.builds, [b.artifactId]: b } }));
          } else if (c.type === "artifact_error") {
            const note = c.message;
            updateMessage(id, (m) => ({ ...m, notes: [...(m.notes || []), note] }));
          }
          break;
        }
        case "complete": {
          const c = env.data as Complete;
          updateMessage(id, (m) => ({ ...m, streaming: false, stopped: c.reason === "stopped" }));
          if (c.title) setTitle(c.title);
          setUser({ ...userRef.current, credits: c.credits });
          break;
        }
        case "error": {
          const s = env.data as StreamError;
          updateMessage(id, (m) => ({ ...m, streaming: false, error: s.error }));
          break;
        }
      }
    },
    [setUser, updateMessage],
  );

  // run streams a reply: a send, a regenerate, a fix, or a resume; a
  // connection that breaks is resumed from the last event (three tries).
  const run = useCallback(
    async (t: Turn, method: string, path: string, body: unknown) => {
      turn.current = t;
      setStreaming(true);
      let req = { method, path, body };
      let tries = 0;
      try {
        for (;;) {
          let end: "done" | "cut";
          try {
            const res = await open(req.method, req.path, req.body, getToken(), t.lastEventId, t.controller.signal);
            if (!res.ok) throw await errorOf(res);
            end = await readEvents(res, t.controller.signal, (e) => handle(t, e));
          } catch (e) {
            if (t.controller.signal.aborted) return;
            // Resuming, a gateway's 5xx is the connection still down.
            const down = e instanceof ApiError && (e.status === 0 || (tries > 0 && e.status >= 500));
            if (!down) throw e;
            end = "cut";
          }
          if (end === "done" || t.controller.signal.aborted) break;
          if (!t.messageId || tries >= 3) {
            throw new ApiError(0, { message: "Connection lost: the reply stopped arriving." }, null);
          }
          tries++;
          setBanner({ kind: "info", text: "Connection lost. Reconnecting…" });
          await new Promise((r) => setTimeout(r, 250 * 2 ** tries));
          req = { method: "GET", path: route("/api/chat/stream/{messageId}", { messageId: t.messageId }), body: undefined };
        }
        setBanner((b) => (b && b.kind === "info" ? null : b));
        savePending(null);
        const id = t.messageId ?? t.tempId;
        updateMessage(id, (m) => ({ ...m, streaming: false }));
        refreshUsage();
        setListVersion((v) => v + 1);
      } catch (e) {
        const id = t.messageId ?? t.tempId;
        if (e instanceof ApiError && e.status === 0 && t.messageId) {
          const resume = () => {
            setBanner(null);
            updateMessage(id, (m) => ({ ...m, streaming: true }));
            void run({ ...t, controller: new AbortController() }, "GET", route("/api/chat/stream/{messageId}", { messageId: t.messageId! }), undefined);
          };
          setBanner({ kind: "error", text: "Connection lost.", action: { label: "Reconnect", run: resume } });
          updateMessage(id, (m) => ({ ...m, streaming: false }));
          return;
        }
        // Refused before the reply started: the placeholders go.
        if (!t.messageId) {
          setMessages((ms) => ms.filter((m) => m.id !== t.tempId && m.id !== "local-user-" + t.tempId));
        } else {
          updateMessage(id, (m) => ({ ...m, streaming: false }));
        }
        const b: Banner = { kind: "error", text: describe(e) };
        if (e instanceof ApiError && (e.status === 429 || e.status === 503) && e.retryAfter != null) b.retryUntil = Date.now() + e.retryAfter * 1000;
        setBanner(b);
        savePending(null);
      } finally {
        if (turn.current === t) {
          turn.current = null;
          setStreaming(false);
        }
      }
    },
    [handle, refreshUsage, updateMessage],
  );

  const newTurn = (conversation: string | null, tid: string): Turn => ({
    conversationId: conversation,
    messageId: null,
    tempId: tid,
    lastEventId: null,
    controller: new AbortController(),
    stopping: false,
  });

  const sendMessage = useCallback(
    (text: string) => {
      if (turn.current) return;
      setBanner(null);
      const tid = tempId();
      textRef.current.set(tid, "");
      setMessages((ms) => [
        ...ms,
        { id: "local-user-" + tid, role: "USER", content: text, artifacts: [], builds: {} },
        { id: tid, role: "ASSISTANT", content: "", artifacts: [], builds: {}, streaming: true },
      ]);
      const body: Body<"/api/chat/send", "post"> = { message: text, stream: true, enableBuilding: true };
      if (conversationId) body.conversationId = conversationId;
      void run(newTurn(conversationId, tid), "POST", route("/api/chat/send"), body);
    },
    [conversationId, run],
  );

  const stop = useCallback(async () => {
    const t = turn.current;
    if (!t || !t.messageId || t.stopping) return;
    t.stopping = true;
    try {
      await send("POST", route("/api/chat/stop/{messageId}", { messageId: t.messageId }));
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 409)) setBanner({ kind: "error", text: describe(e) });
    }
  }, []);

  const regenerate = useCallback(
    async (messageId: string) => {
      if (turn.current || !conversationId) return;
      setBanner(null);
      const tid = tempId();
      textRef.current.set(tid, "");
      setMessages((ms) => ms.map((m) => (m.id === messageId ? { id: tid, role: "ASSISTANT", content: "", artifacts: [], builds: {}, streaming: true } : m)));
      const t = newTurn(conversationId, tid);
      await run(t, "POST", route("/api/chat/regenerate/{messageId}", { messageId }), { stream: true } satisfies Body<"/api/chat/regenerate/{messageId}", "post">);
      if (t.messageId) await loadThread(conversationId);
    },
    [conversationId, loadThread, run],
  );

  const fix = useCallback(
    async (a: Artifact) => {
      if (turn.current) return;
      setBanner(null);
      const tid = tempId();
      textRef.current.set(tid, "");
      setMessages((ms) => [
        ...ms,
        { id: "local-user-" + tid, role: "USER", content: `Fix the build errors of ${a.title}`, artifacts: [], builds: {} },
        { id: tid, role: "ASSISTANT", content: "", artifacts: [], builds: {}, streaming: true },
      ]);
      const t = newTurn(a.conversationId, tid);
      await run(t, "POST", route("/api/artifacts/{id}/fix", { id: a.id }), { stream: true } satisfies Body<"/api/artifacts/{id}/fix", "post">);
      if (t.messageId) await loadThread(a.conversationId);
    },
    [loadThread, run],
  );

  // Escape stops the reply, wherever the focus is.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape" && turn.current) void stop();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [stop]);

  // The reply so far is kept when the page goes away (a reload).
  useEffect(() => {
    const onHide = () => {
      const t = turn.current;
      if (!t || !t.messageId || !t.conversationId) return;
      savePending({
        conversationId: t.conversationId,
        messageId: t.messageId,
        lastEventId: t.lastEventId,
        text: textRef.current.get(t.messageId) ?? "",
        artifacts: [],
      });
    };
    window.addEventListener("pagehide", onHide);
    return () => window.removeEventListener("pagehide", onHide);
  }, []);

  // Opening a conversation (the hash), and resuming its reply in progress.
  useEffect(() => {
    if (opened.current === conversationId) return;
    if (turn.current && turn.current.conversationId === conversationId) {
      opened.current = conversationId;
      return;
    }
    opened.current = conversationId;
    turn.current?.controller.abort();
    setPanel(null);
    setBanner(null);
    if (!conversationId) {
      setMessages([]);
      setTitle("");
      return;
    }
    setLoading(true);
    void loadThread(conversationId).then((ms) => {
      setLoading(false);
      const p: PendingTurn | null = loadPending();
      if (!ms || !p || p.conversationId !== conversationId) return;
      if (ms.some((m) => m.id === p.messageId)) {
        savePending(null);
        return;
      }
      textRef.current.set(p.messageId, p.text);
      setMessages((list) => [...list, { id: p.messageId, role: "ASSISTANT", content: p.text, artifacts: p.artifacts, builds: {}, streaming: true }]);
      const t: Turn = { ...newTurn(conversationId, p.messageId), messageId: p.messageId, lastEventId: p.lastEventId };
      void run(t, "GET", route("/api/chat/stream/{messageId}", { messageId: p.messageId }), undefined);
    });
  }, [conversationId, loadThread, run]);

  useEffect(() => {
    const onHash = () => setConversationId(conversationFromHash());
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  const openConversation = (id: string | null) => {
    setSidebarOpen(false);
    location.hash = id ? `#/c/${id}` : "#/";
  };

  const exportAs = async (format: "json" | "markdown" | "zip") => {
    if (!conversationId) return;
    try {
      const res = await send("GET", route("/api/conversations/{id}/export", { id: conversationId }, { format }));
      if (format === "zip" && (res.headers.get("Content-Type") || "").startsWith("application/json")) {
        const link = (await res.json()) as ZipLink;
        window.location.assign(link.url);
        return;
      }
      const ext = format === "markdown" ? "md" : format;
      await download(res, `conversation-${conversationId}.${ext}`);
    } catch (e) {
      setBanner({ kind: "error", text: describe(e) });
    }
  };

  const credits = user.credits < 0 ? "Unlimited credits" : `${user.credits} credit${user.credits === 1 ? "" : "s"}`;
  const total = usage?.total;
  return (
    <div className={`workspace${panel ? " with-panel" : ""}${sidebarOpen ? " sidebar-open" : ""}`}>
      <header className="topbar">
        <button type="button" className="icon menu" aria-label="Conversations" aria-expanded={sidebarOpen} onClick={() => setSidebarOpen((o) => !o)}>
          ☰
        </button>
        <span className="brand">Zocket</span>
        <span className="spacer" />
        <span className="credits" data-testid="credits" aria-live="polite">
          {credits}
        </span>
        {total && (
          <span className="usage" data-testid="usage" title={`${usage!.from} to ${usage!.to}`}>
            30 days: {total.turns} turn{total.turns === 1 ? "" : "s"}, {(total.promptTokens + total.outputTokens).toLocaleString("en-US")} tokens
          </span>
        )}
        <span className="who">{user.username}</span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <Sidebar
        current={conversationId}
        version={listVersion}
        onOpen={openConversation}
        onDeleted={onDeleted}
        onRenamed={onRenamed}
        onError={reportError}
      />
      <Chat
        title={title}
        conversationId={conversationId}
        messages={messages}
        loading={loading}
        streaming={streaming}
        banner={banner}
        onDismissBanner={() => setBanner(null)}
        onSend={sendMessage}
        onStop={stop}
        onRegenerate={regenerate}
        onOpenArtifact={setPanel}
        onExport={exportAs}
        onReplaceAlternative={replaceMessage}
      />
      {panel && (
        <ArtifactPanel
          key={panel}
          artifactId={panel}
          busy={streaming}
          onOpen={setPanel}
          onClose={() => setPanel(null)}
          onFix={fix}
          onError={reportError}
        />
      )}
    </div>
  );
}
