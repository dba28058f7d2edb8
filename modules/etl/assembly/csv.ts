// A CSV reader over bytes (RFC 4180, leniently): fields separated by commas, records by LF, CRLF or CR; a field
// in double quotes may hold commas, line breaks and doubled quotes (""); a UTF-8 byte order mark is skipped.
// It allocates nothing per record: fields are byte ranges of the data, and quoted fields are unescaped in place
// (the data buffer is consumed).

export class CsvReader {
  private pos: i32 = 0;
  /** 1-based line number where the next record starts. */
  private line: i32 = 1;
  /** Line where the last record read started. */
  recordLine: i32 = 0;
  /** Fields of the last record: byte ranges [start, end) of `data`. */
  private starts: i32[] = [];
  private ends: i32[] = [];
  fieldCount: i32 = 0;
  /** Set when the last read failed. */
  error: string = "";
  private lastQuoted: bool = false;

  constructor(public data: Uint8Array) {
    if (data.length >= 3 && data[0] == 0xef && data[1] == 0xbb && data[2] == 0xbf) this.pos = 3;
  }

  /** Reads the next record that is not a blank line; false at the end of the data or on an error. */
  next(): bool {
    while (this.pos < this.data.length) {
      if (!this.readRecord()) return false;
      const blank = this.fieldCount == 1 && this.ends[0] == this.starts[0] && !this.lastQuoted;
      if (!blank) return true;
    }
    return false;
  }

  private endField(start: i32, end: i32): void {
    if (this.fieldCount == this.starts.length) {
      this.starts.push(start);
      this.ends.push(end);
    } else {
      unchecked((this.starts[this.fieldCount] = start));
      unchecked((this.ends[this.fieldCount] = end));
    }
    this.fieldCount++;
  }

  private readRecord(): bool {
    const data = this.data;
    const n = data.length;
    this.fieldCount = 0;
    this.recordLine = this.line;
    let pos = this.pos;
    while (true) {
      let start = pos;
      let end = pos;
      this.lastQuoted = false;
      if (pos < n && unchecked(data[pos]) == 0x22) {
        // Quoted field: unescape in place, writing at `end` while reading at `pos` (end <= pos).
        this.lastQuoted = true;
        const openLine = this.line;
        pos++;
        start = pos;
        end = pos;
        while (true) {
          if (pos >= n) {
            this.error = `line ${openLine}: a quoted field is not closed`;
            this.pos = n;
            return false;
          }
          const c = unchecked(data[pos]);
          if (c == 0x22) {
            if (pos + 1 < n && unchecked(data[pos + 1]) == 0x22) {
              unchecked((data[end++] = 0x22));
              pos += 2;
              continue;
            }
            pos++;
            break;
          }
          if (c == 0x0a || (c == 0x0d && !(pos + 1 < n && unchecked(data[pos + 1]) == 0x0a))) this.line++;
          unchecked((data[end++] = c));
          pos++;
        }
        // After the closing quote: blanks, then a separator or the end of the record.
        while (pos < n && (unchecked(data[pos]) == 0x20 || unchecked(data[pos]) == 0x09)) pos++;
        if (pos < n) {
          const c = unchecked(data[pos]);
          if (c != 0x2c && c != 0x0a && c != 0x0d) {
            this.error = `line ${this.line}: unexpected text after a closing quote`;
            this.pos = n;
            return false;
          }
        }
      } else {
        while (pos < n) {
          const c = unchecked(data[pos]);
          if (c == 0x2c || c == 0x0a || c == 0x0d) break;
          pos++;
        }
        end = pos;
      }
      this.endField(start, end);
      if (pos >= n) break;
      const c = unchecked(data[pos]);
      pos++;
      if (c == 0x2c) continue;
      // End of record: LF, CRLF or CR.
      if (c == 0x0d && pos < n && unchecked(data[pos]) == 0x0a) pos++;
      this.line++;
      break;
    }
    this.pos = pos;
    return true;
  }

  fieldPtr(i: i32): usize {
    return this.data.dataStart + <usize>unchecked(this.starts[i]);
  }

  fieldLength(i: i32): i32 {
    return unchecked(this.ends[i]) - unchecked(this.starts[i]);
  }

  /** Field i of the last record as a string (UTF-8 decoded). */
  fieldString(i: i32): string {
    return String.UTF8.decodeUnsafe(this.fieldPtr(i), <usize>this.fieldLength(i));
  }
}
