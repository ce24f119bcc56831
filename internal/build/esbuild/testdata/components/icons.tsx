import { useState } from "react";
import {
  Bell, Calendar, Camera, Cloud, Code, Coffee, Compass, Download, Heart, Home,
  Mail, Map, Music, Search, Settings, Star, Sun, Moon, User, Zap,
} from "lucide-react";

const ICONS = [
  { name: "Bell", Icon: Bell }, { name: "Calendar", Icon: Calendar }, { name: "Camera", Icon: Camera },
  { name: "Cloud", Icon: Cloud }, { name: "Code", Icon: Code }, { name: "Coffee", Icon: Coffee },
  { name: "Compass", Icon: Compass }, { name: "Download", Icon: Download }, { name: "Heart", Icon: Heart },
  { name: "Home", Icon: Home }, { name: "Mail", Icon: Mail }, { name: "Map", Icon: Map },
  { name: "Music", Icon: Music }, { name: "Search", Icon: Search }, { name: "Settings", Icon: Settings },
  { name: "Star", Icon: Star }, { name: "Sun", Icon: Sun }, { name: "Moon", Icon: Moon },
  { name: "User", Icon: User }, { name: "Zap", Icon: Zap },
];

export default function IconGallery() {
  const [query, setQuery] = useState("");
  const [selected, setSelected] = useState<string | null>(null);
  const shown = ICONS.filter((i) => i.name.toLowerCase().includes(query.toLowerCase()));
  return (
    <div className="p-6 max-w-3xl mx-auto">
      <div className="relative mb-6">
        <Search className="absolute left-3 top-1/2 -translate-y-1/2 h-4 w-4 text-gray-400" />
        <input
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Search icons"
          className="w-full rounded-lg border border-gray-300 py-2 pl-9 pr-3 focus:outline-none focus:ring-2 focus:ring-indigo-500"
        />
      </div>
      <div className="grid grid-cols-4 sm:grid-cols-5 gap-4">
        {shown.map(({ name, Icon }) => (
          <button
            key={name}
            onClick={() => setSelected(name)}
            className={`flex flex-col items-center gap-2 rounded-xl border p-4 transition ${selected === name ? "border-indigo-500 bg-indigo-50" : "border-gray-200 hover:border-gray-300"}`}
          >
            <Icon className="h-6 w-6 text-gray-700" />
            <span className="text-xs text-gray-600">{name}</span>
          </button>
        ))}
      </div>
      {selected && <p className="mt-6 text-sm text-gray-500">Selected: {selected}</p>}
    </div>
  );
}
