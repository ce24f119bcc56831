// The React half of the preview runtime, bundled into the React vendor chunk:
// it finds the artifact's component and mounts it under an error boundary
// that shows what went wrong in the page.
import { Component, createElement } from "react";
import { createRoot } from "react-dom/client";

const z = globalThis.__zocket;

function isComponent(value) {
  return typeof value === "function" || (value !== null && typeof value === "object" && typeof value.$$typeof === "symbol");
}

function pick(mod) {
  if (isComponent(mod.default)) return mod.default;
  if (isComponent(mod.App)) return mod.App;
  const named = Object.keys(mod).filter((k) => /^[A-Z]/.test(k) && isComponent(mod[k]));
  return named.length === 1 ? mod[named[0]] : null;
}

class ErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null, stack: "" };
  }
  static getDerivedStateFromError(error) {
    return { error };
  }
  componentDidCatch(error, info) {
    this.setState({ stack: (info && info.componentStack) || "" });
  }
  render() {
    const { error, stack } = this.state;
    if (error === null) return this.props.children;
    const d = z.describe(error);
    return createElement(
      "div",
      { role: "alert", "data-preview-error": "", style: { margin: 16, padding: "12px 16px", border: "1px solid #fca5a5", borderRadius: 6, background: "#fef2f2", color: "#7f1d1d", font: "13px/1.45 ui-monospace, monospace" } },
      createElement("strong", null, "The component crashed: " + d.title),
      createElement("pre", { style: { whiteSpace: "pre-wrap", margin: "8px 0 0" } }, stack.trim() || d.detail),
    );
  }
}

export function mount(mod) {
  const App = pick(mod);
  if (App === null) {
    z.report("Nothing to render", "The code has no React component to show: export one, for example `export default function App() { ... }`.");
    return;
  }
  const root = createRoot(document.getElementById("root"), {
    onUncaughtError(error) {
      const d = z.describe(error);
      z.report(d.title, d.detail);
    },
  });
  root.render(createElement(ErrorBoundary, null, createElement(App)));
}
