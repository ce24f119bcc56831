import { LineChart, Line, XAxis, YAxis, CartesianGrid, Tooltip, Legend, ResponsiveContainer } from "recharts";

const data = [
  { month: "Jan", revenue: 4000, costs: 2400 },
  { month: "Feb", revenue: 3000, costs: 1398 },
  { month: "Mar", revenue: 5000, costs: 3800 },
  { month: "Apr", revenue: 4780, costs: 3908 },
  { month: "May", revenue: 5890, costs: 4800 },
  { month: "Jun", revenue: 6390, costs: 3800 },
  { month: "Jul", revenue: 7490, costs: 4300 },
];

export default function RevenueChart() {
  return (
    <div className="p-6">
      <h2 className="text-xl font-semibold mb-4">Revenue vs costs</h2>
      <div style={{ width: "100%", height: 320 }}>
        <ResponsiveContainer>
          <LineChart data={data} margin={{ top: 5, right: 20, bottom: 5, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="month" />
            <YAxis />
            <Tooltip />
            <Legend />
            <Line type="monotone" dataKey="revenue" stroke="#2563eb" strokeWidth={2} />
            <Line type="monotone" dataKey="costs" stroke="#dc2626" strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
