// cowsay: the classic first job. `cowsay <message...>` prints the message in a speech bubble above a cow,
// exactly as cowsay 3.03 does with its defaults: the words are joined with spaces and filled like Perl's
// Text::Wrap::fill with 40 columns (at most 39 characters a line, whitespace runs collapsed to one space, a
// newline followed by whitespace starts a new paragraph, words longer than a line are cut), then padded.
// The bubble is padded by terminal cells (wide CJK characters and emoji take two), as cowsay's mbswidth does.
import { cellWidth, isMark } from "./width";

const COLUMNS = 40;

function isSpace(c: i32): bool {
  // Perl's \s on Unicode strings (White_Space).
  return (
    c == 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    c == 0x85 ||
    c == 0xa0 ||
    c == 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c == 0x2028 ||
    c == 0x2029 ||
    c == 0x202f ||
    c == 0x205f ||
    c == 0x3000
  );
}

/** The code points of a string (UTF-16 surrogate pairs joined). */
function codePoints(s: string): i32[] {
  const out = new Array<i32>();
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i);
    out.push(c);
    if (c > 0xffff) i++;
  }
  return out;
}

function fromCodePoints(cps: i32[], start: i32, end: i32): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCodePoint(cps[i]);
  return s;
}

/**
 * Text::Wrap::wrap("", "", paragraph) for a paragraph whose whitespace is already collapsed. Text::Wrap counts a
 * character with its combining marks (\PM\pM*) as one column, and breaks lines at a single whitespace character.
 */
function wrapParagraph(cps: i32[]): string {
  // Units: a character with the marks that follow it.
  const unitStart = new Array<i32>();
  for (let i = 0; i < cps.length; i++) if (i == 0 || !isMark(cps[i])) unitStart.push(i);
  const n = unitStart.length;
  unitStart.push(cps.length);
  const ll = COLUMNS - 1;
  let r = "";
  let nl = "";
  let remainder = "";
  let pos = 0;
  while (true) {
    // Stop when only whitespace is left.
    let k = pos;
    while (k < n && isSpace(cps[unitStart[k]])) k++;
    if (k == n) break;
    // The longest run of at most ll units followed by whitespace or the end.
    let len = min(ll, n - pos);
    while (len >= 0 && !(pos + len == n || isSpace(cps[unitStart[pos + len]]))) len--;
    if (len >= 0) {
      r += nl + fromCodePoints(cps, unitStart[pos], unitStart[pos + len]);
      pos += len;
      if (pos < n) {
        remainder = fromCodePoints(cps, unitStart[pos], unitStart[pos + 1]);
        pos++;
      } else {
        remainder = "";
      }
    } else {
      // A word longer than a line: cut it.
      r += nl + fromCodePoints(cps, unitStart[pos], unitStart[pos + ll]);
      pos += ll;
      remainder = "\n";
    }
    nl = "\n";
  }
  return r + remainder;
}

/** Text::Wrap::fill("", "", message), split into lines as cowsay does. */
function fillLines(message: string): string[] {
  const cps = codePoints(message);
  // Paragraphs are separated by a newline followed by whitespace (Perl: split /\n\s+/).
  const paragraphs = new Array<string>();
  let current = new Array<i32>();
  for (let i = 0; i < cps.length; i++) {
    if (cps[i] == 0x0a && i + 1 < cps.length && isSpace(cps[i + 1])) {
      paragraphs.push(wrapParagraph(collapse(current)));
      current = new Array<i32>();
      i++;
      while (i + 1 < cps.length && isSpace(cps[i + 1])) i++;
    } else {
      current.push(cps[i]);
    }
  }
  paragraphs.push(wrapParagraph(collapse(current)));
  // Perl's split drops trailing empty fields.
  while (paragraphs.length > 0 && paragraphs[paragraphs.length - 1].length == 0) paragraphs.pop();
  const filled = paragraphs.join("\n\n");
  const lines = filled.split("\n");
  while (lines.length > 0 && lines[lines.length - 1].length == 0) lines.pop();
  return lines;
}

/** Perl: s/\s+/ /g */
function collapse(cps: i32[]): i32[] {
  const out = new Array<i32>();
  for (let i = 0; i < cps.length; i++) {
    if (isSpace(cps[i])) {
      if (i == 0 || !isSpace(cps[i - 1])) out.push(0x20);
    } else {
      out.push(cps[i]);
    }
  }
  return out;
}

/** Terminal cells, as cowsay's mbswidth. */
function width(s: string): i32 {
  let w = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.codePointAt(i);
    w += cellWidth(c);
    if (c > 0xffff) i++;
  }
  return w;
}

function pad(s: string, w: i32): string {
  return s + " ".repeat(w - width(s));
}

export function cowsay(message: string): string {
  const lines = fillLines(message);
  let widest = 0;
  for (let i = 0; i < lines.length; i++) widest = max(widest, width(lines[i]));
  let out = " " + "_".repeat(widest + 2) + "\n";
  if (lines.length < 2) {
    out += "< " + pad(lines.length == 1 ? lines[0] : "", widest) + " >\n";
  } else {
    for (let i = 0; i < lines.length; i++) {
      const left = i == 0 ? "/" : i == lines.length - 1 ? "\\" : "|";
      const right = i == 0 ? "\\" : i == lines.length - 1 ? "/" : "|";
      out += left + " " + pad(lines[i], widest) + " " + right + "\n";
    }
  }
  out += " " + "-".repeat(widest + 2) + "\n";
  out +=
    "        \\   ^__^\n" +
    "         \\  (oo)\\_______\n" +
    "            (__)\\       )\\/\\\n" +
    "                ||----w |\n" +
    "                ||     ||\n";
  return out;
}

// argv[0] is the program name; the message is the remaining arguments joined by spaces, as in cowsay.
const argv = process.argv;
const words = argv.length > 1 ? argv.slice(1) : new Array<string>();
process.stdout.write(cowsay(words.join(" ")));
