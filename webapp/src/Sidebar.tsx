import { useCallback, useEffect, useRef, useState } from "react";
import { api } from "./api/client";
import { route, type Body, type ConversationItem, type ConversationList } from "./api/types";

const pageSize = 20;

// Sidebar lists the conversations, newest activity first, a page at a time
// as the list scrolls; search filters titles on the server.
export function Sidebar({
  current,
  version,
  onOpen,
  onDeleted,
  onRenamed,
  onError,
}: {
  current: string | null;
  version: number;
  onOpen: (id: string | null) => void;
  onDeleted: (id: string) => void;
  onRenamed: (id: string, title: string) => void;
  onError: (e: unknown) => void;
}) {
  const [items, setItems] = useState<ConversationItem[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const loadingRef = useRef(false);
  const generation = useRef(0);
  const sentinel = useRef<HTMLLIElement>(null);

  useEffect(() => {
    const t = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(t);
  }, [search]);

  const load = useCallback(
    async (after: string | null) => {
      const gen = generation.current;
      loadingRef.current = true;
      try {
        const q: Record<string, string> = { limit: String(pageSize) };
        if (query) q.search = query;
        if (after) q.cursor = after;
        const r = await api<ConversationList>("GET", route("/api/conversations", {}, q));
        if (gen !== generation.current) return;
        setItems((xs) => {
          const seen = new Set(after ? xs.map((x) => x.id) : []);
          return [...(after ? xs : []), ...r.conversations.filter((c) => !seen.has(c.id))];
        });
        setCursor(r.pagination.nextCursor || null);
        setHasMore(r.pagination.hasNext && !!r.pagination.nextCursor);
      } catch (e) {
        onError(e);
      } finally {
        if (gen === generation.current) loadingRef.current = false;
      }
    },
    [query, onError],
  );

  useEffect(() => {
    generation.current++;
    void load(null);
  }, [load, version]);

  // The next page loads when the end of the list comes into view.
  useEffect(() => {
    const el = sentinel.current;
    if (!el || !hasMore) return;
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !loadingRef.current && cursor) void load(cursor);
    });
    io.observe(el);
    return () => io.disconnect();
  }, [hasMore, cursor, load]);

  return (
    <nav className="sidebar" aria-label="Conversations">
      <button type="button" className="primary new-chat" onClick={() => onOpen(null)}>
        New chat
      </button>
      <input
        type="search"
        className="search"
        aria-label="Search conversations"
        placeholder="Search"
        value={search}
        onChange={(e) => setSearch(e.target.value)}
      />
      <ul className="conversations">
        {items.map((c) => (
          <ConversationRow
            key={c.id}
            c={c}
            active={c.id === current}
            onOpen={onOpen}
            onRenamed={(title) => {
              setItems((xs) => xs.map((x) => (x.id === c.id ? { ...x, title } : x)));
              onRenamed(c.id, title);
            }}
            onDeleted={() => {
              setItems((xs) => xs.filter((x) => x.id !== c.id));
              onDeleted(c.id);
            }}
            onError={onError}
          />
        ))}
        {items.length === 0 && <li className="hint">{query ? "No conversation matches." : "No conversations yet."}</li>}
        {hasMore && (
          <li ref={sentinel} className="hint">
            Loading more…
          </li>
        )}
      </ul>
    </nav>
  );
}

function ConversationRow({
  c,
  active,
  onOpen,
  onRenamed,
  onDeleted,
  onError,
}: {
  c: ConversationItem;
  active: boolean;
  onOpen: (id: string) => void;
  onRenamed: (title: string) => void;
  onDeleted: () => void;
  onError: (e: unknown) => void;
}) {
  const [mode, setMode] = useState<"view" | "rename" | "delete">("view");
  const [title, setTitle] = useState(c.title);

  const rename = async () => {
    const t = title.trim();
    if (!t || t === c.title) {
      setMode("view");
      return;
    }
    try {
      await api("PUT", route("/api/conversations/{id}", { id: c.id }), { title: t } satisfies Body<"/api/conversations/{id}", "put">);
      onRenamed(t);
      setMode("view");
    } catch (e) {
      onError(e);
    }
  };
  const remove = async () => {
    try {
      await api("DELETE", route("/api/conversations/{id}", { id: c.id }));
      onDeleted();
    } catch (e) {
      onError(e);
    }
  };

  if (mode === "rename") {
    return (
      <li className="conversation editing">
        <input
          aria-label="Title"
          value={title}
          autoFocus
          onChange={(e) => setTitle(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter") void rename();
            if (e.key === "Escape") setMode("view");
          }}
        />
        <button type="button" onClick={() => void rename()}>
          Save
        </button>
      </li>
    );
  }
  if (mode === "delete") {
    return (
      <li className="conversation confirming">
        <span>Delete “{c.title}”?</span>
        <button type="button" className="danger" onClick={() => void remove()}>
          Delete
        </button>
        <button type="button" onClick={() => setMode("view")}>
          Cancel
        </button>
      </li>
    );
  }
  return (
    <li className={`conversation${active ? " active" : ""}`}>
      <a href={`#/c/${c.id}`} className="conversation-title" aria-current={active ? "page" : undefined} onClick={(e) => { e.preventDefault(); onOpen(c.id); }}>
        {c.title}
      </a>
      <button type="button" className="icon" aria-label={`Rename ${c.title}`} onClick={() => { setTitle(c.title); setMode("rename"); }}>
        ✎
      </button>
      <button type="button" className="icon" aria-label={`Delete ${c.title}`} onClick={() => setMode("delete")}>
        <svg width="14" height="14" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
          <path d="M3 6h18M8 6V4h8v2M6 6l1 14h10l1-14" />
        </svg>
      </button>
    </li>
  );
}
