// The API's bodies as the app reads them, named from the types generated
// from the OpenAPI document (schema.d.ts, `make webapp-types`): a contract
// change that breaks the app fails `tsc --noEmit` in `make test`.

import type { components, paths } from "./schema";

type S = components["schemas"];

export type User = S["auth.User"];
export type AuthResponse = S["auth.SessionResponse"];
export type MeResponse = S["auth.MeResponse"];
export type ErrorBody = S["httpapi.ErrorResponse"];
export type ConversationItem = S["conversations.ListItem"];
export type ConversationList = S["conversations.ListResponse"];
export type Artifact = S["artifactview.View"];
export type Alternatives = S["conversations.Alternatives"];
export type Message = S["conversations.Message"];
export type Thread = S["conversations.ThreadResponse"];
export type ArtifactResponse = S["artifacts.ArtifactResponse"];
export type CodeResponse = S["artifacts.CodeResponse"];
export type DiffResponse = S["artifacts.DiffResponse"];
export type UsageResponse = S["usage.Response"];
export type ZipLink = S["conversations.ZipLink"];

// Stream events (docs/chat.md): each event's data, by its name.
export type Metadata = S["chat.Metadata"];
export type BuildResult = S["chat.BuildResult"];
export type Chunk = S["chat.TextChunk"] | S["chat.ArtifactChunk"] | S["chat.BuildChunk"] | S["chat.ArtifactErrorChunk"];
export type Complete = S["chat.Complete"];
export type StreamError = S["chat.StreamError"];

// Path is a route of the document; route fills its {parameters}, so that a
// route the API no longer has fails the type check.
export type Path = keyof paths;

export function route(template: Path, params: Record<string, string> = {}, query?: Record<string, string>): string {
  const path = template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(params[k] ?? ""));
  const q = query ? new URLSearchParams(query).toString() : "";
  return q ? `${path}?${q}` : path;
}

// Body is the JSON request body the document gives an operation.
export type Body<P extends Path, M extends "post" | "put"> = paths[P][M] extends {
  requestBody?: { content: { "application/json": infer B } };
}
  ? B
  : never;
