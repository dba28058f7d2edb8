// __NAME__: a Lilypad module in AssemblyScript. The manifest passes the input Name as the first argument
// (invocation.args: ["__NAME__", "{{Name}}"]); @assemblyscript/wasi-shim gives `process` (argv, stdout, exit).
const argv = process.argv;
if (argv.length != 2) {
  process.stderr.write("usage: __NAME__ <name>\n");
  process.exit(2);
}
process.stdout.write(`Hello, ${argv[1]}!\n`);
