import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fillTemplate } from "../../../src/core/moduleInputs.ts";
import { sourceManifestSchema } from "../../../src/core/moduleManifest.ts";
import { LilypadTemplateError } from "../../../src/modules/lilypad/errors.ts";
import { parseGoTemplate } from "../../../src/modules/lilypad/goTemplate.ts";
import { translateLilypadTemplate } from "../../../src/modules/lilypad/translate.ts";

const DIGEST = "sha256:fad516b39e3a587f33ce3dbbb1e646073ef35e0b696bcf9afb1a3e399ce2ab0b";
const COWSAY = `{"machine":{"gpu":0,"cpu":1000,"ram":100},"job":{"APIVersion":"V1beta1","Metadata":{"CreatedAt":"0001-01-01T00:00:00Z","Requester":{}},"Spec":{"Deal":{"Concurrency":1},"Docker":{"Entrypoint":["cowsay",{{ .Message }}],"Image":"grycap/cowsay:latest@${DIGEST}"},"Engine":"Docker","Network":{"Type":"None"},"PublisherSpec":{"Type":"IPFS"},"Resources":{"GPU":""},"Timeout":1800,"Verifier":"Noop"}}}`;

const SDXL = `{
  "machine": { "gpu": 1, "cpu": 8000, "ram": 16000 },
  "job": {
    "APIVersion": "V1beta1",
    "Metadata": { "CreatedAt": "0001-01-01T00:00:00Z", "Requester": {} },
    "Spec": {
      "Deal": { "Concurrency": 1 },
      "Docker": {
        "Entrypoint": ["python3", "/app/inference.py", "--steps", {{ if .Steps }}{{ .Steps }}{{ else }}"30"{{ end }}],
        "EnvironmentVariables": [
          {{ if .Prompt }}"PROMPT={{ js .Prompt }}"{{ else }}"PROMPT=question mark floating in space"{{ end }},
          "RANDOM_SEED={{ if .Seed }}{{ .Seed | js }}{{ else }}42{{ end }}",
          {{ if .Size }}"{{ subst "SIZE=%sx%s" .Size .Size }}"{{ else }}"SIZE=1024x1024"{{ end }},
          "HF_HUB_OFFLINE=1"
        ],
        "Image": "ghcr.io/example/sdxl-pipeline:v0.9.7@sha256:${"b".repeat(64)}"
      },
      "Engine": "Docker",
      "Network": { "Type": "None" },
      "Outputs": [{ "Name": "outputs", "StorageSource": "IPFS", "Path": "/outputs" }],
      "PublisherSpec": { "Type": "IPFS" },
      "Resources": { "CPU": "8", "Memory": "16gb", "GPU": "1" },
      "Timeout": 1800,
      "Verifier": "Noop"
    }
  }
}`;

/** The error a translation throws, which must be a LilypadTemplateError. */
function refusal(text: string): LilypadTemplateError {
  try {
    translateLilypadTemplate(text);
  } catch (e) {
    assert.ok(e instanceof LilypadTemplateError, `expected a LilypadTemplateError, got ${String(e)}`);
    return e;
  }
  assert.fail("the template was translated");
}

/** A cowsay-shaped template whose Entrypoint's second element is `arg`. */
const withArg = (arg: string, extra = ""): string =>
  `{"machine":{"cpu":1000,"ram":100},"job":{"Spec":{"Docker":{"Entrypoint":["cowsay",${arg}],"Image":"grycap/cowsay@${DIGEST}"${extra}},"Engine":"Docker"}}}`;

describe("Lilypad module templates", () => {
  it("translates cowsay: its variable a required string input in argv, its machine and timeout kept", () => {
    const { manifest, image, notes } = translateLilypadTemplate(COWSAY);
    assert.equal(manifest.engine, "container");
    assert.equal(manifest.name, "cowsay");
    assert.equal(manifest.pricing, "per-run");
    assert.equal(manifest.deterministic, true);
    assert.deepEqual(manifest.invocation.args, ["cowsay", "{{Message}}"]);
    assert.deepEqual(manifest.invocation.env, {});
    assert.deepEqual(manifest.inputs, [{ name: "Message", type: "string", description: "", required: true, maxLength: 1000 }]);
    assert.equal(manifest.resources.cpu, 1);
    assert.equal(manifest.resources.ramMiB, 96, "100 MB is 95.4 MiB, rounded up");
    assert.equal(manifest.resources.gpu, 0);
    assert.equal(manifest.limits.memoryMiB, 96);
    assert.equal(manifest.limits.timeoutMs, 1_800_000);
    assert.deepEqual(image, { reference: `grycap/cowsay:latest@${DIGEST}`, name: "grycap/cowsay", tag: "latest", digest: DIGEST });
    for (const field of ["Verifier", "PublisherSpec", "Deal", "Metadata", "APIVersion"]) {
      assert.ok(notes.some((n) => n.includes(`.${field} is ignored`)), `a note for ${field}`);
    }
    assert.ok(sourceManifestSchema.safeParse(manifest).success);
    const translatedAgain = translateLilypadTemplate(COWSAY, { name: "lilypad-cowsay", version: "v2", author: "Lilypad" });
    assert.equal(translatedAgain.manifest.name, "lilypad-cowsay");
    assert.equal(translatedAgain.manifest.version, "v2");
    assert.equal(translatedAgain.manifest.author, "Lilypad");
  });

  it("translates an SDXL-style module: if/else gives defaults, js and subst print into env strings", () => {
    const { manifest, image, notes } = translateLilypadTemplate(SDXL, { name: "sdxl" });
    assert.deepEqual(manifest.invocation.args, ["python3", "/app/inference.py", "--steps", "{{Steps}}"]);
    assert.deepEqual(manifest.invocation.env, {
      PROMPT: "{{Prompt}}",
      RANDOM_SEED: "{{Seed}}",
      SIZE: "{{Size}}x{{Size}}",
      HF_HUB_OFFLINE: "1",
    });
    const inputs = Object.fromEntries(manifest.inputs.map((i) => [i.name, i]));
    assert.deepEqual(Object.keys(inputs), ["Steps", "Prompt", "Seed", "Size"], "in order of first appearance");
    for (const input of manifest.inputs) {
      assert.equal(input.type, "string");
      assert.equal(input.required, false);
    }
    assert.equal((inputs.Steps as { default?: string }).default, "30");
    assert.equal((inputs.Prompt as { default?: string }).default, "question mark floating in space");
    assert.equal((inputs.Seed as { default?: string }).default, "42");
    assert.equal((inputs.Size as { default?: string }).default, "1024");
    assert.equal(manifest.resources.cpu, 8);
    assert.equal(manifest.resources.gpu, 1);
    assert.equal(manifest.resources.ramMiB, Math.ceil(16e9 / 2 ** 20), "16gb and 16000 MB are the same");
    assert.equal(manifest.limits.memoryMiB, 4096, "capped at the manifest's most");
    assert.ok(notes.some((n) => n.includes("capped at 4096 MiB")));
    assert.ok(notes.some((n) => n.startsWith("js:")));
    assert.equal(image.name, "ghcr.io/example/sdxl-pipeline");
    assert.equal(image.tag, "v0.9.7");
  });

  it("reads a number default outside a string as that number's text", () => {
    const { manifest, notes } = translateLilypadTemplate(withArg(`{{ if .Count }}{{ .Count }}{{ else }}7{{ end }}`));
    assert.equal((manifest.inputs[0] as { default?: string }).default, "7");
    assert.ok(notes.some((n) => n.includes("JSON number")));
  });

  it("reads an if without else inside a string as an empty default, and refuses it outside one", () => {
    const { manifest } = translateLilypadTemplate(withArg(`"--name={{ if .Name }}{{ js .Name }}{{ end }}"`));
    assert.deepEqual(manifest.invocation.args, ["cowsay", "--name={{Name}}"]);
    assert.equal((manifest.inputs[0] as { default?: string }).default, "");
    assert.match(refusal(withArg(`{{ if .Name }}{{ .Name }}{{ end }}`)).message, /not a default for \.Name/);
  });

  it("honours the {{- and -}} trim markers, in and around JSON strings", () => {
    const spaced = withArg(`
      {{- if .Message -}}
        {{ .Message }}
      {{- else -}}
        "moo"
      {{- end -}}
    `);
    const { manifest } = translateLilypadTemplate(spaced);
    assert.deepEqual(manifest.invocation.args, ["cowsay", "{{Message}}"]);
    assert.equal((manifest.inputs[0] as { default?: string }).default, "moo");
    const inString = translateLilypadTemplate(withArg(`"say:   {{- js .Message -}}   !"`));
    assert.deepEqual(inString.manifest.invocation.args, ["cowsay", "say:{{Message}}!"]);
    const notTrimmed = translateLilypadTemplate(withArg(`"say:   {{js .Message}}   !"`));
    assert.deepEqual(notTrimmed.manifest.invocation.args, ["cowsay", "say:   {{Message}}   !"]);
    const commented = translateLilypadTemplate(withArg(`{{/* the message */}} {{- /* trimmed */ -}} {{ .Message }}`));
    assert.deepEqual(commented.manifest.invocation.args, ["cowsay", "{{Message}}"]);
  });

  it("passes a value with quotes, backslashes and {{ to argv literally (no js escaping needed)", () => {
    const { manifest } = translateLilypadTemplate(SDXL);
    const nasty = `say "hi" \\ back\\slash {{Seed}} }} {{ .Prompt }} 'single' <tag> & =`;
    const inputs = { Steps: "12", Prompt: nasty, Seed: "{{Steps}}", Size: "512" };
    assert.deepEqual(
      manifest.invocation.args.map((a) => fillTemplate(a, inputs)),
      ["python3", "/app/inference.py", "--steps", "12"],
    );
    assert.equal(fillTemplate(manifest.invocation.env.PROMPT!, inputs), nasty);
    assert.equal(fillTemplate(manifest.invocation.env.RANDOM_SEED!, inputs), "{{Steps}}", "a value is not expanded again");
    assert.equal(fillTemplate(manifest.invocation.env.SIZE!, inputs), "512x512");
    const cowsay = translateLilypadTemplate(COWSAY).manifest;
    assert.deepEqual(cowsay.invocation.args.map((a) => fillTemplate(a, { Message: nasty })), ["cowsay", nasty]);
  });

  describe("refuses, saying what and where", () => {
    const cases: Array<[string, string, RegExp]> = [
      ["range", withArg(`{{ range .Items }}"x"{{ end }}`), /\{\{ range \}\} is not supported/],
      ["with", withArg(`{{ with .Message }}{{ . }}{{ end }}`), /\{\{ with \}\} is not supported/],
      ["define", `{{ define "x" }}{{ end }}${withArg(`"a"`)}`, /\{\{ define \}\} is not supported/],
      ["an unknown function", withArg(`{{ printf "%s" .Message }}`), /unknown function "printf"/],
      ["a function in a pipeline", withArg(`{{ .Message | html }}`), /unknown function "html"/],
      ["a nested field path", withArg(`{{ .Message.Text }}`), /nested field path \.Message\.Text/],
      ["the dot", withArg(`{{ . }}`), /the dot/],
      ["a template variable", withArg(`{{ $x := .Message }}`), /template variables/],
      ["parentheses", withArg(`"{{ subst "A=%s" (js .Message) }}"`), /parenthesized/],
      ["else if", withArg(`{{ if .A }}{{ .A }}{{ else if .B }}{{ .B }}{{ end }}`), /`else if` is not supported/],
      ["an unclosed if", withArg(`{{ if .A }}{{ .A }}`), /has no \{\{ end \}\}/],
      ["a network", COWSAY.replace(`"Type":"None"`, `"Type":"Full"`), /Network\.Type is "Full".*no network/],
      ["an image without a digest", COWSAY.replace(`@${DIGEST}`, ""), /has no digest.*never run/],
      ["an optional argument (if without a default)", withArg(`"a"{{ if .Extra }}, {{ .Extra }}{{ end }}`), /is not a default for \.Extra/],
      ["an if whose branch ignores its field", withArg(`{{ if .Loud }}"LOUD"{{ else }}"quiet"{{ end }}`), /does not print \.Loud/],
      ["an else branch that differs elsewhere", withArg(`{{ if .M }}{{ .M }}, "x"{{ else }}"moo", "y"{{ end }}`), /not a default for \.M/],
      ["invalid JSON after rendering", withArg(`{{ .Message }} {{ .Other }}`), /does not render to JSON/],
      ["a bare field inside a JSON string", withArg(`"say {{ .Message }}"`), /inside a JSON string.*end the string/],
      ["js outside a JSON string", withArg(`{{ js .Message }}`), /outside a JSON string/],
      ["a variable in the image", COWSAY.replace(`"grycap/cowsay:latest@${DIGEST}"`, `{{ .Image }}`), /Docker\.Image depends on the variables \.Image/],
      ["the wasm engine", COWSAY.replace(`"Engine":"Docker"`, `"Engine":"Wasm"`), /only "Docker" jobs/],
      ["inputs by URL", COWSAY.replace(`"Timeout"`, `"Inputs":[{"StorageSource":"URLDownload","URL":"https://example.com/x","Path":"/inputs"}],"Timeout"`), /Inputs: storage the job fetches/],
      ["outputs elsewhere", COWSAY.replace(`"Timeout"`, `"Outputs":[{"Name":"o","Path":"/results"}],"Timeout"`), /the only output folder is \/outputs/],
      ["an unknown Spec field", COWSAY.replace(`"Timeout"`, `"Sharding":{},"Timeout"`), /job\.Spec\.Sharding is not supported/],
      ["a working directory", withArg(`"a"`, `,"WorkingDirectory":"/app"`), /WorkingDirectory is not supported/],
      ["two defaults for one variable", withArg(`{{ if .M }}{{ .M }}{{ else }}"a"{{ end }}, {{ if .M }}{{ .M }}{{ else }}"b"{{ end }}`), /two defaults/],
      ["a subst verb other than %s", withArg(`"{{ subst "N=%d" .Message }}"`), /%d is not supported/],
      ["literal braces around a variable", withArg(`"\\u007b{{ js .Message }}\\u007d"`), /literal braces/],
      ["a field that is no input name", withArg(`{{ ._hidden }}`), /cannot be an input name/],
    ];
    for (const [what, text, message] of cases) {
      it(what, () => {
        const e = refusal(text);
        assert.match(e.message, message);
        assert.equal(e.code, "LILYPAD_TEMPLATE");
      });
    }

    it("names the line and column of the construct", () => {
      const e = refusal(`{"job": {"Spec": {\n  "Docker": {"Entrypoint": [{{ range .X }}"a"{{ end }}]}}}}`);
      assert.deepEqual(e.position, { line: 2, column: 29 });
      assert.match(e.message, /at line 2, column 29/);
    });
  });

  it("parses the subset into text, actions and ifs", () => {
    const parsed = parseGoTemplate(`a{{ if .X }}{{ .X | js }}{{ else }}b{{ end }}{{ subst "K=%s%%" .Y }}`);
    assert.deepEqual(parsed.variables, ["X", "Y"]);
    assert.equal(parsed.nodes.length, 3);
    const [, ifNode, subst] = parsed.nodes;
    assert.equal(ifNode!.type, "if");
    assert.deepEqual(subst!.type === "action" && subst!.value, { kind: "subst", parts: ["K=", { name: "Y" }, "%"] });
  });

  it("translates whatever printable values a template's defaults hold (fuzz)", () => {
    let seed = 0x2545f491;
    const random = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const alphabet = [..." !\"#$%&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~", "é", "ß", "日", "😀", "\u{e000}", "\u{e001}"];
    const value = (): string => Array.from({ length: random(24) }, () => alphabet[random(alphabet.length)]).join("");
    // JSON text of a string with every brace escaped, so the template's text never holds {{.
    const jsonText = (s: string): string => JSON.stringify(s).replace(/[{}]/g, (c) => (c === "{" ? "\\u007b" : "\\u007d"));
    for (let round = 0; round < 300; round++) {
      const inValue = value();
      const inString = value();
      const given = value();
      const text = withArg(
        `{{ if .A }}{{ .A }}{{ else }}${jsonText(inValue)}{{ end }}, "x={{ if .B }}{{ js .B }}{{ else }}${jsonText(inString).slice(1, -1)}{{ end }}"`,
      );
      const { manifest } = translateLilypadTemplate(text);
      const [a, b] = manifest.inputs as Array<{ name: string; default?: string }>;
      assert.equal(a!.default, inValue, `round ${round}: ${text}`);
      assert.equal(b!.default, inString, `round ${round}: ${text}`);
      assert.deepEqual(manifest.invocation.args, ["cowsay", "{{A}}", "x={{B}}"]);
      assert.deepEqual(
        manifest.invocation.args.map((arg) => fillTemplate(arg, { A: given, B: inValue })),
        ["cowsay", given, `x=${inValue}`],
      );
    }
  });
});
