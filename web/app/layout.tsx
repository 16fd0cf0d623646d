import type { Metadata } from "next";
import type { ReactNode } from "react";

import { AnnouncerProvider, PageStatus } from "@/components/Announcer";
import { AskBeforeLeaving } from "@/components/AskBeforeLeaving";
import { FocusOnNavigate } from "@/components/FocusOnNavigate";
import { Header } from "@/components/Header";
import { LazyUploadTray } from "@/components/LazyUploadTray";
import { NotificationsProvider } from "@/components/NotificationsProvider";
import { PageTitle } from "@/components/PageTitle";
import { RuntimeConfigProvider } from "@/components/RuntimeConfigProvider";
import { SessionSync } from "@/components/SessionSync";
import { UploadsProvider } from "@/components/UploadsProvider";
import { readRuntimeConfig } from "@/lib/config";
import { currentViewer } from "@/lib/viewer";

import "./globals.css";

// Configuration is read from the environment on every request, never at build time.
export const dynamic = "force-dynamic";

// No title here: every page renders its own <PageTitle> (course and lesson titles included).
export const metadata: Metadata = {
  description: "Course lessons with Mux video",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const result = readRuntimeConfig();
  const viewer = await currentViewer(); // whom the server renders for (lib/viewer.ts)
  return (
    <html lang="en">
      <body>
        {result.ok ? (
          <RuntimeConfigProvider config={result.config}>
            <AnnouncerProvider>
              <NotificationsProvider>
                <UploadsProvider>
                  <AskBeforeLeaving />
                  <SessionSync serverUserId={viewer?.userId ?? null} />
                  <FocusOnNavigate />
                  <Header />
                  <LazyUploadTray />
                  <main id="main" tabIndex={-1}>
                    <PageStatus />
                    {children}
                  </main>
                </UploadsProvider>
              </NotificationsProvider>
            </AnnouncerProvider>
          </RuntimeConfigProvider>
        ) : (
          <main id="main">
            <PageTitle title="Not configured" />
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
