// __NAME__: a Lilypad module in C, built for WASI with clang and wasi-libc. The manifest passes the input Name as
// the first argument (invocation.args: ["__NAME__", "{{Name}}"]). Files written under /outputs are part of the result.
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: __NAME__ <name>\n");
    return 2;
  }
  printf("Hello, %s!\n", argv[1]);
  return 0;
}
