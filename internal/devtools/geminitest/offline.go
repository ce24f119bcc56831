package geminitest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
)

// wordsPerChunk is how many words each chunk of an offline reply carries.
const wordsPerChunk = 3

// offlineNotice opens every chat reply of the offline model.
const offlineNotice = "This reply comes from the offline model: GEMINI_API_KEY is not set, so the devserver answers with canned text instead of calling Gemini."

// OfflineReply is the offline model's answer to r, unpaced: what a fake
// without a responder of its own answers a request that finds the queue
// empty. A responder that scripts only some requests answers the rest
// with it.
func OfflineReply(r Request) Reply { return offlineReply(r, 0) }

// offlineReply is the offline model's answer to r, in small word chunks
// paced by pace: a title or a summary for generateContent requests that ask
// for one, else a chat reply.
func offlineReply(r Request, pace time.Duration) Reply {
	ask := strings.ToLower(r.SystemInstruction + "\n" + r.LastUserText())
	var text string
	switch {
	case !r.Stream && strings.Contains(ask, "title"):
		text = offlineTitle(r.LastUserText())
	case !r.Stream && strings.Contains(ask, "summar"):
		text = offlineSummary(r.LastUserText())
	default:
		text = offlineChat(r.LastUserText())
	}
	return Reply{Chunks: splitWords(text, wordsPerChunk), Delay: pace}
}

// splitWords cuts text into pieces of per words, each keeping the space that
// follows it, so that the pieces concatenate to text.
func splitWords(text string, per int) []string {
	var chunks []string
	start, words, inSpace := 0, 0, false
	for i, r := range text {
		space := unicode.IsSpace(r)
		if !space && inSpace {
			words++
			if words == per {
				chunks = append(chunks, text[start:i])
				start, words = i, 0
			}
		}
		inSpace = space
	}
	if start < len(text) {
		chunks = append(chunks, text[start:])
	}
	return chunks
}

// offlineTitle titles a conversation by its first words: those of the first
// "User:" line of the prompt if there is one, else of its longest paragraph
// that is not the instruction.
func offlineTitle(prompt string) string {
	words := strings.Fields(subject(prompt, "title"))
	var title []string
	for _, w := range words {
		if w = strings.TrimFunc(w, isPunct); w != "" {
			title = append(title, w)
		}
		if len(title) == 6 {
			break
		}
	}
	if len(title) == 0 {
		return "New conversation"
	}
	return strings.Join(title, " ")
}

// offlineSummary summarizes a conversation by the opening words of each user
// line of the prompt (up to five), else of its longest paragraph.
func offlineSummary(prompt string) string {
	var points []string
	for _, line := range strings.Split(prompt, "\n") {
		if text, ok := userLine(line); ok && len(points) < 5 {
			points = append(points, firstWords(text, 12))
		}
	}
	if len(points) == 0 {
		points = append(points, firstWords(subject(prompt, "summar"), 40))
	}
	return "Summary from the offline model: the user asked about " + strings.Join(points, "; ") + "."
}

// subject picks the part of a title or summary prompt that holds the
// conversation: the first "User:" line; else the longest paragraph that does
// not mention the instruction word; else the first line after the colon that
// follows it ("Write a title for: ..."); else the whole prompt.
func subject(prompt, instruction string) string {
	for _, line := range strings.Split(prompt, "\n") {
		if text, ok := userLine(line); ok {
			return text
		}
	}
	best := ""
	for _, p := range strings.Split(prompt, "\n\n") {
		p = strings.TrimSpace(p)
		if !strings.Contains(strings.ToLower(p), instruction) && len(p) > len(best) {
			best = p
		}
	}
	if best != "" {
		return best
	}
	if m := regexp.MustCompile(`(?is)` + instruction + `[^:]*:(.*)`).FindStringSubmatch(prompt); m != nil {
		for _, line := range strings.Split(m[1], "\n") {
			if line = strings.TrimSpace(line); line != "" {
				return line
			}
		}
	}
	return prompt
}

// userLine reports the text of a transcript line "User: text".
func userLine(line string) (string, bool) {
	role, text, ok := strings.Cut(strings.TrimSpace(line), ":")
	if !ok || !strings.EqualFold(role, "user") || strings.TrimSpace(text) == "" {
		return "", false
	}
	return strings.TrimSpace(text), true
}

func firstWords(s string, n int) string {
	words := strings.Fields(s)
	if len(words) > n {
		words = append(words[:n], "...")
	}
	return strings.TrimRightFunc(strings.Join(words, " "), isPunct)
}

func isPunct(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

// reactWords are the words that make a request ask for a React component.
var reactWords = []string{
	"react", "component", "components", "jsx", "tsx", "button", "counter", "form",
	"page", "app", "todo", "todos", "ui", "widget", "dashboard", "card", "navbar",
	"modal", "landing", "hook",
}

// nameStopWords never name a generated component.
var nameStopWords = []string{
	"a", "an", "the", "create", "build", "make", "write", "generate", "give", "show",
	"me", "my", "some", "this", "that", "which", "please", "can", "could", "would",
	"you", "i", "want", "need", "new", "simple", "basic", "small", "nice", "little",
	"react", "component", "components", "jsx", "tsx", "typescript", "javascript",
	"tailwind", "using", "with", "for", "in", "of", "and", "to", "on", "it", "is",
	"html", "ui", "code", "example",
}

// offlineChat is the offline model's chat reply to the user's message.
func offlineChat(message string) string {
	words := strings.FieldsFunc(strings.ToLower(message), func(r rune) bool { return !unicode.IsLetter(r) })
	has := func(w string) bool { return slices.Contains(words, w) }
	react := slices.ContainsFunc(reactWords, has)
	switch {
	case has("python") || has("py"):
		return codeReply("Here is a Python script to start from:", "python",
			fmt.Sprintf(pythonScript, jsString(message)),
			"Run it with `python3 main.py`.")
	case has("html") && !has("react") && !has("jsx") && !has("tsx") && !has("component"):
		title := humanize(componentName(words, "OfflinePage"))
		return codeReply("Here is an HTML page with its CSS and JavaScript inline:", "html",
			strings.ReplaceAll(htmlPage, "TITLE", title),
			"Open it in a browser; the button shows that the script runs.")
	case react:
		name, code := reactComponent(words, message)
		return codeReply(fmt.Sprintf("Here is a `%s` component, a default-exported React function component styled with Tailwind:", name), "tsx",
			code,
			"It keeps its state with `useState` and takes its icons from `lucide-react`. Set GEMINI_API_KEY to get code written for your request.")
	}
	return offlineNotice + "\n\nYou wrote: \"" + echo(message, 200) + "\"\n\n" +
		"Ask for a React component (a button, a counter, a todo list, a form), an HTML page or a Python script to see how code replies and artifacts work."
}

func codeReply(intro, lang, code, outro string) string {
	return offlineNotice + "\n\n" + intro + "\n\n```" + lang + "\n" + code + "```\n\n" + outro
}

// reactComponent chooses the component for a request: a todo list, a
// counter, a button, a form, or a card named after the request's words.
func reactComponent(words []string, message string) (name, code string) {
	has := func(w string) bool { return slices.Contains(words, w) }
	switch {
	case has("todo") || has("todos"):
		return "TodoList", todoComponent
	case has("counter"):
		return "Counter", counterComponent
	case has("button"):
		return "Button", buttonComponent
	case has("form"):
		name = "ContactForm"
		if i := slices.Index(words, "form"); i > 0 && nameWord(words[i-1]) {
			name = title(words[i-1]) + "Form"
		}
		return name, strings.NewReplacer("NAME", name, "TITLE", humanize(name)).Replace(formComponent)
	}
	name = componentName(words, "App")
	return name, strings.NewReplacer("NAME", name, "TITLE", humanize(name), "REQUEST", jsString(message)).Replace(cardComponent)
}

// componentName joins up to two words of the request into a component name,
// or returns fallback.
func componentName(words []string, fallback string) string {
	var name strings.Builder
	n := 0
	for _, w := range words {
		if nameWord(w) {
			name.WriteString(title(w))
			if n++; n == 2 {
				break
			}
		}
	}
	if n == 0 {
		return fallback
	}
	return name.String()
}

func nameWord(w string) bool {
	if len(w) < 2 || len(w) > 20 || slices.Contains(nameStopWords, w) {
		return false
	}
	for _, r := range w {
		if r > unicode.MaxASCII || !unicode.IsLetter(r) {
			return false
		}
	}
	return true
}

func title(w string) string { return strings.ToUpper(w[:1]) + w[1:] }

// humanize spells a component name as words: "ContactForm" is "Contact form".
func humanize(name string) string {
	var b strings.Builder
	for i, r := range name {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// echo quotes the user's message on one line, shortened, without backticks
// that could open or close a fence.
func echo(message string, limit int) string {
	s := strings.Join(strings.Fields(strings.ReplaceAll(message, "`", "'")), " ")
	if r := []rune(s); len(r) > limit {
		s = string(r[:limit]) + "..."
	}
	return s
}

// jsString is the user's message as a string literal valid in JavaScript,
// TypeScript and Python.
func jsString(message string) string {
	b, _ := json.Marshal(echo(message, 200))
	return string(b)
}

const buttonComponent = `import { useState } from "react";
import { Sparkles } from "lucide-react";

export default function Button() {
  const [clicks, setClicks] = useState(0);

  return (
    <div className="flex min-h-screen items-center justify-center bg-slate-50 p-8">
      <button
        type="button"
        onClick={() => setClicks((n) => n + 1)}
        className="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-5 py-2.5 font-medium text-white shadow-sm transition hover:bg-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-400 focus:ring-offset-2 active:scale-95"
      >
        <Sparkles className="h-4 w-4" aria-hidden="true" />
        {clicks === 0 ? "Click me" : "Clicked " + clicks + (clicks === 1 ? " time" : " times")}
      </button>
    </div>
  );
}
`

const counterComponent = `import { useState } from "react";
import { Minus, Plus, RotateCcw } from "lucide-react";

export default function Counter() {
  const [count, setCount] = useState(0);

  return (
    <div className="flex min-h-screen items-center justify-center bg-slate-50 p-8">
      <div className="w-64 rounded-2xl bg-white p-6 text-center shadow-lg">
        <p className="text-sm font-medium uppercase tracking-wide text-slate-500">Count</p>
        <p className="my-4 text-5xl font-bold tabular-nums text-slate-900">{count}</p>
        <div className="flex justify-center gap-2">
          <button type="button" aria-label="Decrease" onClick={() => setCount((n) => n - 1)} className="rounded-lg bg-slate-100 p-2 text-slate-700 hover:bg-slate-200">
            <Minus className="h-5 w-5" />
          </button>
          <button type="button" aria-label="Reset" onClick={() => setCount(0)} className="rounded-lg bg-slate-100 p-2 text-slate-700 hover:bg-slate-200">
            <RotateCcw className="h-5 w-5" />
          </button>
          <button type="button" aria-label="Increase" onClick={() => setCount((n) => n + 1)} className="rounded-lg bg-indigo-600 p-2 text-white hover:bg-indigo-500">
            <Plus className="h-5 w-5" />
          </button>
        </div>
      </div>
    </div>
  );
}
`

const todoComponent = `import { useState, type FormEvent } from "react";
import { Plus, Trash2 } from "lucide-react";

type Todo = { id: number; text: string; done: boolean };

export default function TodoList() {
  const [todos, setTodos] = useState<Todo[]>([
    { id: 1, text: "Try the offline model", done: true },
    { id: 2, text: "Set GEMINI_API_KEY for real answers", done: false },
  ]);
  const [draft, setDraft] = useState("");

  function addTodo(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    setTodos((items) => [...items, { id: Date.now(), text, done: false }]);
    setDraft("");
  }

  function toggle(id: number) {
    setTodos((items) => items.map((t) => (t.id === id ? { ...t, done: !t.done } : t)));
  }

  function remove(id: number) {
    setTodos((items) => items.filter((t) => t.id !== id));
  }

  const left = todos.filter((t) => !t.done).length;

  return (
    <div className="min-h-screen bg-slate-50 p-8">
      <div className="mx-auto max-w-md rounded-2xl bg-white p-6 shadow-lg">
        <h1 className="mb-4 text-2xl font-bold text-slate-900">Todo list</h1>
        <form onSubmit={addTodo} className="mb-4 flex gap-2">
          <input
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            placeholder="What needs doing?"
            className="flex-1 rounded-lg border border-slate-300 px-3 py-2 focus:border-indigo-500 focus:outline-none"
          />
          <button type="submit" aria-label="Add" className="rounded-lg bg-indigo-600 p-2 text-white hover:bg-indigo-500">
            <Plus className="h-5 w-5" />
          </button>
        </form>
        <ul className="space-y-2">
          {todos.map((todo) => (
            <li key={todo.id} className="flex items-center gap-3 rounded-lg border border-slate-200 px-3 py-2">
              <input type="checkbox" checked={todo.done} onChange={() => toggle(todo.id)} className="h-4 w-4 accent-indigo-600" />
              <span className={todo.done ? "flex-1 text-slate-400 line-through" : "flex-1 text-slate-800"}>{todo.text}</span>
              <button type="button" aria-label="Delete" onClick={() => remove(todo.id)} className="text-slate-400 hover:text-red-500">
                <Trash2 className="h-4 w-4" />
              </button>
            </li>
          ))}
        </ul>
        <p className="mt-4 text-sm text-slate-500">{left} left</p>
      </div>
    </div>
  );
}
`

const formComponent = `import { useState, type FormEvent } from "react";
import { Send } from "lucide-react";

export default function NAME() {
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [message, setMessage] = useState("");
  const [sent, setSent] = useState(false);

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSent(true);
  }

  if (sent) {
    return (
      <div className="flex min-h-screen items-center justify-center bg-slate-50 p-8">
        <p className="rounded-2xl bg-white p-6 text-lg text-slate-800 shadow-lg">
          Thanks, {name}! We will reply to {email}.
        </p>
      </div>
    );
  }

  const field = "mt-1 w-full rounded-lg border border-slate-300 px-3 py-2 focus:border-indigo-500 focus:outline-none";

  return (
    <div className="flex min-h-screen items-center justify-center bg-slate-50 p-8">
      <form onSubmit={submit} className="w-full max-w-md space-y-4 rounded-2xl bg-white p-6 shadow-lg">
        <h1 className="text-2xl font-bold text-slate-900">TITLE</h1>
        <label className="block">
          <span className="text-sm font-medium text-slate-700">Name</span>
          <input required value={name} onChange={(e) => setName(e.target.value)} className={field} />
        </label>
        <label className="block">
          <span className="text-sm font-medium text-slate-700">Email</span>
          <input required type="email" value={email} onChange={(e) => setEmail(e.target.value)} className={field} />
        </label>
        <label className="block">
          <span className="text-sm font-medium text-slate-700">Message</span>
          <textarea required rows={4} value={message} onChange={(e) => setMessage(e.target.value)} className={field} />
        </label>
        <button type="submit" className="inline-flex w-full items-center justify-center gap-2 rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white hover:bg-indigo-500">
          <Send className="h-4 w-4" aria-hidden="true" />
          Send
        </button>
      </form>
    </div>
  );
}
`

const cardComponent = `import { useState } from "react";
import { Heart, Sparkles } from "lucide-react";

const request = REQUEST;

export default function NAME() {
  const [liked, setLiked] = useState(false);

  return (
    <div className="flex min-h-screen items-center justify-center bg-slate-50 p-8">
      <div className="w-full max-w-md rounded-2xl bg-white p-6 shadow-lg">
        <div className="mb-3 flex items-center gap-2 text-indigo-600">
          <Sparkles className="h-5 w-5" aria-hidden="true" />
          <span className="text-sm font-semibold uppercase tracking-wide">Offline model</span>
        </div>
        <h1 className="text-2xl font-bold text-slate-900">TITLE</h1>
        <p className="mt-2 text-slate-600">A starting point for: {request}</p>
        <button
          type="button"
          onClick={() => setLiked((v) => !v)}
          className={"mt-6 inline-flex items-center gap-2 rounded-lg px-4 py-2 font-medium transition " + (liked ? "bg-rose-600 text-white hover:bg-rose-500" : "bg-slate-100 text-slate-700 hover:bg-slate-200")}
        >
          <Heart className={liked ? "h-4 w-4 fill-current" : "h-4 w-4"} aria-hidden="true" />
          {liked ? "Liked" : "Like"}
        </button>
      </div>
    </div>
  );
}
`

const htmlPage = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>TITLE</title>
  <style>
    body { margin: 0; min-height: 100vh; display: grid; place-items: center; font-family: system-ui, sans-serif; background: #f8fafc; color: #0f172a; }
    main { max-width: 28rem; padding: 2rem; border-radius: 1rem; background: #fff; box-shadow: 0 10px 30px rgb(15 23 42 / 0.1); text-align: center; }
    button { margin-top: 1rem; padding: 0.6rem 1.2rem; border: 0; border-radius: 0.5rem; background: #4f46e5; color: #fff; font: inherit; cursor: pointer; }
    button:hover { background: #6366f1; }
  </style>
</head>
<body>
  <main>
    <h1>TITLE</h1>
    <p>A page from the offline model. Set GEMINI_API_KEY for real answers.</p>
    <button id="greet" type="button">Say hello</button>
    <p id="out" aria-live="polite"></p>
  </main>
  <script>
    let clicks = 0;
    document.getElementById("greet").addEventListener("click", () => {
      clicks += 1;
      document.getElementById("out").textContent = "Hello! You clicked " + clicks + (clicks === 1 ? " time." : " times.");
    });
  </script>
</body>
</html>
`

const pythonScript = `from collections import Counter


def word_counts(text: str) -> Counter[str]:
    """Count the words of text, ignoring case."""
    return Counter(text.lower().split())


def main() -> None:
    request = %s
    for word, count in word_counts(request).most_common():
        print(f"{word}: {count}")


if __name__ == "__main__":
    main()
`
