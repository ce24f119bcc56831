import { useEffect, useRef, useState } from "react";

interface Particle { x: number; y: number; vx: number; vy: number; r: number; hue: number }

export default function Particles() {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [count, setCount] = useState(80);
  const [running, setRunning] = useState(true);

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ctx = canvas.getContext("2d")!;
    const particles: Particle[] = Array.from({ length: count }, () => ({
      x: Math.random() * canvas.width,
      y: Math.random() * canvas.height,
      vx: (Math.random() - 0.5) * 2,
      vy: (Math.random() - 0.5) * 2,
      r: 2 + Math.random() * 4,
      hue: Math.floor(Math.random() * 360),
    }));
    let frame = 0;
    const draw = () => {
      ctx.fillStyle = "rgba(15, 23, 42, 0.25)";
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      for (const p of particles) {
        p.x += p.vx;
        p.y += p.vy;
        if (p.x < 0 || p.x > canvas.width) p.vx *= -1;
        if (p.y < 0 || p.y > canvas.height) p.vy *= -1;
        ctx.beginPath();
        ctx.arc(p.x, p.y, p.r, 0, Math.PI * 2);
        ctx.fillStyle = `hsl(${p.hue}, 80%, 60%)`;
        ctx.fill();
      }
      if (running) frame = requestAnimationFrame(draw);
    };
    draw();
    return () => cancelAnimationFrame(frame);
  }, [count, running]);

  return (
    <div className="flex flex-col items-center gap-4 p-6 bg-slate-900 min-h-screen text-white">
      <canvas ref={canvasRef} width={600} height={360} className="rounded-lg border border-slate-700" />
      <div className="flex items-center gap-4">
        <label className="text-sm">Particles: {count}</label>
        <input type="range" min={10} max={300} value={count} onChange={(e) => setCount(Number(e.target.value))} />
        <button onClick={() => setRunning(!running)} className="rounded bg-sky-600 px-3 py-1 text-sm">
          {running ? "Pause" : "Resume"}
        </button>
      </div>
    </div>
  );
}
