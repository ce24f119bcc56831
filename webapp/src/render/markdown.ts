// Model text is untrusted: prompt injection can make a model write any
// HTML. A reply is rendered by marked with raw HTML escaped (shown as the
// text it is), then sanitized by DOMPurify with an allow-list, and links
// may only be http(s) or mailto and open in a new tab without a referrer.

import DOMPurify from "dompurify";
import { Marked } from "marked";
import { escapeHTML, highlight, languageOf } from "./highlight";

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    html({ text }) {
      return escapeHTML(text);
    },
    code({ text, lang }) {
      const name = languageOf(lang);
      const label = (lang || "").trim().split(/\s+/)[0];
      return (
        `<pre class="code"><div class="code-lang">${escapeHTML(label || "text")}</div>` +
        `<code class="hljs${name ? " language-" + name : ""}">${highlight(text.replace(/\n$/, ""), lang)}</code></pre>`
      );
    },
    image({ href, text }) {
      // No image loads from a reply: one would tell a third party who
      // reads it. The image is a link.
      return `<a href="${escapeHTML(href)}">${escapeHTML(text || href)}</a>`;
    },
  },
});

const allowedTags = [
  "a", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
  "input", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td", "th", "thead", "tr", "ul",
];

const purify = DOMPurify();
purify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href") || "";
    if (!/^(https?:|mailto:)/i.test(href)) {
      node.removeAttribute("href");
    } else {
      node.setAttribute("target", "_blank");
      node.setAttribute("rel", "noopener noreferrer nofollow");
    }
  }
  if (node.tagName === "INPUT" && node.getAttribute("type") !== "checkbox") {
    node.remove();
  }
});

// sanitize is the allow-list DOMPurify keeps of HTML.
export function sanitize(html: string): string {
  return purify.sanitize(html, {
    ALLOWED_TAGS: allowedTags,
    ALLOWED_ATTR: ["href", "title", "class", "type", "checked", "disabled", "start", "align", "target", "rel"],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:)/i,
    FORBID_ATTR: ["style"],
  });
}

// renderMarkdown is a reply as safe HTML: an unclosed fence (a reply still
// streaming) renders as a code block so far.
export function renderMarkdown(text: string): string {
  return sanitize(marked.parse(text) as string);
}

// A reply grows at its end: its top-level blocks but the last are the same
// at every chunk, so each block's HTML is kept by its source, and a chunk
// costs the rendering of the last block only.
const blocks = new Map<string, string>();

// renderBlocks is a reply as safe HTML, one string per top-level block.
export function renderBlocks(text: string): string[] {
  const tokens = marked.lexer(text);
  return tokens.map((tok) => {
    const hit = blocks.get(tok.raw);
    if (hit !== undefined) return hit;
    const one = Object.assign([tok], { links: tokens.links });
    const html = sanitize(marked.parser(one) as string);
    if (blocks.size > 500) blocks.clear();
    blocks.set(tok.raw, html);
    return html;
  });
}
