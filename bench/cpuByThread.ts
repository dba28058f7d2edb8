// CPU time by thread and process while a command runs (Linux /proc): `node bench/cpuByThread.ts node bench/protocol.ts`
// with PHASES=throughput measures where a job's CPU goes. On a 2-core machine shared by many busy threads, a
// wall-clock profile (--cpu-prof) charges a descheduled thread's wait to whatever call it was in (often `writev`,
// which wakes another process); CPU time does not.
//
// Every 250 ms it reads utime + stime of every thread of the command's process tree, keeping each one's last value;
// at the end it prints them grouped: anvil, sandbox children, and the command's own threads by id and name.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

const TICKS_PER_SECOND = 100;

interface ThreadTicks {
  group: string;
  ticks: number;
}

/** pid -> parent pid, for every process. */
function parents(): Map<number, number> {
  const map = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      map.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // Gone meanwhile.
    }
  }
  return map;
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]!) ?? []));
  return found;
}

function groupOf(root: number, pid: number, tid: number, command: string, name: string): string {
  if (command.includes("anvil")) return "anvil";
  if (pid !== root) return `process: ${command.slice(0, 60)}`;
  return tid === pid ? "main thread" : `thread ${tid} (${name})`;
}

function sample(root: number, seen: Map<string, ThreadTicks>): void {
  for (const pid of descendants(root)) {
    try {
      const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ").trim();
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        seen.set(`${pid}/${task}`, { group: groupOf(root, pid, Number(task), command, name), ticks: Number(fields[11]) + Number(fields[12]) });
      }
    } catch {
      // Gone meanwhile: its last sample stands.
    }
  }
}

const [command, ...args] = process.argv.slice(2);
if (!command) {
  console.error("usage: node bench/cpuByThread.ts <command> [args...]");
  process.exit(2);
}
const child = spawn(command, args, { stdio: "inherit" });
const seen = new Map<string, ThreadTicks>();
const timer = setInterval(() => sample(child.pid!, seen), 250);
child.on("exit", (code) => {
  clearInterval(timer);
  const groups = new Map<string, number>();
  for (const { group, ticks } of seen.values()) groups.set(group, (groups.get(group) ?? 0) + ticks);
  const total = [...groups.values()].reduce((a, b) => a + b, 0);
  console.table(
    [...groups]
      .sort((a, b) => b[1] - a[1])
      .map(([group, ticks]) => ({ group, "CPU s": (ticks / TICKS_PER_SECOND).toFixed(2), share: `${((100 * ticks) / Math.max(1, total)).toFixed(1)}%` })),
  );
  console.log(`total ${(total / TICKS_PER_SECOND).toFixed(2)} s of CPU`);
  process.exit(code ?? 1);
});
