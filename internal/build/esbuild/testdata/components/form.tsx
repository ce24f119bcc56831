import React, { useState } from "react";
import { CheckCircle, AlertCircle, Eye, EyeOff } from "lucide-react";

type Errors = Partial<Record<"name" | "email" | "password", string>>;

function validate(values: { name: string; email: string; password: string }): Errors {
  const errors: Errors = {};
  if (!values.name.trim()) errors.name = "Name is required";
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.email)) errors.email = "Enter a valid email";
  if (values.password.length < 8) errors.password = "At least 8 characters";
  return errors;
}

export default function SignupForm() {
  const [values, setValues] = useState({ name: "", email: "", password: "" });
  const [errors, setErrors] = useState<Errors>({});
  const [show, setShow] = useState(false);
  const [done, setDone] = useState(false);

  const onChange = (e: React.ChangeEvent<HTMLInputElement>) => setValues({ ...values, [e.target.name]: e.target.value });
  const onSubmit = (e: React.FormEvent) => {
    e.preventDefault();
    const found = validate(values);
    setErrors(found);
    if (Object.keys(found).length === 0) setDone(true);
  };

  if (done) {
    return (
      <div className="flex flex-col items-center gap-2 p-10 text-green-700">
        <CheckCircle className="h-10 w-10" />
        <p id="welcome" className="text-lg font-medium">Welcome, {values.name}!</p>
      </div>
    );
  }
  return (
    <form onSubmit={onSubmit} className="mx-auto mt-10 max-w-sm space-y-4 rounded-xl border bg-white p-6 shadow">
      <h1 className="text-xl font-bold">Create an account</h1>
      {(["name", "email"] as const).map((field) => (
        <div key={field}>
          <label className="block text-sm font-medium capitalize text-gray-700">{field}</label>
          <input name={field} value={values[field]} onChange={onChange} className="mt-1 w-full rounded-md border px-3 py-2" />
          {errors[field] && (
            <p className="mt-1 flex items-center gap-1 text-sm text-red-600"><AlertCircle className="h-4 w-4" />{errors[field]}</p>
          )}
        </div>
      ))}
      <div>
        <label className="block text-sm font-medium text-gray-700">Password</label>
        <div className="relative">
          <input name="password" type={show ? "text" : "password"} value={values.password} onChange={onChange} className="mt-1 w-full rounded-md border px-3 py-2 pr-10" />
          <button type="button" onClick={() => setShow(!show)} className="absolute right-2 top-3 text-gray-500">
            {show ? <EyeOff className="h-4 w-4" /> : <Eye className="h-4 w-4" />}
          </button>
        </div>
        {errors.password && <p className="mt-1 text-sm text-red-600">{errors.password}</p>}
      </div>
      <button id="submit" type="submit" className="w-full rounded-md bg-indigo-600 py-2 font-semibold text-white hover:bg-indigo-700">Sign up</button>
    </form>
  );
}
