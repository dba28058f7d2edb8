import { isAbsolute, relative, resolve } from "node:path";
import type { Command } from "commander";
import { InvalidArgumentError } from "../../core/errors.ts";
import { initModule, isSourceLanguage } from "../../modules/initModule.ts";
import { SOURCE_LANGUAGES } from "../../modules/moduleSources.ts";
import type { CliContext } from "../context.ts";

interface ModuleInitFlags {
  lang: string;
  name?: string;
  author?: string;
}

/** Registers `module init`: a new module folder, from a template in the package, that builds and runs as written. */
export function registerModuleInit(module: Command, ctx: CliContext): Command {
  return module
    .command("init")
    .description("create a module folder from a template: the program, manifest.json (one input) and a README")
    .argument("<dir>", "the folder to create (it must not exist, or be empty)")
    .option("--lang <language>", `the program's language: ${SOURCE_LANGUAGES.join(", ")}`, "assemblyscript")
    .option("--name <name>", "the module's name (default: the folder's name)")
    .option("--author <text>", "the manifest's author (default: $USER)")
    .addHelpText(
      "after",
      `
Toolchains: assemblyscript needs the npm packages assemblyscript and @assemblyscript/wasi-shim; c needs clang
with wasi-libc (Debian: clang lld wasi-libc libclang-rt-14-dev-wasm32); rust needs rustc with the wasm32-wasip1
(or, before Rust 1.78, wasm32-wasi) target. \`module build\` says which is missing.`,
    )
    .action(async (dir: string, flags: ModuleInitFlags) => {
      if (!isSourceLanguage(flags.lang)) {
        throw new InvalidArgumentError({
          argument: "--lang",
          message: `unknown language "${flags.lang}"`,
          hint: `--lang takes one of ${SOURCE_LANGUAGES.join(", ")}`,
        });
      }
      const path = resolve(ctx.cwd, dir);
      const typed = relative(ctx.cwd, path);
      // How the README and the next steps name the folder: as the user would type it from here.
      const shownAs = isAbsolute(dir) || typed.startsWith("..") ? path : `./${typed}`;
      const made = await initModule({ dir: path, language: flags.lang, name: flags.name, author: flags.author ?? ctx.env.USER ?? "me", shownAs });
      ctx.stdout(
        `created ${shownAs}: module ${made.name}:v1 in ${flags.lang}\n${made.files.map((f) => `  ${f}\n`).join("")}` +
          `next:\n  lilypad module build ${shownAs}\n  lilypad module run ${shownAs} -i Name=Lilypad\n`,
      );
    });
}
