// The time, re-read every `everyMs`, so "12 s ago" keeps counting on a page left open.
import { useEffect, useState } from "preact/hooks";

export function useNow(everyMs = 5000): number {
  const [now, setNow] = useState(() => Date.now() / 1000);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now() / 1000), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
