// A parser for the subset of Go's text/template that Lilypad's module templates use (lilypad_module.json.tmpl):
// text; actions that print `.Name`, `js .Name`, `.Name | js` or `subst "FORMAT" .Name…`; `if .Name` … `else` …
// `end`; comments; and the `{{-` / `-}}` trim markers. Everything else (range, with, define, template, block,
// variables, other functions, nested field paths, parentheses, constants) is refused naming the construct and where
// it is, because the translator must know statically what every action prints.
import { LilypadTemplateError, type TemplatePosition } from "./errors.ts";

/** What an action prints, before Lilypad's JSON quoting of the values is taken into account. */
export type TemplateValue =
  /** `{{ .Name }}`: Lilypad prints the value JSON-encoded, quotes included. */
  | { kind: "field"; name: string }
  /** `{{ js .Name }}` or `{{ .Name | js }}`: Go's JavaScript escaper applied to the JSON-encoded value. */
  | { kind: "js"; name: string }
  /** `{{ subst "FMT" .A .B }}`: FMT with each %s (or %v) replaced by a JSON-decoded value, unescaped. */
  | { kind: "subst"; parts: Array<string | { name: string }> };

export type TemplateNode =
  | { type: "text"; text: string; position: TemplatePosition }
  | { type: "action"; value: TemplateValue; position: TemplatePosition }
  | { type: "if"; name: string; then: TemplateNode[]; else: TemplateNode[]; position: TemplatePosition };

export interface ParsedTemplate {
  nodes: TemplateNode[];
  /** Every field the template names (printed or tested), in order of first appearance. */
  variables: string[];
}

/** Lilypad passes input values as a map, so a field is an input name: it must also be a valid name of ours. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
const KEYWORDS_REFUSED = new Set(["range", "with", "define", "template", "block", "break", "continue"]);
const CONSTANTS = new Set(["nil", "true", "false"]);

type Token =
  | { t: "field"; name: string; position: TemplatePosition }
  | { t: "ident"; name: string; position: TemplatePosition }
  | { t: "string"; value: string; position: TemplatePosition }
  | { t: "pipe"; position: TemplatePosition };

interface IfFrame {
  node: Extract<TemplateNode, { type: "if" }>;
  inElse: boolean;
  parent: TemplateNode[];
}

const isSpace = (c: string | undefined): boolean => c === " " || c === "\t" || c === "\r" || c === "\n";

/** Parses a template, or throws LilypadTemplateError naming the construct that is not in the subset and its place. */
export function parseGoTemplate(text: string): ParsedTemplate {
  const lineStarts = [0];
  for (let k = 0; k < text.length; k++) if (text[k] === "\n") lineStarts.push(k + 1);
  const positionAt = (index: number): TemplatePosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - lineStarts[lo]! + 1 };
  };
  const fail = (reason: string, index: number, hint?: string): never => {
    throw new LilypadTemplateError({ reason, position: positionAt(index), hint });
  };

  const variables: string[] = [];
  const seen = new Set<string>();
  const noteVariable = (name: string, index: number): void => {
    if (!FIELD_NAME.test(name)) fail(`the field .${name} cannot be an input name (1-64 characters of A-Z, a-z, 0-9 or '_', starting with a letter)`, index);
    if (!seen.has(name)) variables.push(name), seen.add(name);
  };

  const root: TemplateNode[] = [];
  let current = root;
  const frames: IfFrame[] = [];
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    const textEnd = open === -1 ? text.length : open;
    if (textEnd > i) current.push({ type: "text", text: text.slice(i, textEnd), position: positionAt(i) });
    if (open === -1) break;

    let j = open + 2;
    if (text[j] === "-" && isSpace(text[j + 1])) {
      j += 2;
      const last = current[current.length - 1];
      if (last?.type === "text") {
        last.text = last.text.replace(/[ \t\r\n]+$/, "");
        if (last.text === "") current.pop();
      }
    }
    let end: number;
    let trimRight = false;
    if (text.startsWith("/*", j)) {
      const close = text.indexOf("*/", j + 2);
      if (close === -1) fail("a comment {{/* … */}} is not closed", open);
      const k = close + 2;
      if (text.startsWith("}}", k)) end = k + 2;
      else if (isSpace(text[k]) && text.startsWith("-}}", k + 1)) (end = k + 4), (trimRight = true);
      else end = fail("a comment must end with */}} or */ -}}", open);
    } else {
      const lexed = lexAction(text, j, open, positionAt, fail);
      end = lexed.end;
      trimRight = lexed.trimRight;
      const tokens = lexed.tokens;
      const first = tokens[0];
      if (!first) fail("an empty action {{ }}", open);
      for (const token of tokens) if (token.t === "field") noteVariable(token.name, open);
      if (first!.t === "ident" && first!.name === "if") {
        const rest = tokens.slice(1);
        if (rest.length !== 1 || rest[0]!.t !== "field") {
          fail("`if` must test a single field, as in {{ if .Prompt }}", open, "Lilypad modules use `if` to give a variable a default");
        }
        const node: Extract<TemplateNode, { type: "if" }> = { type: "if", name: (rest[0] as { name: string }).name, then: [], else: [], position: positionAt(open) };
        frames.push({ node, inElse: false, parent: current });
        current = node.then;
      } else if (first!.t === "ident" && first!.name === "else") {
        const frame = frames[frames.length - 1];
        if (tokens.length > 1) {
          const what = tokens[1]!.t === "ident" ? `else ${(tokens[1] as { name: string }).name}` : "else with a pipeline";
          fail(`\`${what}\` is not supported`, open, "nest an {{ if }} inside the {{ else }} branch instead");
        }
        if (!frame) fail("{{ else }} outside an {{ if }}", open);
        if (frame!.inElse) fail("a second {{ else }} in one {{ if }}", open);
        frame!.inElse = true;
        current = frame!.node.else;
      } else if (first!.t === "ident" && first!.name === "end") {
        if (tokens.length > 1) fail("{{ end }} takes nothing after it", open);
        const frame = frames.pop();
        if (!frame) fail("{{ end }} without an {{ if }}", open);
        current = frame!.parent;
        current.push(frame!.node);
      } else if (first!.t === "ident" && KEYWORDS_REFUSED.has(first!.name)) {
        fail(`{{ ${first!.name} }} is not supported (only if/else/end, js and subst are)`, open);
      } else {
        current.push({ type: "action", value: pipelineValue(tokens, fail, open), position: positionAt(open) });
      }
    }
    i = end;
    if (trimRight) while (isSpace(text[i])) i++;
  }
  const open = frames[frames.length - 1];
  if (open) {
    const p = open.node.position;
    throw new LilypadTemplateError({ reason: `{{ if .${open.node.name} }} at line ${p.line}, column ${p.column} has no {{ end }}`, position: p });
  }
  return { nodes: root, variables };
}

function lexAction(
  text: string,
  start: number,
  open: number,
  positionAt: (index: number) => TemplatePosition,
  fail: (reason: string, index: number, hint?: string) => never,
): { tokens: Token[]; end: number; trimRight: boolean } {
  const tokens: Token[] = [];
  let k = start;
  for (;;) {
    const spaced = isSpace(text[k]);
    while (isSpace(text[k])) k++;
    if (k >= text.length) fail("an action {{ … is not closed with }}", open);
    if (spaced && text.startsWith("-}}", k)) return { tokens, end: k + 3, trimRight: true };
    if (text.startsWith("}}", k)) return { tokens, end: k + 2, trimRight: false };
    const c = text[k]!;
    const position = positionAt(k);
    if (c === '"') {
      const { value, end } = goString(text, k, fail);
      tokens.push({ t: "string", value, position });
      k = end;
    } else if (c === "`") {
      const close = text.indexOf("`", k + 1);
      if (close === -1) fail("a raw string `… is not closed", k);
      tokens.push({ t: "string", value: text.slice(k + 1, close), position });
      k = close + 1;
    } else if (c === ".") {
      const m = /^[\p{L}_][\p{L}\p{Nd}_]*/u.exec(text.slice(k + 1));
      if (!m) fail("the dot `.` by itself (the whole input map) is not supported: name a field, as in .Prompt", k);
      const name = m![0];
      k += 1 + name.length;
      if (text[k] === "." && /[\p{L}_]/u.test(text[k + 1] ?? "")) {
        const path = /^(?:\.[\p{L}_][\p{L}\p{Nd}_]*)+/u.exec(text.slice(k))![0];
        fail(`the nested field path .${name}${path} is not supported: Lilypad's inputs are strings, with no fields of their own`, k - name.length - 1);
      }
      tokens.push({ t: "field", name, position });
    } else if (c === "$") {
      fail("template variables ($…) are not supported", k);
    } else if (c === "|") {
      tokens.push({ t: "pipe", position });
      k++;
    } else if (c === "(" || c === ")") {
      fail("parenthesized pipelines are not supported", k, "write {{ js .Name }} or {{ subst \"FMT=%s\" .Name }}");
    } else if (/[\p{L}_]/u.test(c)) {
      const name = /^[\p{L}_][\p{L}\p{Nd}_]*/u.exec(text.slice(k))![0];
      tokens.push({ t: "ident", name, position });
      k += name.length;
    } else if (c === ":" || c === "=") {
      fail("assignments are not supported", k);
    } else if (/[0-9+\-']/.test(c)) {
      fail("constants (numbers, characters) are not supported", k);
    } else {
      fail(`unexpected ${JSON.stringify(c)} in an action`, k);
    }
  }
}

/** A Go interpreted string literal, "…", decoded as strconv.Unquote does. */
function goString(text: string, start: number, fail: (reason: string, index: number) => never): { value: string; end: number } {
  let out = "";
  let k = start + 1;
  for (;;) {
    const c = text[k];
    if (c === undefined || c === "\n") return fail("a string \"… is not closed", start);
    if (c === '"') return { value: out, end: k + 1 };
    if (c !== "\\") {
      out += c;
      k++;
      continue;
    }
    const e = text[k + 1];
    const simple: Record<string, string> = { a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\", '"': '"' };
    if (e !== undefined && Object.hasOwn(simple, e)) {
      out += simple[e];
      k += 2;
      continue;
    }
    const hex = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hex > 0) {
      const digits = text.slice(k + 2, k + 2 + hex);
      if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) return fail(`a bad \\${e} escape in a string`, k);
      const code = parseInt(digits, 16);
      if (e !== "x" && (code > 0x10ffff || (code >= 0xd800 && code < 0xe000))) return fail(`\\${e}${digits} is not a valid code point`, k);
      out += String.fromCodePoint(code);
      k += 2 + hex;
      continue;
    }
    if (e !== undefined && /[0-7]/.test(e)) {
      const digits = text.slice(k + 1, k + 4);
      if (!/^[0-7]{3}$/.test(digits) || parseInt(digits, 8) > 255) return fail("a bad octal escape in a string", k);
      out += String.fromCharCode(parseInt(digits, 8));
      k += 4;
      continue;
    }
    return fail(`an unknown escape \\${e ?? ""} in a string`, k);
  }
}

/** What a pipeline prints: `.X`, `js .X`, `.X | js`, `subst "FMT" .X…`, `.X | subst "FMT"`. */
function pipelineValue(tokens: Token[], fail: (reason: string, index: number, hint?: string) => never, open: number): TemplateValue {
  const commands: Token[][] = [[]];
  for (const token of tokens) {
    if (token.t === "pipe") commands.push([]);
    else commands[commands.length - 1]!.push(token);
  }
  let value: TemplateValue | undefined;
  for (const command of commands) {
    const head = command[0];
    if (!head) return fail("an empty command in a pipeline", open);
    if (head.t === "field") {
      if (command.length > 1) return fail(`.${head.name} is not a function: it takes no arguments`, open);
      if (value) return fail(`.${head.name} after | is not a function`, open);
      value = { kind: "field", name: head.name };
    } else if (head.t === "string") {
      return fail("constants are not supported as values", open);
    } else if (head.t === "ident" && CONSTANTS.has(head.name)) {
      return fail(`the constant ${head.name} is not supported`, open);
    } else if (head.t === "ident" && (head.name === "js" || head.name === "subst")) {
      const args: TemplateValue[] = [];
      let format: string | undefined;
      for (const [n, arg] of command.slice(1).entries()) {
        if (head.name === "subst" && n === 0) {
          if (arg.t !== "string") return fail('subst takes a format string first, as in subst "PROMPT=%s" .Prompt', open);
          format = arg.value;
        } else if (arg.t === "field") {
          args.push({ kind: "field", name: arg.name });
        } else {
          return fail(`${head.name} takes fields (.Name) as its arguments`, open);
        }
      }
      if (value) args.push(value);
      if (head.name === "js") {
        if (args.length !== 1) return fail(`js takes one argument here, got ${args.length}`, open);
        const arg = args[0]!;
        if (arg.kind !== "field") return fail("js of anything but a field is not supported", open, "write {{ js .Name }}");
        value = { kind: "js", name: arg.name };
      } else {
        if (format === undefined) return fail('subst takes a format string first, as in subst "PROMPT=%s" .Prompt', open);
        const names: string[] = [];
        for (const arg of args) {
          // Lilypad's subst JSON-decodes each argument: only a field's JSON-encoded value decodes.
          if (arg.kind !== "field") return fail("subst of anything but fields is not supported (Lilypad's subst JSON-decodes its arguments)", open);
          names.push(arg.name);
        }
        value = { kind: "subst", parts: substParts(format, names, (reason) => fail(reason, open)) };
      }
    } else {
      return fail(`unknown function "${(head as { name: string }).name}" (only js and subst are supported)`, open);
    }
  }
  return value!;
}

/** Splits a subst format at its verbs: %s and %v take the next value, %% is a percent sign; nothing else is read. */
function substParts(format: string, names: string[], fail: (reason: string) => never): Array<string | { name: string }> {
  const parts: Array<string | { name: string }> = [];
  let literal = "";
  let used = 0;
  for (let k = 0; k < format.length; k++) {
    const c = format[k]!;
    if (c !== "%") {
      literal += c;
      continue;
    }
    const verb = format[k + 1];
    k++;
    if (verb === "%") {
      literal += "%";
    } else if (verb === "s" || verb === "v") {
      if (used >= names.length) fail(`subst's format ${JSON.stringify(format)} has more verbs than values`);
      if (literal) parts.push(literal), (literal = "");
      parts.push({ name: names[used++]! });
    } else {
      fail(`subst's format verb %${verb ?? ""} is not supported (only %s, %v and %%)`);
    }
  }
  if (used < names.length) fail(`subst's format ${JSON.stringify(format)} has fewer verbs than values`);
  if (literal) parts.push(literal);
  return parts;
}
