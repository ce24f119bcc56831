import React, { useState } from "react";
import { User, Settings, CreditCard } from "lucide-react";

const TABS = [
  { id: "profile", label: "Profile", icon: User, body: "Your name, photo and bio." },
  { id: "billing", label: "Billing", icon: CreditCard, body: "Invoices and payment methods." },
  { id: "settings", label: "Settings", icon: Settings, body: "Notifications and privacy." },
];

function Tabs() {
  const [active, setActive] = useState("profile");
  const tab = TABS.find((t) => t.id === active);
  return (
    <div className="mx-auto mt-12 max-w-lg">
      <div role="tablist" className="flex border-b">
        {TABS.map(({ id, label, icon: Icon }) => (
          <button
            key={id}
            role="tab"
            aria-selected={active === id}
            onClick={() => setActive(id)}
            className={`flex items-center gap-2 px-4 py-2 text-sm font-medium -mb-px border-b-2 ${active === id ? "border-blue-600 text-blue-600" : "border-transparent text-gray-500 hover:text-gray-700"}`}
          >
            <Icon size={16} /> {label}
          </button>
        ))}
      </div>
      <div role="tabpanel" className="p-4 text-gray-700">{tab.body}</div>
    </div>
  );
}
