import { memo, useLayoutEffect, useMemo } from "react";
import { renderMarkdown } from "./render/markdown";
import { chunksCommitted } from "./timing";

// Markdown shows a reply rendered and sanitized (render/markdown.ts); it
// renders again only when the text changed.
export const Markdown = memo(function Markdown({ text, live }: { text: string; live?: boolean }) {
  const html = useMemo(() => renderMarkdown(text), [text]);
  useLayoutEffect(() => {
    if (live) chunksCommitted();
  }, [html, live]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
});
