import { ArrowRight, Check, Shield, Sparkles, Rocket } from "lucide-react";

const features = [
  { icon: Sparkles, title: "Beautiful by default", text: "Thoughtful typography, spacing and colour out of the box." },
  { icon: Shield, title: "Secure", text: "Every preview runs in a sandbox with no network access." },
  { icon: Rocket, title: "Fast", text: "Builds in milliseconds, loads instantly, works offline." },
];

const plans = [
  { name: "Starter", price: 0, items: ["3 projects", "Community support"] },
  { name: "Pro", price: 19, items: ["Unlimited projects", "Priority support", "Custom domains"], featured: true },
  { name: "Team", price: 49, items: ["Everything in Pro", "SSO", "Audit logs"] },
];

export default function Landing() {
  return (
    <div className="min-h-screen bg-gradient-to-b from-white to-indigo-50 text-gray-900">
      <header className="mx-auto flex max-w-6xl items-center justify-between px-6 py-5">
        <span className="text-xl font-extrabold tracking-tight text-indigo-600">Acme</span>
        <nav className="hidden gap-8 text-sm font-medium text-gray-600 md:flex">
          <a href="#features" className="hover:text-indigo-600">Features</a>
          <a href="#pricing" className="hover:text-indigo-600">Pricing</a>
        </nav>
        <button className="rounded-full bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow hover:bg-indigo-500">Sign in</button>
      </header>
      <section className="mx-auto max-w-4xl px-6 py-24 text-center">
        <h1 className="text-5xl font-black leading-tight sm:text-6xl">
          Ship <span className="bg-gradient-to-r from-indigo-600 to-pink-500 bg-clip-text text-transparent">faster</span> than ever
        </h1>
        <p className="mx-auto mt-6 max-w-2xl text-lg text-gray-600">A landing page made only of utility classes, to measure a Tailwind-heavy component.</p>
        <div className="mt-10 flex justify-center gap-4">
          <button className="inline-flex items-center gap-2 rounded-lg bg-indigo-600 px-6 py-3 font-semibold text-white shadow-lg shadow-indigo-500/30 transition hover:-translate-y-0.5 hover:bg-indigo-500">
            Get started <ArrowRight className="h-4 w-4" />
          </button>
          <button className="rounded-lg border border-gray-300 bg-white px-6 py-3 font-semibold hover:bg-gray-50">Learn more</button>
        </div>
      </section>
      <section id="features" className="mx-auto grid max-w-6xl gap-8 px-6 py-16 md:grid-cols-3">
        {features.map(({ icon: Icon, title, text }) => (
          <div key={title} className="rounded-2xl bg-white p-8 shadow-sm ring-1 ring-gray-100">
            <Icon className="h-8 w-8 text-indigo-600" />
            <h3 className="mt-4 text-lg font-bold">{title}</h3>
            <p className="mt-2 text-gray-600">{text}</p>
          </div>
        ))}
      </section>
      <section id="pricing" className="mx-auto grid max-w-6xl gap-6 px-6 pb-24 md:grid-cols-3">
        {plans.map((p) => (
          <div key={p.name} className={`rounded-2xl p-8 ${p.featured ? "bg-indigo-600 text-white scale-105 shadow-xl" : "bg-white shadow-sm"}`}>
            <h3 className="text-lg font-semibold">{p.name}</h3>
            <p className="mt-4 text-4xl font-black">${p.price}<span className="text-base font-medium opacity-70">/mo</span></p>
            <ul className="mt-6 space-y-2">
              {p.items.map((i) => (
                <li key={i} className="flex items-center gap-2"><Check className="h-4 w-4" /> {i}</li>
              ))}
            </ul>
          </div>
        ))}
      </section>
    </div>
  );
}
