import { memo, useLayoutEffect, useMemo } from "react";
import { renderBlocks } from "./render/markdown";
import { chunksCommitted } from "./timing";

// Markdown shows a reply rendered and sanitized (render/markdown.ts), a
// block at a time: as a reply streams, only its last block changes, so only
// that block's DOM is replaced.
export const Markdown = memo(function Markdown({ text }: { text: string }) {
  const blocks = useMemo(() => renderBlocks(text), [text]);
  // The DOM now holds every chunk received (a reply's last chunk may come
  // with its end, when the reply is no longer live).
  useLayoutEffect(chunksCommitted, [blocks]);
  return (
    <div className="markdown">
      {blocks.map((html, i) => (
        <Block key={i} html={html} />
      ))}
    </div>
  );
});

const Block = memo(function Block({ html }: { html: string }) {
  return <div className="md-block" dangerouslySetInnerHTML={{ __html: html }} />;
});
