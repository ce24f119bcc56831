import { useMemo, useState } from "react";
import { clsx, type ClassValue } from "clsx";
import { twMerge } from "tailwind-merge";
import { ArrowUpDown, ChevronDown, ChevronUp } from "lucide-react";

function cn(...inputs: ClassValue[]) {
  return twMerge(clsx(inputs));
}

type Row = { name: string; role: string; age: number; status: "active" | "invited" | "suspended" };

const rows: Row[] = [
  { name: "Ada Lovelace", role: "Engineer", age: 36, status: "active" },
  { name: "Grace Hopper", role: "Admiral", age: 85, status: "active" },
  { name: "Alan Turing", role: "Mathematician", age: 41, status: "invited" },
  { name: "Edsger Dijkstra", role: "Professor", age: 72, status: "suspended" },
  { name: "Barbara Liskov", role: "Professor", age: 84, status: "active" },
];

export default function UsersTable() {
  const [sort, setSort] = useState<{ key: keyof Row; asc: boolean }>({ key: "name", asc: true });
  const sorted = useMemo(
    () => [...rows].sort((a, b) => (a[sort.key] < b[sort.key] ? -1 : 1) * (sort.asc ? 1 : -1)),
    [sort],
  );
  const header = (key: keyof Row, label: string) => (
    <th className="px-4 py-2 text-left">
      <button onClick={() => setSort({ key, asc: sort.key === key ? !sort.asc : true })} className="inline-flex items-center gap-1 font-semibold">
        {label}
        {sort.key !== key ? <ArrowUpDown className="h-3 w-3" /> : sort.asc ? <ChevronUp className="h-3 w-3" /> : <ChevronDown className="h-3 w-3" />}
      </button>
    </th>
  );
  return (
    <div className="p-6">
      <table className="min-w-full divide-y divide-gray-200 overflow-hidden rounded-lg border text-sm">
        <thead className="bg-gray-50">
          <tr>{header("name", "Name")}{header("role", "Role")}{header("age", "Age")}{header("status", "Status")}</tr>
        </thead>
        <tbody className="divide-y divide-gray-100 bg-white">
          {sorted.map((r) => (
            <tr key={r.name} className="hover:bg-gray-50">
              <td className="px-4 py-2 font-medium">{r.name}</td>
              <td className="px-4 py-2">{r.role}</td>
              <td className="px-4 py-2">{r.age}</td>
              <td className="px-4 py-2">
                <span className={cn("rounded-full px-2 py-0.5 text-xs", r.status === "active" && "bg-green-100 text-green-700", r.status === "invited" && "bg-yellow-100 text-yellow-700", r.status === "suspended" && "bg-red-100 text-red-700 px-3")}>
                  {r.status}
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
