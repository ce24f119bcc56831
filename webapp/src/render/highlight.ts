// Code highlighting: highlight.js's core with the languages models write
// most, registered once (the full build is ten times the size).

import hljs from "highlight.js/lib/core";
import bash from "highlight.js/lib/languages/bash";
import css from "highlight.js/lib/languages/css";
import diff from "highlight.js/lib/languages/diff";
import go from "highlight.js/lib/languages/go";
import javascript from "highlight.js/lib/languages/javascript";
import json from "highlight.js/lib/languages/json";
import python from "highlight.js/lib/languages/python";
import sql from "highlight.js/lib/languages/sql";
import typescript from "highlight.js/lib/languages/typescript";
import xml from "highlight.js/lib/languages/xml";

hljs.registerLanguage("bash", bash);
hljs.registerLanguage("css", css);
hljs.registerLanguage("diff", diff);
hljs.registerLanguage("go", go);
hljs.registerLanguage("javascript", javascript);
hljs.registerLanguage("json", json);
hljs.registerLanguage("python", python);
hljs.registerLanguage("sql", sql);
hljs.registerLanguage("typescript", typescript);
hljs.registerLanguage("xml", xml);

// The contract's canonical languages (SPEC.md) and a fence's usual names,
// to a registered language.
const aliases: Record<string, string> = {
  tsx: "typescript",
  ts: "typescript",
  jsx: "javascript",
  js: "javascript",
  html: "xml",
  svg: "xml",
  sh: "bash",
  shell: "bash",
  zsh: "bash",
  py: "python",
  golang: "go",
};

export function languageOf(lang: string | undefined): string | null {
  const l = (lang || "").trim().split(/\s+/)[0].toLowerCase();
  const name = aliases[l] || l;
  return hljs.getLanguage(name) ? name : null;
}

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

// A reply is rendered again as each chunk arrives; a block that closed is
// the same text every time, so its highlighting is kept.
const cache = new Map<string, string>();

// highlight returns code as HTML: highlight.js's spans (classes only), or
// the code escaped when the language is unknown.
export function highlight(code: string, lang: string | undefined): string {
  const name = languageOf(lang);
  if (!name) return escapeHTML(code);
  const key = name + "\u0000" + code;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const html = hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
  if (cache.size > 200) cache.clear();
  cache.set(key, html);
  return html;
}
