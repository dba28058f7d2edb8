// Every command's "Examples:" section, in one table. Kept apart from the commands so that adding examples never
// touches (or conflicts with) a command's own file; main() applies them once every command is registered, and
// test/cli/helpExamples.test.ts fails for a command that has none, and runs a few of them.
import type { Command } from "commander";

export interface HelpExample {
  /** What it does, one short phrase. */
  what: string;
  /** The whole command line, starting with `lilypad`: copy-pastable as it stands. */
  command: string;
}

/** A dev account's address (account 1, the devnet's job creator): a real address for examples that need one. */
const DEV_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/** A shell variable the user sets to a deal id, as `lilypad run` and `lilypad jobs list` print them. */
const DEAL_ID = "$DEAL_ID";

/** Examples by command path without the program's name ("" is `lilypad` itself, "jobs list" is `lilypad jobs list`). */
export const HELP_EXAMPLES: Readonly<Record<string, readonly HelpExample[]>> = {
  "": [
    { what: "run one job: on the devnet if it runs, else on an embedded network started for it", command: "lilypad run cowsay:v1 -i Message=hi" },
    { what: "start a whole local network, and keep it running", command: "lilypad devnet" },
    { what: "run a module in this machine's sandbox, no network involved", command: "lilypad module run cowsay:v1 -i Message=hi" },
  ],
  devnet: [
    { what: "the whole local network: chain, solver, 2 resource providers, mediator, relay, gateway", command: "lilypad devnet" },
    { what: "only the chain, with the contracts deployed", command: "lilypad devnet chain" },
  ],
  "devnet start": [
    { what: "the whole network with one resource provider", command: "lilypad devnet start --providers 1" },
    { what: "on other ports, with the network info as JSON", command: "lilypad devnet start --port 9545 --solver-port 9546 --gateway-port 9547 --json" },
  ],
  "devnet chain": [
    { what: "a dev chain on 127.0.0.1:8545, its network file in $LILYPAD_HOME/networks/devnet.json", command: "lilypad devnet chain" },
    { what: "on a free port, the network file written here, the info as JSON", command: "lilypad devnet chain --port 0 --network-file ./chain.json --json" },
  ],
  module: [
    { what: "what a module takes", command: "lilypad module inspect cowsay:v1" },
    { what: "run it here", command: "lilypad module run cowsay:v1 -i Message=hi" },
  ],
  "module init": [
    { what: "a new AssemblyScript module in ./hello (build and run it as it stands)", command: "lilypad module init hello" },
    { what: "a C module named greeter", command: "lilypad module init ./greeter --lang c --name greeter" },
    { what: "a Rust module", command: "lilypad module init hello-rs --lang rust" },
  ],
  "module list": [
    { what: "the modules this machine knows: shipped, built and published by you", command: "lilypad module list" },
    { what: "as JSON: module, cid, engine, description, source", command: "lilypad module list --json" },
  ],
  "module build": [
    { what: "compile a folder's sources (AssemblyScript, C or Rust), package it and add it to your catalog as NAME:VERSION", command: "lilypad module build ./my-module" },
    { what: "the same, printing its CID and ids as JSON", command: "lilypad module build ./my-module --json" },
  ],
  "module run": [
    { what: "run a shipped module", command: "lilypad module run cowsay:v1 -i Message=hello" },
    { what: "count the primes below 1000, as JSON", command: "lilypad module run compute:v1 -i N=1000 --json" },
    { what: "a file input takes a local path", command: "lilypad module run ocr:v1 -i Image=./scan.png" },
    { what: "a module folder, with its result saved to ./out (rebuilt first if its sources changed)", command: "lilypad module run ./my-module --out ./out" },
  ],
  "module inspect": [
    { what: "a shipped module's inputs, limits and ids", command: "lilypad module inspect cowsay:v1" },
    { what: "the whole manifest as JSON", command: "lilypad module inspect ocr:v1 --json" },
  ],
  "module publish": [
    { what: "on the devnet, as dev account 5", command: "lilypad module publish ./my-module --dev-account 5" },
    { what: "on another network, with your key in LILYPAD_PRIVATE_KEY", command: "lilypad module publish ./my-module --network arbitrum-sepolia" },
  ],
  run: [
    { what: "one job: on the devnet if it runs, else on an embedded network", command: "lilypad run cowsay:v1 -i Message=hi" },
    { what: "a result as one JSON object, for scripts", command: "lilypad run compute:v1 -i N=1000 --json" },
    { what: "a file input, on the devnet, with a 1 in 2 chance of a spot check", command: "lilypad run ocr:v1 -i Image=./scan.png --network devnet --mediation-chance 0.5" },
    { what: "a module someone published, by its full name", command: `lilypad run ${DEV_ADDRESS}/my-module:v1` },
    { what: "a value without a key goes to the module's first input, as in Lilypad's CLI", command: 'lilypad run cowsay:v1 "hello there"' },
    { what: "submit and return at once with the deal id (collect it later with jobs get)", command: "lilypad run cowsay:v1 -i Message=later --detach --network devnet" },
  ],
  solver: [
    { what: "a solver for a network whose file is in $LILYPAD_HOME/networks", command: "lilypad solver --network my-network --port 8546" },
    { what: "reachable by others (the URL is registered on chain)", command: "lilypad solver --network my-network --host 0.0.0.0 --public-url https://solver.example.com" },
  ],
  "resource-provider": [
    { what: "offer this machine to the devnet, two jobs at a time", command: "lilypad resource-provider --network devnet --slots 2" },
    { what: "only some modules, at your price", command: "lilypad resource-provider --network devnet --modules cowsay:v1,compute:v1 --base-price 0.02" },
  ],
  mediator: [
    { what: "a mediator on the devnet (its dev account)", command: "lilypad mediator --network devnet" },
    { what: "reachable by others", command: "lilypad mediator --network my-network --host 0.0.0.0 --port 8550 --public-url https://mediator.example.com" },
  ],
  jobcreator: [
    { what: "relay jobs that contracts request on the devnet", command: "lilypad jobcreator --network devnet" },
    { what: "spot-check one result in ten of the jobs it judges", command: "lilypad jobcreator --network devnet --mediation-chance 0.1" },
    { what: "its Prometheus metrics for a scraper on another machine", command: "lilypad jobcreator --network my-network --metrics-host 0.0.0.0 --metrics-port 9548" },
  ],
  dashboard: [
    { what: "the devnet's dashboard and public API on http://127.0.0.1:8549", command: "lilypad dashboard --network devnet" },
    { what: "a public one, with the index kept in a file of your choice", command: "lilypad dashboard --network my-network --host 0.0.0.0 --port 8080 --database ./index.db" },
  ],
  gateway: [
    { what: "an HTTP gateway on the devnet, paid from its dev account", command: "lilypad gateway --network devnet --port 9547" },
    { what: "asking callers for a key", command: "lilypad gateway --network my-network --api-key \"$GATEWAY_KEY\"" },
  ],
  balance: [
    { what: "your tokens on the devnet (the job creator's dev account)", command: "lilypad balance" },
    { what: "as JSON, amounts in wei", command: "lilypad balance --network devnet --json" },
  ],
  deposit: [
    { what: "put 10 tokens in escrow, to pay for jobs", command: "lilypad deposit 10" },
    { what: "half a token, as JSON", command: "lilypad deposit 0.5 --json" },
  ],
  withdraw: [
    { what: "take 5 available tokens back to your wallet", command: "lilypad withdraw 5" },
    { what: "as JSON", command: "lilypad withdraw 0.5 --json" },
  ],
  jobs: [
    { what: "your jobs still running", command: "lilypad jobs list --status open" },
    { what: "one job's module, inputs, result CID, outcome and timeline", command: `lilypad jobs show ${DEAL_ID}` },
    { what: "its stdout and stderr as it runs", command: `lilypad jobs logs ${DEAL_ID} -f` },
    { what: "collect a job submitted with run --detach", command: `lilypad jobs get ${DEAL_ID}` },
  ],
  "jobs list": [
    { what: "your 20 newest jobs, as a table", command: "lilypad jobs list" },
    { what: "those still open or with a result posted", command: "lilypad jobs list --status open,result-posted" },
    { what: "cowsay jobs of the last two hours", command: "lilypad jobs list --module cowsay:v1 --since 2h" },
    { what: "since a date, as JSON", command: "lilypad jobs list --since 2026-01-31 --limit 100 --json" },
  ],
  "jobs show": [
    { what: "one job's module, inputs, result CID, outcome and timeline (DEAL_ID=0x… as run or jobs list printed it)", command: `lilypad jobs show ${DEAL_ID}` },
    { what: "as JSON", command: `lilypad jobs show ${DEAL_ID} --json` },
  ],
  "jobs logs": [
    { what: "the job's output so far, and its status lines", command: `lilypad jobs logs ${DEAL_ID}` },
    { what: "follow it until its result is posted (or the job fails)", command: `lilypad jobs logs ${DEAL_ID} -f` },
    { what: "only the job's own output", command: `lilypad jobs logs ${DEAL_ID} --no-status` },
    { what: "one JSON object per line: {stream, text, at?, from}", command: `lilypad jobs logs ${DEAL_ID} -f --json` },
  ],
  "jobs get": [
    { what: "wait for a detached job's result, verify and judge it, print its stdout", command: `lilypad jobs get ${DEAL_ID}` },
    { what: "save its files in ./moo and print one JSON summary (as run --json)", command: `lilypad jobs get ${DEAL_ID} --out ./moo --json` },
  ],
  "jobs finalize": [
    { what: "settle every overdue deal of yours", command: "lilypad jobs finalize" },
    { what: "one deal, as JSON", command: `lilypad jobs finalize ${DEAL_ID} --json` },
  ],
  "jobs revoke": [
    { what: "revoke the offer of a job that has not opened a deal (DEAL_ID=0x… as run printed it)", command: `lilypad jobs revoke ${DEAL_ID}` },
    { what: "revoke every offer of lane 0 up to number 7", command: "lilypad jobs revoke --lane 0 --seq 7" },
  ],
  deploy: [
    { what: "deploy to a chain, with the deployer's key in LILYPAD_PRIVATE_KEY, and name the network", command: "lilypad deploy --rpc-url https://sepolia-rollup.arbitrum.io/rpc --name my-network" },
    { what: "deploy to a network shipped with lilypad (its file names the chain)", command: "lilypad deploy --network arbitrum-sepolia" },
  ],
  faucet: [
    { what: "fund the devnet's job creator account", command: "lilypad faucet" },
    { what: "fund an address with 50 tokens", command: `lilypad faucet ${DEV_ADDRESS} --amount 50` },
  ],
};

/** A command's path without the program's name: "" for the program, "jobs list" for `lilypad jobs list`. */
export function commandKey(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/** Adds each command's examples after its help text. Commands without any are left as they are (the test says so). */
export function applyHelpExamples(commands: readonly Command[]): void {
  for (const command of commands) {
    const examples = HELP_EXAMPLES[commandKey(command)];
    if (!examples?.length) continue;
    command.addHelpText("after", `\nExamples:\n${examples.map((e) => `  # ${e.what}\n  $ ${e.command}\n`).join("")}`);
  }
}
