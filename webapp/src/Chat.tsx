import { memo, useEffect, useRef, useState, type KeyboardEvent } from "react";
import { errorOf, getToken } from "./api/client";
import { open, readEvents } from "./api/sse";
import { route, type Alternatives, type Artifact, type BuildResult, type Chunk } from "./api/types";
import { Markdown } from "./Markdown";

// Banner is what went wrong, said once, above the composer.
export interface Banner {
  text: string;
  kind: "error" | "info";
  retryUntil?: number; // a 429 or 503: when sending may start again (its Retry-After)
  action?: { label: string; run: () => void };
}

// UIMessage is a message as the list shows it.
export interface UIMessage {
  id: string;
  role: "USER" | "ASSISTANT";
  content: string;
  artifacts: Artifact[];
  builds: Record<string, BuildResult>;
  streaming?: boolean;
  stopped?: boolean;
  error?: string;
  notes?: string[];
  alternatives?: Alternatives;
}

interface ChatProps {
  title: string;
  conversationId: string | null;
  messages: UIMessage[];
  loading: boolean;
  streaming: boolean;
  banner: Banner | null;
  onDismissBanner: () => void;
  onSend: (text: string) => void;
  onStop: () => void;
  onRegenerate: (messageId: string) => void;
  onOpenArtifact: (id: string) => void;
  onExport: (format: "json" | "markdown" | "zip") => void;
  onReplaceAlternative: (oldId: string, m: UIMessage) => void;
}

export function Chat(p: ChatProps) {
  const logRef = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const lastAssistant = [...p.messages].reverse().find((m) => m.role === "ASSISTANT");

  // The list follows a reply as it grows, unless the reader scrolled up.
  useEffect(() => {
    const el = logRef.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [p.messages]);

  return (
    <section className="chat" aria-label="Chat">
      <div className="chat-head">
        <h2 className="chat-title">{p.title || "New chat"}</h2>
        {p.conversationId && (
          <div className="exports" role="group" aria-label="Export conversation">
            <span className="hint">Export</span>
            <button type="button" aria-label="Export JSON" onClick={() => p.onExport("json")}>
              JSON
            </button>
            <button type="button" aria-label="Export Markdown" onClick={() => p.onExport("markdown")}>
              Markdown
            </button>
            <button type="button" aria-label="Export ZIP" onClick={() => p.onExport("zip")}>
              ZIP
            </button>
          </div>
        )}
      </div>
      <div
        className="messages"
        role="log"
        aria-label="Messages"
        aria-live="polite"
        aria-busy={p.streaming}
        ref={logRef}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        }}
      >
        {p.loading && <p className="hint">Loading…</p>}
        {!p.loading && p.messages.length === 0 && (
          <div className="empty">
            <h3>What shall we build?</h3>
            <p>Ask for a React component, a page or a script: code in the reply becomes an artifact with a live preview.</p>
          </div>
        )}
        {p.messages.map((m) => (
          <MessageView
            key={m.id}
            m={m}
            canRegenerate={!p.streaming && m === lastAssistant && !m.id.startsWith("local-")}
            onRegenerate={p.onRegenerate}
            onOpenArtifact={p.onOpenArtifact}
            onReplace={p.onReplaceAlternative}
          />
        ))}
      </div>
      {p.banner && <BannerView banner={p.banner} onDismiss={p.onDismissBanner} />}
      <Composer streaming={p.streaming} onSend={p.onSend} onStop={p.onStop} blockedUntil={p.banner?.retryUntil} />
    </section>
  );
}

const MessageView = memo(function MessageView({
  m,
  canRegenerate,
  onRegenerate,
  onOpenArtifact,
  onReplace,
}: {
  m: UIMessage;
  canRegenerate: boolean;
  onRegenerate: (id: string) => void;
  onOpenArtifact: (id: string) => void;
  onReplace: (oldId: string, m: UIMessage) => void;
}) {
  if (m.role === "USER") {
    return (
      <article className="msg user" aria-label="You">
        <div className="bubble">{m.content}</div>
      </article>
    );
  }
  return (
    <article className="msg assistant" aria-label="Assistant" data-message-id={m.id}>
      <Markdown text={m.content} />
      {m.streaming && m.content === "" && <span className="typing" aria-label="Writing" />}
      {m.notes?.map((n, i) => (
        <p key={i} className="note">
          {n}
        </p>
      ))}
      {m.artifacts.map((a) => (
        <ArtifactCard key={a.id} a={a} build={m.builds[a.id]} onOpen={onOpenArtifact} />
      ))}
      {m.stopped && <p className="note">Stopped.</p>}
      {m.error && (
        <p className="error" role="alert">
          {m.error}
        </p>
      )}
      {!m.streaming && (
        <div className="msg-actions">
          {m.alternatives && m.alternatives.count > 1 && <AlternativeNav m={m} onReplace={onReplace} />}
          {canRegenerate && (
            <button type="button" onClick={() => onRegenerate(m.id)}>
              Regenerate
            </button>
          )}
        </div>
      )}
    </article>
  );
});

function ArtifactCard({ a, build, onOpen }: { a: Artifact; build?: BuildResult; onOpen: (id: string) => void }) {
  const status = build ? (build.success ? "Built" : "Build failed") : null;
  return (
    <button type="button" className="artifact-card" onClick={() => onOpen(a.id)} aria-label={`Open artifact ${a.title}`}>
      <span className="artifact-kind">{a.type}</span>
      <span className="artifact-title">{a.title}</span>
      <span className="artifact-meta">
        v{a.version || 1} · {a.language}
        {status && <span className={build!.success ? "ok" : "bad"}> · {status}</span>}
      </span>
    </button>
  );
}

// AlternativeNav browses the replies to one message: the newest is in the
// conversation; an older one is read back from its stream (replayed from
// the saved reply).
function AlternativeNav({ m, onReplace }: { m: UIMessage; onReplace: (oldId: string, m: UIMessage) => void }) {
  const alt = m.alternatives!;
  const [busy, setBusy] = useState(false);
  const go = async (index: number) => {
    const id = alt.ids[index];
    setBusy(true);
    try {
      const ctl = new AbortController();
      const res = await open("GET", route("/api/chat/stream/{messageId}", { messageId: id }), undefined, getToken(), null, ctl.signal);
      if (!res.ok) throw await errorOf(res);
      let text = "";
      const artifacts: Artifact[] = [];
      await readEvents(res, ctl.signal, (e) => {
        if (e.event !== "chunk") return;
        const c = (JSON.parse(e.data) as { data: Chunk }).data;
        if ("text" in c) text += c.text;
        else if (c.type === "artifact") artifacts.push(c.artifact);
      });
      onReplace(m.id, { id, role: "ASSISTANT", content: text, artifacts, builds: {}, alternatives: { ...alt, index } });
    } catch {
      // The button stays; the reply shown does not change.
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="alternatives" role="group" aria-label="Alternatives">
      <button type="button" aria-label="Previous alternative" disabled={busy || alt.index === 0} onClick={() => go(alt.index - 1)}>
        ‹
      </button>
      <span className="alt-pos">
        {alt.index + 1} / {alt.count}
      </span>
      <button type="button" aria-label="Next alternative" disabled={busy || alt.index >= alt.count - 1} onClick={() => go(alt.index + 1)}>
        ›
      </button>
    </span>
  );
}

function BannerView({ banner, onDismiss }: { banner: Banner; onDismiss: () => void }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!banner.retryUntil) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [banner.retryUntil]);
  const left = banner.retryUntil ? Math.max(0, Math.ceil((banner.retryUntil - now) / 1000)) : null;
  return (
    <div className={`banner ${banner.kind}`} role="alert">
      <span>
        {banner.text}
        {left !== null && left > 0 && <span className="countdown"> ({left} s left)</span>}
      </span>
      {banner.action && (
        <button type="button" onClick={banner.action.run}>
          {banner.action.label}
        </button>
      )}
      <button type="button" className="icon" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

// Composer: Enter sends, Shift+Enter makes a new line, Escape stops.
function Composer({
  streaming,
  onSend,
  onStop,
  blockedUntil,
}: {
  streaming: boolean;
  onSend: (t: string) => void;
  onStop: () => void;
  blockedUntil?: number;
}) {
  const [text, setText] = useState("");
  const [, tick] = useState(0);
  const blocked = blockedUntil !== undefined && blockedUntil > Date.now();
  useEffect(() => {
    if (!blocked) return;
    const t = setTimeout(() => tick((n) => n + 1), blockedUntil! - Date.now() + 50);
    return () => clearTimeout(t);
  }, [blocked, blockedUntil]);
  const submit = () => {
    const t = text.trim();
    if (!t || streaming || blocked) return;
    onSend(t);
    setText("");
  };
  const onKey = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    } else if (e.key === "Escape" && streaming) {
      e.preventDefault();
      onStop();
    }
  };
  return (
    <form
      className="composer"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <textarea
        aria-label="Message"
        placeholder="Ask for a component, a page, a script…"
        rows={2}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKey}
      />
      {streaming ? (
        <button type="button" className="stop" onClick={onStop}>
          Stop
        </button>
      ) : (
        <button type="submit" className="primary" disabled={!text.trim() || blocked}>
          Send
        </button>
      )}
    </form>
  );
}
