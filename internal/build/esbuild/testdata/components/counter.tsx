import { useState } from "react";
import { Minus, Plus, RotateCcw } from "lucide-react";

export default function Counter() {
  const [count, setCount] = useState(0);
  return (
    <div className="min-h-screen flex items-center justify-center bg-slate-100">
      <div className="rounded-2xl bg-white p-8 shadow-lg text-center space-y-6">
        <h1 className="text-2xl font-bold text-slate-800">Counter</h1>
        <p id="count" className="text-6xl font-mono text-blue-600">{count}</p>
        <div className="flex gap-3 justify-center">
          <button id="dec" onClick={() => setCount((c) => c - 1)} className="rounded-lg bg-slate-200 p-3 hover:bg-slate-300" aria-label="Decrement">
            <Minus className="h-5 w-5" />
          </button>
          <button id="inc" onClick={() => setCount((c) => c + 1)} className="rounded-lg bg-blue-500 p-3 text-white hover:bg-blue-600" aria-label="Increment">
            <Plus className="h-5 w-5" />
          </button>
          <button onClick={() => setCount(0)} className="rounded-lg bg-slate-200 p-3 hover:bg-slate-300" aria-label="Reset">
            <RotateCcw className="h-5 w-5" />
          </button>
        </div>
      </div>
    </div>
  );
}
