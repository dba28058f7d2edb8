// __NAME__: a Lilypad module in Rust (std only), built for WASI with rustc. The manifest passes the input Name as
// the first argument (invocation.args: ["__NAME__", "{{Name}}"]). Files written under /outputs are part of the result.
use std::process::exit;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 2 {
        eprintln!("usage: __NAME__ <name>");
        exit(2);
    }
    println!("Hello, {}!", args[1]);
}
