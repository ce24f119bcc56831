import { useMemo, useState } from "react";
import { BarChart, Bar, PieChart, Pie, Cell, XAxis, YAxis, Tooltip, ResponsiveContainer } from "recharts";
import { TrendingUp, Users, DollarSign, ShoppingCart } from "lucide-react";

const COLORS = ["#6366f1", "#22c55e", "#f59e0b", "#ef4444"];

const sales = [
  { day: "Mon", orders: 120, visitors: 900 },
  { day: "Tue", orders: 98, visitors: 850 },
  { day: "Wed", orders: 140, visitors: 1100 },
  { day: "Thu", orders: 165, visitors: 1230 },
  { day: "Fri", orders: 190, visitors: 1500 },
  { day: "Sat", orders: 230, visitors: 1800 },
  { day: "Sun", orders: 170, visitors: 1300 },
];

function Stat({ icon: Icon, label, value }: { icon: typeof Users; label: string; value: string }) {
  return (
    <div className="rounded-xl bg-white p-4 shadow-sm flex items-center gap-3">
      <div className="rounded-lg bg-indigo-100 p-2 text-indigo-600"><Icon className="h-5 w-5" /></div>
      <div>
        <p className="text-xs uppercase tracking-wide text-gray-500">{label}</p>
        <p className="text-lg font-semibold">{value}</p>
      </div>
    </div>
  );
}

export default function Dashboard() {
  const [metric, setMetric] = useState<"orders" | "visitors">("orders");
  const share = useMemo(
    () => [
      { name: "Direct", value: 400 },
      { name: "Search", value: 300 },
      { name: "Social", value: 200 },
      { name: "Email", value: 100 },
    ],
    [],
  );
  return (
    <div className="min-h-screen bg-gray-50 p-6 space-y-6">
      <div className="grid grid-cols-2 md:grid-cols-4 gap-4">
        <Stat icon={DollarSign} label="Revenue" value="$24,300" />
        <Stat icon={ShoppingCart} label="Orders" value="1,113" />
        <Stat icon={Users} label="Visitors" value="8,680" />
        <Stat icon={TrendingUp} label="Growth" value="+12.4%" />
      </div>
      <div className="grid md:grid-cols-3 gap-6">
        <div className="md:col-span-2 rounded-xl bg-white p-4 shadow-sm">
          <div className="flex justify-between mb-2">
            <h2 className="font-semibold">This week</h2>
            <select value={metric} onChange={(e) => setMetric(e.target.value as "orders" | "visitors")} className="border rounded px-2 text-sm">
              <option value="orders">Orders</option>
              <option value="visitors">Visitors</option>
            </select>
          </div>
          <div style={{ height: 260 }}>
            <ResponsiveContainer>
              <BarChart data={sales}>
                <XAxis dataKey="day" />
                <YAxis />
                <Tooltip />
                <Bar dataKey={metric} fill="#6366f1" radius={[4, 4, 0, 0]} />
              </BarChart>
            </ResponsiveContainer>
          </div>
        </div>
        <div className="rounded-xl bg-white p-4 shadow-sm">
          <h2 className="font-semibold mb-2">Traffic sources</h2>
          <div style={{ height: 260 }}>
            <ResponsiveContainer>
              <PieChart>
                <Pie data={share} dataKey="value" nameKey="name" innerRadius={50} outerRadius={90}>
                  {share.map((_, i) => (
                    <Cell key={i} fill={COLORS[i % COLORS.length]} />
                  ))}
                </Pie>
                <Tooltip />
              </PieChart>
            </ResponsiveContainer>
          </div>
        </div>
      </div>
    </div>
  );
}
