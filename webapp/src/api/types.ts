// The API's bodies as the app reads them. Each name is the contract's own
// (SPEC.md; the OpenAPI document once it is merged: see docs/webapp.md).

export interface User {
  id: string;
  email: string;
  username: string;
  credits: number; // -1: unlimited
  createdAt: string;
  updatedAt: string;
  conversationCount?: number;
}

export interface AuthResponse {
  message: string;
  user: User;
  token: string;
}

export interface MeResponse {
  user: User;
}

export interface ErrorBody {
  error: string;
  message: string;
  code: string;
  details?: { field?: string; message?: string; text?: string; line?: number; column?: number; file?: string }[];
}

export interface LastMessage {
  content: string;
  role: string;
  createdAt: string;
}

export interface ConversationItem {
  id: string;
  title: string;
  messageCount: number;
  lastMessage: LastMessage | null;
  createdAt: string;
  updatedAt: string;
}

export interface Pagination {
  page: number;
  limit: number;
  totalCount: number;
  totalPages: number;
  hasNext: boolean;
  hasPrev: boolean;
  nextCursor?: string;
}

export interface ConversationList {
  conversations: ConversationItem[];
  pagination: Pagination;
}

export type ArtifactType = "CODE" | "HTML" | "CSS" | "REACT" | "JAVASCRIPT" | "TYPESCRIPT" | "PYTHON" | "PROJECT" | "OTHER";

export interface FileView {
  path: string;
  language: string;
  size: number;
}

export interface Revision {
  version: number;
  id: string;
  messageId: string;
  createdAt: string;
  size: number;
}

export interface Artifact {
  id: string;
  messageId: string;
  conversationId: string;
  title: string;
  language: string;
  type: ArtifactType;
  previewUrl: string;
  bundledHtmlUrl: string | null;
  fileSize: number;
  files?: FileView[];
  version: number;
  lineageId: string;
  replaces?: string;
  versions?: Revision[];
  createdAt: string;
  updatedAt: string;
}

export interface Alternatives {
  count: number;
  index: number;
  ids: string[];
}

export interface Message {
  id: string;
  conversationId: string;
  role: "USER" | "ASSISTANT" | "SYSTEM";
  content: string;
  createdAt: string;
  artifacts: Artifact[];
  stopped?: boolean;
  alternatives?: Alternatives;
}

export interface Thread {
  conversation: { id: string; title: string; userId: string; createdAt: string; updatedAt: string; messages: Message[] };
}

export interface ArtifactResponse {
  artifact: Artifact;
}

export interface CodeResponse {
  code: string;
  files?: { path: string; language: string; code: string }[];
  entry?: string;
}

export interface DiffResponse {
  from: number;
  to: number;
  fromId: string;
  toId: string;
  diff: string;
}

export interface BuildResponse {
  success: boolean;
  cached: boolean;
  durationMs: number;
}

export interface UsageCounts {
  promptTokens: number;
  outputTokens: number;
  turns: number;
  credits: number;
}

export interface UsageResponse {
  from: string;
  to: string;
  days: ({ date: string } & UsageCounts)[];
  total: UsageCounts;
}

export interface ZipLink {
  url: string;
  expiresAt: string;
  size: number;
  fileName: string;
}

// Stream events (docs/chat.md).

export interface Metadata {
  conversationId: string;
  messageId: string;
  userMessageId: string;
  title: string;
}

export interface BuildResult {
  success: boolean;
  artifactId: string;
  bundleSize: number;
  buildTime: number;
  errors: string[] | null;
  warnings: string[] | null;
}

export type Chunk =
  | { text: string; type?: undefined }
  | { type: "artifact"; artifact: Artifact }
  | { type: "build"; buildResult: BuildResult }
  | { type: "artifact_error"; artifactId: string; title: string; message: string };

export interface Complete {
  reason: "completed" | "stopped";
  messageId: string;
  usage: { promptTokens: number; outputTokens: number };
  title: string;
  credits: number;
}

export interface StreamError {
  error: string;
  code: string;
}
