import { useEffect, useRef, useState } from "react";
import { Play, Pause, RotateCcw, Timer as TimerIcon } from "lucide-react";

const WORK = 25 * 60;

function format(s: number) {
  const m = Math.floor(s / 60).toString().padStart(2, "0");
  return `${m}:${(s % 60).toString().padStart(2, "0")}`;
}

export default function Pomodoro() {
  const [left, setLeft] = useState(WORK);
  const [running, setRunning] = useState(false);
  const interval = useRef<number | undefined>(undefined);

  useEffect(() => {
    if (!running) return;
    interval.current = window.setInterval(() => setLeft((l) => (l > 0 ? l - 1 : 0)), 1000);
    return () => window.clearInterval(interval.current);
  }, [running]);

  const progress = 1 - left / WORK;
  return (
    <div className="flex min-h-screen items-center justify-center bg-rose-50">
      <div className="w-72 rounded-3xl bg-white p-8 text-center shadow-xl">
        <TimerIcon className="mx-auto h-8 w-8 text-rose-500" />
        <p className="mt-4 font-mono text-5xl font-bold">{format(left)}</p>
        <div className="mt-4 h-2 rounded-full bg-rose-100">
          <div className="h-2 rounded-full bg-rose-500 transition-all" style={{ width: `${progress * 100}%` }} />
        </div>
        <div className="mt-6 flex justify-center gap-3">
          <button onClick={() => setRunning(!running)} className="rounded-full bg-rose-500 p-3 text-white">
            {running ? <Pause className="h-5 w-5" /> : <Play className="h-5 w-5" />}
          </button>
          <button onClick={() => { setRunning(false); setLeft(WORK); }} className="rounded-full bg-gray-100 p-3">
            <RotateCcw className="h-5 w-5" />
          </button>
        </div>
      </div>
    </div>
  );
}
