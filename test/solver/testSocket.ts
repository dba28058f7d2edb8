// A client of the solver's event socket for tests: every message kept in order, and waits that end with a clear
// error (the socket closed first, or the time ran out) instead of hanging.
import { EVENTS_PATH } from "../../src/core/api/solverProtocol.ts";

export interface CloseEvent {
  code: number;
  reason: string;
}

export interface TestSocket {
  ws: WebSocket;
  // The messages as parsed JSON: the tests assert on their shape.
  messages: any[];
  opened: Promise<void>;
  /** Resolves with what `probe` returns once it is defined; fails if the socket closes first, or after `timeoutMs`. */
  until<T>(what: string, probe: () => T | undefined, timeoutMs?: number): Promise<T>;
  nextMessage(index: number): Promise<any>;
  closed(): Promise<CloseEvent>;
}

export function openTestSocket(solverUrl: string): TestSocket {
  const ws = new WebSocket(`${solverUrl.replace(/^http/, "ws")}${EVENTS_PATH}`);
  const messages: any[] = [];
  let closeEvent: CloseEvent | undefined;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  ws.addEventListener("message", (event) => {
    messages.push(JSON.parse(String(event.data)));
    notify();
  });
  ws.addEventListener("close", (event) => {
    closeEvent = { code: event.code, reason: event.reason };
    notify();
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener("error", () => reject(new Error("the socket failed to open")));
  });
  opened.catch(() => {});
  const until = <T>(what: string, probe: () => T | undefined, timeoutMs = 5000) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = probe();
        if (value !== undefined) {
          cleanup();
          resolve(value);
        } else if (closeEvent) {
          cleanup();
          reject(new Error(`the socket closed (${closeEvent.code} ${closeEvent.reason}) while waiting for ${what}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; last messages ${JSON.stringify(messages.slice(-3)).slice(0, 500)}, close ${JSON.stringify(closeEvent)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    ws,
    messages,
    opened,
    until,
    nextMessage: (index) => until(`message ${index}`, () => messages[index]),
    closed: () => until("close", () => closeEvent),
  };
}
