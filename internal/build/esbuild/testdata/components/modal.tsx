import { useEffect, useState } from "react";
import { X, Trash } from "lucide-react";

function Modal({ open, onClose, children }: { open: boolean; onClose: () => void; children: React.ReactNode }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  if (!open) return null;
  return (
    <div className="fixed inset-0 z-50 flex items-center justify-center bg-black/50" onClick={onClose}>
      <div role="dialog" aria-modal="true" className="relative w-full max-w-md rounded-xl bg-white p-6 shadow-2xl" onClick={(e) => e.stopPropagation()}>
        <button onClick={onClose} className="absolute right-3 top-3 rounded p-1 text-gray-400 hover:bg-gray-100" aria-label="Close">
          <X className="h-5 w-5" />
        </button>
        {children}
      </div>
    </div>
  );
}

export default function App() {
  const [open, setOpen] = useState(false);
  const [deleted, setDeleted] = useState(false);
  return (
    <div className="flex min-h-screen flex-col items-center justify-center gap-4 bg-gray-100">
      <button onClick={() => setOpen(true)} className="inline-flex items-center gap-2 rounded-lg bg-red-600 px-4 py-2 font-medium text-white">
        <Trash className="h-4 w-4" /> Delete project
      </button>
      {deleted && <p className="text-sm text-gray-600">Project deleted.</p>}
      <Modal open={open} onClose={() => setOpen(false)}>
        <h2 className="text-lg font-semibold">Delete project?</h2>
        <p className="mt-2 text-sm text-gray-600">This cannot be undone.</p>
        <div className="mt-6 flex justify-end gap-2">
          <button onClick={() => setOpen(false)} className="rounded-md border px-4 py-2">Cancel</button>
          <button onClick={() => { setDeleted(true); setOpen(false); }} className="rounded-md bg-red-600 px-4 py-2 text-white">Delete</button>
        </div>
      </Modal>
    </div>
  );
}
