import { useEffect, useState } from "react";
import { Plus, Trash2, Check } from "lucide-react";

interface Todo { id: number; text: string; done: boolean }

export default function TodoApp() {
  const [todos, setTodos] = useState<Todo[]>(() => {
    const saved = localStorage.getItem("todos");
    return saved ? JSON.parse(saved) : [{ id: 1, text: "Try the preview", done: false }];
  });
  const [text, setText] = useState("");
  const [filter, setFilter] = useState<"all" | "active" | "done">("all");

  useEffect(() => localStorage.setItem("todos", JSON.stringify(todos)), [todos]);

  const add = (e: React.FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    setTodos([...todos, { id: Date.now(), text: text.trim(), done: false }]);
    setText("");
  };
  const visible = todos.filter((t) => (filter === "all" ? true : filter === "done" ? t.done : !t.done));

  return (
    <div className="mx-auto mt-10 max-w-md rounded-xl bg-white p-6 shadow-lg">
      <h1 className="mb-4 text-2xl font-bold">Todos</h1>
      <form onSubmit={add} className="mb-4 flex gap-2">
        <input id="new-todo" value={text} onChange={(e) => setText(e.target.value)} placeholder="What needs doing?" className="flex-1 rounded border px-3 py-2" />
        <button id="add" type="submit" className="rounded bg-emerald-600 px-3 text-white"><Plus className="h-5 w-5" /></button>
      </form>
      <div className="mb-3 flex gap-2 text-sm">
        {(["all", "active", "done"] as const).map((f) => (
          <button key={f} onClick={() => setFilter(f)} className={f === filter ? "font-bold underline" : "text-gray-500"}>{f}</button>
        ))}
      </div>
      <ul id="todos" className="divide-y">
        {visible.map((t) => (
          <li key={t.id} className="flex items-center gap-3 py-2">
            <button onClick={() => setTodos(todos.map((x) => (x.id === t.id ? { ...x, done: !x.done } : x)))} className={`flex h-5 w-5 items-center justify-center rounded border ${t.done ? "bg-emerald-500 text-white" : ""}`}>
              {t.done && <Check className="h-3 w-3" />}
            </button>
            <span className={`flex-1 ${t.done ? "text-gray-400 line-through" : ""}`}>{t.text}</span>
            <button onClick={() => setTodos(todos.filter((x) => x.id !== t.id))} className="text-gray-400 hover:text-red-500"><Trash2 className="h-4 w-4" /></button>
          </li>
        ))}
      </ul>
    </div>
  );
}
