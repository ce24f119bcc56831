import { createRoot } from "react-dom/client";
import { App } from "./App";
import "./app.css";
import { renderMarkdown } from "./render/markdown";

createRoot(document.getElementById("root")!).render(<App />);

// The first reply's first chunk should not pay for the renderer's first
// run (its parser, sanitizer and highlighter compiled and set up): run it
// once, after the first frame.
requestAnimationFrame(() =>
  setTimeout(() => renderMarkdown("Ready: *markdown*, [links](https://example.com) and code.\n\n```tsx\nconst ready = <p>{1}</p>;\n```\n")),
);
