// Renders a parsed Lilypad template once, without its inputs: each variable is printed as a sentinel, so the
// output is the job spec with a marker wherever a value would go. Lilypad's Go code JSON-encodes every value before
// executing the template, so a `{{ .X }}` outside a JSON string prints a JSON string: its sentinel is printed quoted.
// Inside a JSON string, `{{ js .X }}` and `subst` print the sentinel bare. An `{{ if .X }}T{{ else }}E{{ end }}`
// must be a default: E equal to T with .X's value replaced by one literal D; then X is an input defaulting to D.
import { LilypadTemplateError, type TemplatePosition } from "./errors.ts";
import type { ParsedTemplate, TemplateNode } from "./goTemplate.ts";

/** A piece of rendered output: literal text, or a variable (quoted: printed as a JSON string of its own). */
type Segment = string | { name: string; quoted: boolean };

interface JsonState {
  inString: boolean;
  escape: boolean;
}

/** A template variable as the translation sees it. */
export interface SymbolicVariable {
  name: string;
  /** Printed somewhere outside an `{{ if .Name }}` branch: Lilypad would print `<no value>` there without it. */
  required: boolean;
  /** The default its `if`s give (a string; a JSON number or boolean default is given as its text). */
  default?: string;
}

export interface SymbolicRender {
  /** The rendered job spec, JSON-parsed; strings that hold variables hold their sentinels. */
  json: unknown;
  variables: SymbolicVariable[];
  notes: string[];
  /** Whether a string of `json` holds a variable. */
  hasVariable(s: string): boolean;
  /**
   * The string with each sentinel replaced by `{{Name}}`, as our manifests' placeholders; refused when literal
   * braces around a variable would make moduleInputs.ts's fillTemplate read a different placeholder.
   */
  placeholders(s: string, where: string): string;
  /** The variables a string of `json` holds. */
  variablesIn(s: string): string[];
}

const scan = (text: string, state: JsonState): JsonState => {
  let { inString, escape } = state;
  for (const c of text) {
    if (!inString) {
      if (c === '"') inString = true;
    } else if (escape) escape = false;
    else if (c === "\\") escape = true;
    else if (c === '"') inString = false;
  }
  return { inString, escape };
};

export function renderSymbolic(parsed: ParsedTemplate, source: string): SymbolicRender {
  // A private-use character the template never contains delimits each sentinel, so no concatenation of the
  // template's text can forge or split one.
  let mark = 0xe000;
  while (source.includes(String.fromCharCode(mark))) mark++;
  const M = String.fromCharCode(mark);
  const index = new Map(parsed.variables.map((name, k) => [name, k]));
  const sentinel = (name: string): string => `${M}${index.get(name)}${M}`;
  const serialize = (segments: Segment[]): string =>
    segments.map((s) => (typeof s === "string" ? s : s.quoted ? `"${sentinel(s.name)}"` : sentinel(s.name))).join("");

  const notes = new Set<string>();
  const unguarded = new Set<string>();
  const defaults = new Map<string, Array<{ value: string; position: TemplatePosition }>>();
  const fail = (reason: string, position: TemplatePosition, hint?: string): never => {
    throw new LilypadTemplateError({ reason, position, hint });
  };

  const render = (nodes: TemplateNode[], start: JsonState, guard: ReadonlySet<string>): { segments: Segment[]; state: JsonState } => {
    const segments: Segment[] = [];
    let state = start;
    const use = (name: string, quoted: boolean, position: TemplatePosition, what: string): void => {
      if (quoted ? state.inString : !state.inString) {
        fail(
          quoted
            ? `{{ .${name} }} sits inside a JSON string, where Lilypad's JSON-quoted value would end the string`
            : `${what} sits outside a JSON string, where its output is not JSON`,
          position,
          quoted ? `inside a string write {{ js .${name} }}` : `where a JSON value goes write {{ .${name} }}`,
        );
      }
      if (state.escape) fail(`${what} follows a backslash inside a JSON string`, position);
      if (!guard.has(name)) unguarded.add(name);
      segments.push({ name, quoted });
    };
    for (const node of nodes) {
      if (node.type === "text") {
        segments.push(node.text);
        state = scan(node.text, state);
      } else if (node.type === "action") {
        const value = node.value;
        if (value.kind === "field") use(value.name, true, node.position, `{{ .${value.name} }}`);
        else if (value.kind === "js") {
          use(value.name, false, node.position, `{{ js .${value.name} }}`);
          notes.add(
            "js: a value printed with {{ js .Name }} inside a JSON string reaches the program as given; under Lilypad's Go code it also carries the JSON quotes Lilypad adds around every value",
          );
        } else {
          for (const part of value.parts) {
            if (typeof part === "string") {
              segments.push(part);
              state = scan(part, state);
            } else use(part.name, false, node.position, `subst's value .${part.name}`);
          }
          notes.add("subst: the value is placed as given; under Lilypad's Go code a value with a quote or backslash in it breaks the job spec's JSON");
        }
      } else {
        const inner = new Set(guard).add(node.name);
        const then = render(node.then, state, inner);
        const otherwise = render(node.else, state, guard);
        if (then.state.inString !== otherwise.state.inString || then.state.escape !== otherwise.state.escape) {
          fail(`the branches of {{ if .${node.name} }} end in different places of the JSON (one inside a string, one outside)`, node.position);
        }
        const value = defaultOf(node.name, then.segments, otherwise.segments, node.position);
        const list = defaults.get(node.name) ?? [];
        list.push({ value, position: node.position });
        defaults.set(node.name, list);
        segments.push(...then.segments);
        state = then.state;
      }
    }
    return { segments, state };
  };

  /** D such that `otherwise` is `then` with each of name's values replaced by D, decoded. */
  const defaultOf = (name: string, then: Segment[], otherwise: Segment[], position: TemplatePosition): string => {
    const shape = (why: string): never =>
      fail(
        `{{ if .${name} }} … {{ else }} … {{ end }} is not a default for .${name}: ${why}`,
        position,
        "an if is read only as {{ if .X }}…X's value…{{ else }}…the same with a default in its place…{{ end }}; optional arguments and other conditional parts have no manifest form",
      );
    const uses = then.filter((s): s is { name: string; quoted: boolean } => typeof s !== "string" && s.name === name);
    if (uses.length === 0) return shape(`its first branch does not print .${name}`);
    const quoted = uses[0]!.quoted;
    if (uses.some((u) => u.quoted !== quoted)) return shape(`.${name} is printed both inside and outside JSON strings`);
    const parts: string[] = [""];
    for (const s of then) {
      if (typeof s !== "string" && s.name === name) parts.push("");
      else parts[parts.length - 1] += serialize([s]);
    }
    const target = serialize(otherwise);
    const fixed = parts.reduce((n, p) => n + p.length, 0);
    const length = (target.length - fixed) / uses.length;
    if (!Number.isInteger(length) || length < 0 || !target.startsWith(parts[0]!)) return shape("the else branch is not the first branch with a default in place of the value");
    const raw = target.slice(parts[0]!.length, parts[0]!.length + length);
    if (parts.join(raw) !== target) return shape("the else branch is not the first branch with a default in place of the value");
    if (raw.includes(M)) return shape("the default would depend on a variable");
    if (quoted) {
      // Outside a string the default is a JSON value: a string, or a number or boolean given as its text.
      let value: unknown;
      try {
        value = JSON.parse(raw);
      } catch {
        return shape(`the default ${JSON.stringify(raw)} is not a JSON value`);
      }
      if (typeof value === "string") return value;
      if (typeof value === "number" || typeof value === "boolean") {
        notes.add(`.${name}: its default ${raw} is a JSON ${typeof value} where a given value is a JSON string; the input is a string defaulting to "${raw}"`);
        return String(value);
      }
      return shape(`the default ${raw} is not a string, number or boolean`);
    }
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return shape(`the default ${JSON.stringify(raw)} is not the text of a JSON string`);
    }
  };

  const { segments, state } = render(parsed.nodes, { inString: false, escape: false }, new Set());
  if (state.inString) throw new LilypadTemplateError({ reason: "the template ends inside a JSON string" });
  const text = serialize(segments);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const shown = text.replace(new RegExp(`"?${M}(\\d+)${M}"?`, "g"), (_, k: string) => `{{ .${parsed.variables[Number(k)]} }}`);
    throw new LilypadTemplateError({
      reason: `the template does not render to JSON (the position is in the rendered text, shown in the hint): ${(e as Error).message}`,
      hint: `rendered with each variable in place: ${shown.length > 400 ? `${shown.slice(0, 400)}…` : shown}`,
      cause: e,
    });
  }

  const variables: SymbolicVariable[] = parsed.variables.map((name) => {
    const given = defaults.get(name) ?? [];
    if (unguarded.has(name) || given.length === 0) {
      if (given.length > 0) notes.add(`.${name} is printed outside its {{ if }} too, so it is required and its default is dropped`);
      return { name, required: true };
    }
    const first = given[0]!;
    const other = given.find((d) => d.value !== first.value);
    if (other) {
      fail(
        `.${name} has two defaults, ${JSON.stringify(first.value)} (line ${first.position.line}, column ${first.position.column}) and ${JSON.stringify(other.value)}`,
        other.position,
      );
    }
    return { name, required: false, default: first.value };
  });

  const sentinelPattern = new RegExp(`${M}(\\d+)${M}`, "g");
  return {
    json,
    variables,
    notes: [...notes],
    hasVariable: (s) => s.includes(M),
    variablesIn: (s) => [...s.matchAll(sentinelPattern)].map((m) => parsed.variables[Number(m[1])]!),
    placeholders(s, where) {
      const inserted: Array<[number, number]> = [];
      let out = "";
      let last = 0;
      for (const m of s.matchAll(sentinelPattern)) {
        out += s.slice(last, m.index);
        const placeholder = `{{${parsed.variables[Number(m[1])]}}}`;
        inserted.push([out.length, placeholder.length]);
        out += placeholder;
        last = m.index + m[0].length;
      }
      out += s.slice(last);
      // fillTemplate replaces /\{\{([^}]*)\}\}/: it must find exactly the placeholders put in, and no literal one.
      const found = [...out.matchAll(/\{\{([^}]*)\}\}/g)].map((m): [number, number] => [m.index, m[0].length]);
      if (found.length !== inserted.length || found.some(([at, n], k) => at !== inserted[k]![0] || n !== inserted[k]![1])) {
        throw new LilypadTemplateError({
          reason: `${where}: ${JSON.stringify(out)} has literal braces that our placeholders ({{Name}}) would misread`,
        });
      }
      return out;
    },
  };
}
