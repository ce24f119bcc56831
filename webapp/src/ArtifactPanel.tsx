import { useEffect, useState } from "react";
import { ApiError, api, download, send } from "./api/client";
import { route, type Artifact, type ArtifactResponse, type CodeResponse, type DiffResponse } from "./api/types";
import { highlight, escapeHTML } from "./render/highlight";

type Tab = "preview" | "code" | "versions";

interface BuildState {
  ok: boolean | null; // null: not previewable
  errors: string[];
}

// ArtifactPanel shows one artifact version: its live preview (the
// previewUrl, whose token opens only this artifact: the user's token never
// goes in a URL), its code, its versions with a diff, and its exports.
export function ArtifactPanel({
  artifactId,
  busy,
  onOpen,
  onClose,
  onFix,
  onError,
}: {
  artifactId: string;
  busy: boolean;
  onOpen: (id: string) => void;
  onClose: () => void;
  onFix: (a: Artifact) => void;
  onError: (e: unknown) => void;
}) {
  const [artifact, setArtifact] = useState<Artifact | null>(null);
  const [build, setBuild] = useState<BuildState | null>(null);
  const [tab, setTab] = useState<Tab>("preview");
  // The preview page starts once the reply is done and painted: it runs
  // model code (React, Tailwind's compiler) that would hold up the stream.
  const [framed, setFramed] = useState(false);
  useEffect(() => {
    if (busy) {
      setFramed(false);
      return;
    }
    let timer = 0;
    const frame = requestAnimationFrame(() => {
      timer = window.setTimeout(() => setFramed(true), 100);
    });
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
    };
  }, [busy]);

  useEffect(() => {
    let live = true;
    api<ArtifactResponse>("GET", route("/api/artifacts/{id}", { id: artifactId }))
      .then((r) => {
        if (!live) return;
        setArtifact(r.artifact);
        return send("POST", route("/api/artifacts/{id}/build", { id: artifactId }))
          .then(() => live && setBuild({ ok: true, errors: [] }))
          .catch((e) => {
            if (!live) return;
            if (e instanceof ApiError && e.code === "not_previewable") {
              setBuild({ ok: null, errors: [] });
              setTab("code");
            } else if (e instanceof ApiError && e.code === "build_failed") {
              setBuild({ ok: false, errors: (e.details || []).map((d) => d.text || d.message || "").filter(Boolean) });
            } else {
              setBuild({ ok: false, errors: [e instanceof Error ? e.message : String(e)] });
            }
          });
      })
      .catch((e) => live && onError(e));
    return () => {
      live = false;
    };
  }, [artifactId, onError]);

  const exportHTML = async () => {
    try {
      await download(await send("POST", route("/api/artifacts/{id}/html-export", { id: artifactId }, { download: "1" })), "artifact.html");
    } catch (e) {
      onError(e);
    }
  };
  const downloadCode = async () => {
    try {
      await download(await send("GET", route("/api/artifacts/{id}/download", { id: artifactId })), artifact?.title || "artifact");
    } catch (e) {
      onError(e);
    }
  };

  return (
    <aside className="panel" aria-label="Artifact">
      <div className="panel-head">
        <div className="panel-title">
          <strong>{artifact?.title ?? "Artifact"}</strong>
          {artifact && (
            <span className="artifact-meta">
              {artifact.type} · v{artifact.version || 1}
            </span>
          )}
        </div>
        <button type="button" className="icon" aria-label="Close artifact" onClick={onClose}>
          ×
        </button>
      </div>
      <div className="tabs" role="tablist" aria-label="Artifact views">
        {(["preview", "code", "versions"] as Tab[]).map((t) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} onClick={() => setTab(t)} disabled={t === "preview" && build?.ok === null}>
            {t === "preview" ? "Preview" : t === "code" ? "Code" : "Versions"}
          </button>
        ))}
        <span className="spacer" />
        <button type="button" onClick={downloadCode}>
          Download
        </button>
        {build?.ok !== null && (
          <button type="button" onClick={exportHTML}>
            Export HTML
          </button>
        )}
      </div>
      {build?.ok === false && artifact && (
        <div className="build-failed" role="alert">
          <strong>The build failed.</strong>
          <ul>
            {build.errors.map((e, i) => (
              <li key={i}>
                <code>{e}</code>
              </li>
            ))}
          </ul>
          <button type="button" className="primary" disabled={busy} onClick={() => onFix(artifact)}>
            Fix
          </button>
        </div>
      )}
      <div className="panel-body">
        {artifact && tab === "preview" && build?.ok !== null && !framed && (
          <p className="hint">The preview starts when the reply is done: a page that runs beside a stream would slow it down.</p>
        )}
        {artifact && tab === "preview" && build?.ok !== null && framed && (
          <>
            <iframe
              title="Preview"
              className="preview"
              src={artifact.previewUrl}
              sandbox="allow-scripts allow-forms"
              referrerPolicy="no-referrer"
            />
            <a className="open-tab" href={artifact.previewUrl} target="_blank" rel="noopener noreferrer">
              Open preview in a new tab
            </a>
          </>
        )}
        {artifact && tab === "code" && <CodeView artifact={artifact} onError={onError} />}
        {artifact && tab === "versions" && <Versions artifact={artifact} onOpen={onOpen} onError={onError} />}
      </div>
    </aside>
  );
}

function CodeView({ artifact, onError }: { artifact: Artifact; onError: (e: unknown) => void }) {
  const [code, setCode] = useState<CodeResponse | null>(null);
  const [file, setFile] = useState<string | null>(null);
  useEffect(() => {
    api<CodeResponse>("GET", route("/api/artifacts/{id}/code", { id: artifact.id }))
      .then((c) => {
        setCode(c);
        setFile(c.entry || c.files?.[0]?.path || null);
      })
      .catch(onError);
  }, [artifact.id, onError]);
  if (!code) return <p className="hint">Loading…</p>;
  const shown = code.files?.find((f) => f.path === file);
  const text = shown ? shown.code : code.code;
  const lang = shown ? shown.language : artifact.language;
  return (
    <div className="code-view">
      {code.files && code.files.length > 1 && (
        <div className="files" role="group" aria-label="Files">
          {code.files.map((f) => (
            <button key={f.path} type="button" aria-pressed={f.path === file} onClick={() => setFile(f.path)}>
              {f.path}
            </button>
          ))}
        </div>
      )}
      <pre className="code">
        <code className="hljs" dangerouslySetInnerHTML={{ __html: highlight(text, lang) }} />
      </pre>
    </div>
  );
}

function Versions({ artifact, onOpen, onError }: { artifact: Artifact; onOpen: (id: string) => void; onError: (e: unknown) => void }) {
  const versions = artifact.versions || [];
  const [diff, setDiff] = useState<DiffResponse | null>(null);
  const [from, setFrom] = useState(Math.max(1, artifact.version - 1));
  useEffect(() => {
    if (artifact.version <= 1) return;
    api<DiffResponse>("GET", route("/api/artifacts/{id}/diff", { id: artifact.id }, { from: String(from), to: String(artifact.version) }))
      .then(setDiff)
      .catch(onError);
  }, [artifact.id, artifact.version, from, onError]);
  return (
    <div className="versions">
      <ol className="version-list">
        {versions.map((v) => (
          <li key={v.id}>
            <button type="button" aria-current={v.id === artifact.id ? "true" : undefined} onClick={() => onOpen(v.id)}>
              Version {v.version}
            </button>
            <span className="hint"> {new Date(v.createdAt).toLocaleString()}</span>
          </li>
        ))}
      </ol>
      {artifact.version > 1 ? (
        <>
          <label className="diff-from">
            Compare with version{" "}
            <select value={from} onChange={(e) => setFrom(Number(e.target.value))}>
              {versions
                .filter((v) => v.version < artifact.version)
                .map((v) => (
                  <option key={v.id} value={v.version}>
                    {v.version}
                  </option>
                ))}
            </select>
          </label>
          {diff && <DiffView diff={diff.diff} />}
        </>
      ) : (
        <p className="hint">This is the first version: a fix or a later reply that rewrites it adds the next.</p>
      )}
    </div>
  );
}

// DiffView shows the API's unified diff, a line each, marked as added,
// removed or context.
function DiffView({ diff }: { diff: string }) {
  const lines = diff.replace(/\n$/, "").split("\n");
  const html = lines
    .map((l) => {
      const cls = l.startsWith("+++") || l.startsWith("---") ? "file" : l.startsWith("@@") ? "hunk" : l.startsWith("+") ? "add" : l.startsWith("-") ? "del" : "ctx";
      return `<span class="diff-${cls}">${escapeHTML(l)}</span>`;
    })
    .join("\n");
  return (
    <pre className="code diff" aria-label="Diff">
      <code dangerouslySetInnerHTML={{ __html: html }} />
    </pre>
  );
}
