import type { Metadata } from "next";
import type { ReactNode } from "react";

import { Header } from "@/components/Header";
import { RuntimeConfigProvider } from "@/components/RuntimeConfig";
import { readRuntimeConfig } from "@/lib/config";

import "./globals.css";

// Configuration is read from the environment on every request, never at build time.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "Lessons",
  description: "Course lessons with Mux video",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  const result = readRuntimeConfig();
  return (
    <html lang="en">
      <body>
        {result.ok ? (
          <RuntimeConfigProvider config={result.config}>
            <Header />
            <main>{children}</main>
          </RuntimeConfigProvider>
        ) : (
          <main>
            <section className="panel" data-testid="config-error">
              <h1>This app is not configured</h1>
              <ul>
                {result.problems.map((problem) => (
                  <li key={problem}>{problem}</li>
                ))}
              </ul>
              <p className="muted">Set these in the environment of `next start` and reload.</p>
            </section>
          </main>
        )}
      </body>
    </html>
  );
}
