// The dashboard's shell: the header with its navigation and the live feed's state, and the page the URL names.
import { render } from "preact";
import { groupDigits } from "./format.ts";
import { useLive } from "./live.ts";
import { Deal } from "./pages/Deal.tsx";
import { Deals } from "./pages/Deals.tsx";
import { Leaderboard } from "./pages/Leaderboard.tsx";
import { Modules } from "./pages/Modules.tsx";
import { Overview } from "./pages/Overview.tsx";
import { Provider } from "./pages/Provider.tsx";
import { Providers } from "./pages/Providers.tsx";
import { Link, parseRoute, useLocation, type Route } from "./router.tsx";
import "./styles.css";

const NAV: { href: string; label: string; pages: Route["page"][] }[] = [
  { href: "/", label: "Overview", pages: ["overview"] },
  { href: "/deals", label: "Deals", pages: ["deals", "deal"] },
  { href: "/providers", label: "Providers", pages: ["providers", "provider"] },
  { href: "/leaderboard", label: "Leaderboard", pages: ["leaderboard"] },
  { href: "/modules", label: "Modules", pages: ["modules"] },
];

function App() {
  const { pathname } = useLocation();
  const route = parseRoute(pathname);
  return (
    <>
      <header class="topbar">
        <Link href="/" class="brand">
          <span class="logo" aria-hidden="true" />
          lilypad
        </Link>
        <nav>
          {NAV.map((item) => (
            <Link key={item.href} href={item.href} class={item.pages.includes(route.page) ? "active" : undefined} data-testid={`nav-${item.label.toLowerCase()}`}>
              {item.label}
            </Link>
          ))}
        </nav>
        <LiveIndicator />
      </header>
      <main>
        <Page route={route} />
      </main>
    </>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case "overview":
      return <Overview />;
    case "deals":
      return <Deals />;
    case "deal":
      return <Deal key={route.dealId} dealId={route.dealId} />;
    case "providers":
      return <Providers />;
    case "provider":
      return <Provider key={route.address} address={route.address} />;
    case "leaderboard":
      return <Leaderboard />;
    case "modules":
      return <Modules />;
    case "not-found":
      return (
        <div class="page">
          <h1>Not found</h1>
          <p class="subtle">
            Nothing lives at <span class="mono">{route.path}</span>. <Link href="/">Back to the overview</Link>.
          </p>
        </div>
      );
  }
}

/** Whether the live feed is connected, and the block it is up to. */
function LiveIndicator() {
  const live = useLive({ background: true });
  const label = live.status === "live" ? "live" : live.status === "connecting" ? "connecting" : "reconnecting";
  return (
    <div class={`live-indicator is-${live.status}`} data-testid="live-indicator" data-status={live.status}>
      <span class="pulse" />
      {label}
      {live.stats && <span class="subtle"> · block {groupDigits(String(live.stats.indexedBlock))}</span>}
    </div>
  );
}

const root = document.getElementById("app");
if (root) render(<App />, root);
