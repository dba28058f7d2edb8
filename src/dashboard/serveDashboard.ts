// Serves the web dashboard (built by scripts/build-dashboard.ts into dashboard/dist/) from the indexer's HTTP
// server: its files, and index.html for each of its pages, so a page's URL (/deals/0x…) can be reloaded or shared.
// The JSON API under /api is the indexer's own; nothing here answers there. A checkout that never built the
// dashboard gets a page saying how to, not a bare 404.
import { existsSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyPluginAsync, FastifyReply } from "fastify";

/**
 * The dashboard's client-side routes (dashboard/src/router.tsx): each answers with index.html. Listed rather than
 * a catch-all 404 handler, so this plugin never takes over the 404s of the server that registers it.
 */
export const DASHBOARD_PAGES = ["/deals", "/deals/:dealId", "/providers", "/providers/:address", "/leaderboard", "/modules"] as const;

export const DASHBOARD_NOT_BUILT = "The dashboard is not built: run `npm run build:dashboard` in the lilypad folder, then restart.";

/**
 * Where the built dashboard lives: <package root>/dashboard/dist. This file sits two levels below the root both in
 * the checkout (src/dashboard/serveDashboard.ts) and in the package (dist/dashboard/serveDashboard.js), as the
 * other files that find the package's own folders assume (moduleCatalog.ts, networkFiles.ts).
 */
export function dashboardDistDir(): string {
  return fileURLToPath(new URL("../../dashboard/dist/", import.meta.url));
}

export interface ServeDashboardParameters {
  /** The built dashboard (default: dashboardDistDir()). */
  root?: string;
}

export const serveDashboard: FastifyPluginAsync<ServeDashboardParameters> = async (app, options) => {
  const root = options.root ?? dashboardDistDir();
  if (!existsSync(join(root, "index.html"))) {
    app.log.warn({ root }, DASHBOARD_NOT_BUILT);
    for (const path of ["/", "/assets/*", ...DASHBOARD_PAGES]) app.get(path, (_request, reply) => notBuilt(reply));
    return;
  }
  await app.register(fastifyStatic, {
    root,
    wildcard: true,
    // Hashed asset names change with their content, so a browser may keep them for good; index.html names the
    // current ones, so it is revalidated every time.
    cacheControl: false,
    setHeaders: (reply, path) => {
      reply.header("cache-control", relative(root, path).startsWith(`assets${sep}`) ? "public, max-age=31536000, immutable" : "no-cache");
    },
  });
  for (const path of DASHBOARD_PAGES) {
    app.get(path, (_request, reply) => reply.header("cache-control", "no-cache").sendFile("index.html"));
  }
};

function notBuilt(reply: FastifyReply) {
  const html = `<!doctype html><meta charset="utf-8"><title>Dashboard not built</title>
<body style="font:16px system-ui;margin:3em;max-width:40em">
<h1>Lilypad dashboard</h1><p>${DASHBOARD_NOT_BUILT.replace(/`([^`]+)`/g, "<code>$1</code>")}</p>
<p>The indexer's JSON API still answers under <a href="/api/v1/stats"><code>/api/v1</code></a>.</p></body>`;
  return reply.code(500).type("text/html; charset=utf-8").send(html);
}
