// History-API routing: each page has a real URL (/deals/0x…) that can be shared and reloaded. The server answers
// these paths with index.html (src/dashboard/serveDashboard.ts lists the same prefixes).
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "overview" }
  | { page: "deals" }
  | { page: "deal"; dealId: string }
  | { page: "providers" }
  | { page: "provider"; address: string }
  | { page: "leaderboard" }
  | { page: "modules" }
  | { page: "not-found"; path: string };

/** The page a path shows. Pure, so it reads the same in tests and in the browser. */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const [first, second, ...rest] = parts;
  if (rest.length > 0) return { page: "not-found", path: pathname };
  if (!first) return { page: "overview" };
  if (first === "deals") return second ? { page: "deal", dealId: second } : { page: "deals" };
  if (first === "providers") return second ? { page: "provider", address: second } : { page: "providers" };
  if (first === "leaderboard" && !second) return { page: "leaderboard" };
  if (first === "modules" && !second) return { page: "modules" };
  return { page: "not-found", path: pathname };
}

const listeners = new Set<() => void>();

/** Go to `href` without reloading (pushState), and tell every useLocation. */
export function navigate(href: string, options: { replace?: boolean } = {}): void {
  if (href === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", href);
  else history.pushState(null, "", href);
  for (const listener of listeners) listener();
  if (!options.replace) window.scrollTo(0, 0);
}

window.addEventListener("popstate", () => {
  for (const listener of listeners) listener();
});

/** The current path and query, re-rendering on navigation. */
export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const listener = () => setTick((t) => t + 1);
    listeners.add(listener);
    return () => void listeners.delete(listener);
  }, []);
  return { pathname: location.pathname, search: new URLSearchParams(location.search) };
}

/** The current query with `changes` applied (undefined or "" removes a key), as an href for this path. */
export function withQuery(changes: Record<string, string | undefined>): string {
  const search = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined || value === "") search.delete(key);
    else search.set(key, value);
  }
  const text = search.toString();
  return `${location.pathname}${text ? `?${text}` : ""}`;
}

type AnchorProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, "href"> & { href: string; children?: ComponentChildren };

/** An <a> that navigates in place, but still opens a new tab on a modified or middle click. */
export function Link({ href, children, ...rest }: AnchorProps) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
