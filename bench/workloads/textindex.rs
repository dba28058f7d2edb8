// textindex: a small full-text search engine in Rust (std only), for the metering benchmark. Written for
// lilypad's bench/metering.ts (not taken from elsewhere), in the style of a search library's core: documents
// are generated, tokenised (lower-casing, splitting on non-alphanumerics, a stop-word list and a light suffix
// stemmer), and indexed into a HashMap from term to posting list (document ids with term frequencies and
// positions, delta-encoded as LEB128 varints). Queries are parsed from text, answered by intersecting postings
// (AND), by phrase matching on positions, and ranked with BM25 through a binary heap. The whole index is also
// serialised and read back, and a SHA-256 of the serialised bytes is part of the result.
//
//   textindex <documents> [queries]     documents: 1..1000000 (about 80 words each); queries: default 200
//
// Prints index statistics, the top hits of the first query and a checksum over every query's results.
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use std::env;
use std::fmt::Write as _;
use std::process;

// ---------- SHA-256 (FIPS 180-4) ----------

struct Sha256 {
    state: [u32; 8],
    buffer: Vec<u8>,
    length: u64,
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

impl Sha256 {
    fn new() -> Sha256 {
        Sha256 {
            state: [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19],
            buffer: Vec::with_capacity(64),
            length: 0,
        }
    }

    fn compress(state: &mut [u32; 8], block: &[u8]) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([block[4 * i], block[4 * i + 1], block[4 * i + 2], block[4 * i + 3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = *state;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = h.wrapping_add(s1).wrapping_add(ch).wrapping_add(K[i]).wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            h = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *s = s.wrapping_add(v);
        }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.length += data.len() as u64;
        if !self.buffer.is_empty() {
            let take = (64 - self.buffer.len()).min(data.len());
            self.buffer.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.buffer.len() == 64 {
                let block = std::mem::take(&mut self.buffer);
                Sha256::compress(&mut self.state, &block);
                self.buffer = block;
                self.buffer.clear();
            }
        }
        while data.len() >= 64 {
            Sha256::compress(&mut self.state, &data[..64]);
            data = &data[64..];
        }
        self.buffer.extend_from_slice(data);
    }

    fn finish(mut self) -> [u8; 32] {
        let bits = self.length * 8;
        self.update(&[0x80]);
        while self.buffer.len() != 56 {
            self.update(&[0]);
        }
        self.update(&bits.to_be_bytes());
        let mut out = [0u8; 32];
        for (i, word) in self.state.iter().enumerate() {
            out[4 * i..4 * i + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }
}

// ---------- documents ----------

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e3779b97f4a7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58476d1ce4e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d049bb133111eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SYLLABLES: [&str; 24] = [
    "ka", "lo", "mi", "ne", "ru", "sa", "te", "vo", "zi", "bra", "cre", "dro", "fla", "glu", "pri", "sto", "tra", "qua", "on", "er", "in", "al", "es",
    "um",
];
const STOP_WORDS: [&str; 12] = ["the", "a", "of", "and", "to", "in", "is", "it", "that", "for", "on", "with"];
const SUFFIXES: [&str; 5] = ["ing", "ed", "es", "ly", "s"];

/// A vocabulary with a Zipf-like frequency: word i is drawn with weight about 1 / (i + 1).
fn vocabulary(rng: &mut Rng, size: usize) -> Vec<String> {
    let mut words = Vec::with_capacity(size);
    let mut seen = HashSet::new();
    while words.len() < size {
        let syllables = 1 + rng.below(3);
        let mut w = String::new();
        for _ in 0..syllables {
            w.push_str(SYLLABLES[rng.below(SYLLABLES.len())]);
        }
        if rng.below(4) == 0 {
            w.push_str(SUFFIXES[rng.below(SUFFIXES.len())]);
        }
        if seen.insert(w.clone()) {
            words.push(w);
        }
    }
    words
}

fn zipf_pick(rng: &mut Rng, cumulative: &[f64]) -> usize {
    let total = *cumulative.last().unwrap();
    let x = (rng.next() >> 11) as f64 / (1u64 << 53) as f64 * total;
    match cumulative.binary_search_by(|c| c.partial_cmp(&x).unwrap()) {
        Ok(i) | Err(i) => i.min(cumulative.len() - 1),
    }
}

fn generate_document(rng: &mut Rng, words: &[String], cumulative: &[f64], id: usize) -> String {
    let mut text = String::with_capacity(600);
    write!(text, "Report {} - ", id).unwrap();
    let sentences = 4 + rng.below(6);
    for _ in 0..sentences {
        let length = 8 + rng.below(12);
        for i in 0..length {
            let word: &str = if rng.below(5) == 0 { STOP_WORDS[rng.below(STOP_WORDS.len())] } else { &words[zipf_pick(rng, cumulative)] };
            if i == 0 {
                let mut chars = word.chars();
                if let Some(first) = chars.next() {
                    text.extend(first.to_uppercase());
                    text.push_str(chars.as_str());
                }
            } else {
                text.push_str(word);
            }
            text.push_str(if i + 1 == length { ". " } else if rng.below(10) == 0 { ", " } else { " " });
        }
    }
    text
}

// ---------- analysis ----------

fn stem(word: &str) -> &str {
    for suffix in SUFFIXES {
        if word.len() > suffix.len() + 2 && word.ends_with(suffix) {
            return &word[..word.len() - suffix.len()];
        }
    }
    word
}

/// Lower-cased, stemmed terms with their positions; stop words keep their position but are not emitted.
fn tokenize(text: &str, out: &mut Vec<(String, u32)>) {
    out.clear();
    let mut position = 0u32;
    for raw in text.split(|c: char| !c.is_alphanumeric()) {
        if raw.is_empty() {
            continue;
        }
        let lower = raw.to_lowercase();
        if !STOP_WORDS.contains(&lower.as_str()) {
            out.push((stem(&lower).to_string(), position));
        }
        position += 1;
    }
}

// ---------- the index ----------

#[derive(Default)]
struct Postings {
    /// Delta-encoded (doc id, frequency, positions...) records as varints.
    bytes: Vec<u8>,
    last_doc: u32,
    documents: u32,
}

fn put_varint(out: &mut Vec<u8>, mut v: u32) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> u32 {
    let mut v = 0u32;
    let mut shift = 0;
    loop {
        let b = bytes[*at];
        *at += 1;
        v |= ((b & 0x7f) as u32) << shift;
        if b < 0x80 {
            return v;
        }
        shift += 7;
    }
}

struct Posting {
    doc: u32,
    positions: Vec<u32>,
}

impl Postings {
    fn add(&mut self, doc: u32, positions: &[u32]) {
        put_varint(&mut self.bytes, doc - self.last_doc);
        put_varint(&mut self.bytes, positions.len() as u32);
        let mut last = 0;
        for &p in positions {
            put_varint(&mut self.bytes, p - last);
            last = p;
        }
        self.last_doc = doc;
        self.documents += 1;
    }

    fn decode(&self) -> Vec<Posting> {
        let mut out = Vec::with_capacity(self.documents as usize);
        let mut at = 0;
        let mut doc = 0;
        while at < self.bytes.len() {
            doc += get_varint(&self.bytes, &mut at);
            let n = get_varint(&self.bytes, &mut at);
            let mut positions = Vec::with_capacity(n as usize);
            let mut p = 0;
            for _ in 0..n {
                p += get_varint(&self.bytes, &mut at);
                positions.push(p);
            }
            out.push(Posting { doc, positions });
        }
        out
    }
}

struct Index {
    terms: HashMap<String, Postings>,
    doc_lengths: Vec<u32>,
    total_length: u64,
}

impl Index {
    fn new() -> Index {
        Index { terms: HashMap::new(), doc_lengths: Vec::new(), total_length: 0 }
    }

    fn add_document(&mut self, text: &str, scratch: &mut Vec<(String, u32)>) {
        let doc = self.doc_lengths.len() as u32;
        tokenize(text, scratch);
        let mut grouped: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for (term, position) in scratch.iter() {
            grouped.entry(term.as_str()).or_default().push(*position);
        }
        for (term, positions) in grouped {
            match self.terms.get_mut(term) {
                Some(p) => p.add(doc, &positions),
                None => {
                    let mut p = Postings::default();
                    p.add(doc, &positions);
                    self.terms.insert(term.to_string(), p);
                }
            }
        }
        self.doc_lengths.push(scratch.len() as u32);
        self.total_length += scratch.len() as u64;
    }

    /// Terms in sorted order, each with its postings' bytes: a stable on-disk form.
    fn serialize(&self) -> Vec<u8> {
        let mut terms: Vec<(&String, &Postings)> = self.terms.iter().collect();
        terms.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = Vec::new();
        put_varint(&mut out, self.doc_lengths.len() as u32);
        for &l in &self.doc_lengths {
            put_varint(&mut out, l);
        }
        put_varint(&mut out, terms.len() as u32);
        for (term, postings) in terms {
            put_varint(&mut out, term.len() as u32);
            out.extend_from_slice(term.as_bytes());
            put_varint(&mut out, postings.documents);
            put_varint(&mut out, postings.bytes.len() as u32);
            out.extend_from_slice(&postings.bytes);
        }
        out
    }

    fn deserialize(bytes: &[u8]) -> Index {
        let mut at = 0;
        let mut index = Index::new();
        let docs = get_varint(bytes, &mut at);
        for _ in 0..docs {
            let l = get_varint(bytes, &mut at);
            index.doc_lengths.push(l);
            index.total_length += l as u64;
        }
        let terms = get_varint(bytes, &mut at);
        for _ in 0..terms {
            let n = get_varint(bytes, &mut at) as usize;
            let term = String::from_utf8(bytes[at..at + n].to_vec()).expect("terms are UTF-8");
            at += n;
            let documents = get_varint(bytes, &mut at);
            let len = get_varint(bytes, &mut at) as usize;
            let postings = Postings { bytes: bytes[at..at + len].to_vec(), last_doc: 0, documents };
            at += len;
            index.terms.insert(term, postings);
        }
        index
    }
}

// ---------- queries ----------

enum Query {
    All(Vec<String>),
    Phrase(Vec<String>),
}

fn parse_query(text: &str) -> Query {
    let mut scratch = Vec::new();
    let phrase = text.starts_with('"') && text.ends_with('"') && text.len() > 1;
    tokenize(text, &mut scratch);
    let terms = scratch.into_iter().map(|(t, _)| t).collect();
    if phrase {
        Query::Phrase(terms)
    } else {
        Query::All(terms)
    }
}

#[derive(PartialEq)]
struct Scored {
    score: f64,
    doc: u32,
}

impl Eq for Scored {}

impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scored {
    /// Reversed, so that BinaryHeap keeps the lowest score on top (a bounded min-heap of the best).
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.partial_cmp(&self.score).unwrap_or(Ordering::Equal).then_with(|| self.doc.cmp(&other.doc))
    }
}

fn search(index: &Index, query: &Query, limit: usize) -> Vec<(u32, f64)> {
    let terms = match query {
        Query::All(t) | Query::Phrase(t) => t,
    };
    if terms.is_empty() {
        return Vec::new();
    }
    let mut lists: Vec<(f64, Vec<Posting>)> = Vec::new();
    let n = index.doc_lengths.len() as f64;
    for term in terms {
        match index.terms.get(term) {
            Some(p) => {
                let df = p.documents as f64;
                let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
                lists.push((idf, p.decode()));
            }
            None => return Vec::new(),
        }
    }
    // Intersect, driven by the rarest term.
    let order: Vec<usize> = {
        let mut o: Vec<usize> = (0..lists.len()).collect();
        o.sort_by_key(|&i| lists[i].1.len());
        o
    };
    let average = index.total_length as f64 / n;
    let (k1, b) = (1.2, 0.75);
    let mut cursors = vec![0usize; lists.len()];
    let mut heap = BinaryHeap::with_capacity(limit + 1);
    let driver = order[0];
    'candidates: for (driver_at, posting) in lists[driver].1.iter().enumerate() {
        let doc = posting.doc;
        cursors[driver] = driver_at;
        for &i in &order[1..] {
            let list = &lists[i].1;
            let c = &mut cursors[i];
            // Galloping search forward.
            let mut step = 1;
            while *c + step < list.len() && list[*c + step].doc < doc {
                *c += step;
                step *= 2;
            }
            while *c < list.len() && list[*c].doc < doc {
                *c += 1;
            }
            if *c >= list.len() {
                break 'candidates;
            }
            if list[*c].doc != doc {
                continue 'candidates;
            }
        }
        // Every list's cursor now points at this document.
        if let Query::Phrase(_) = query {
            // Term k must occur at p + k for some position p of term 0.
            let matched = lists[0].1[cursors[0]].positions.iter().any(|&p| {
                (1..lists.len()).all(|k| lists[k].1[cursors[k]].positions.binary_search(&(p + k as u32)).is_ok())
            });
            if !matched {
                continue;
            }
        }
        let length = index.doc_lengths[doc as usize] as f64;
        let mut score = 0.0;
        for (k, (idf, postings)) in lists.iter().enumerate() {
            let tf = postings[cursors[k]].positions.len() as f64;
            score += idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * length / average));
        }
        heap.push(Scored { score, doc });
        if heap.len() > limit {
            heap.pop();
        }
    }
    let mut best: Vec<(u32, f64)> = heap.into_iter().map(|s| (s.doc, s.score)).collect();
    best.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap().then(a.0.cmp(&b.0)));
    best
}

fn main() {
    let args: Vec<String> = env::args().collect();
    let usage = || -> ! {
        eprintln!("usage: textindex <documents> [queries]   (documents 1..1000000, queries 1..100000)");
        process::exit(2);
    };
    if args.len() < 2 || args.len() > 3 {
        usage();
    }
    let documents: usize = args[1].parse().unwrap_or_else(|_| usage());
    let queries: usize = if args.len() == 3 { args[2].parse().unwrap_or_else(|_| usage()) } else { 200 };
    if !(1..=1_000_000).contains(&documents) || !(1..=100_000).contains(&queries) {
        usage();
    }

    let mut rng = Rng(0x1111_2222_3333_4444);
    let words = vocabulary(&mut rng, 3000);
    let mut cumulative = Vec::with_capacity(words.len());
    let mut total = 0.0;
    for i in 0..words.len() {
        total += 1.0 / (i as f64 + 1.0);
        cumulative.push(total);
    }

    let mut index = Index::new();
    let mut scratch = Vec::new();
    let mut text_bytes = 0usize;
    for id in 0..documents {
        let text = generate_document(&mut rng, &words, &cumulative, id);
        text_bytes += text.len();
        index.add_document(&text, &mut scratch);
    }

    let serialized = index.serialize();
    let mut sha = Sha256::new();
    sha.update(&serialized);
    let digest = sha.finish();
    let index = Index::deserialize(&serialized);
    if index.serialize() != serialized {
        eprintln!("textindex: the index did not survive serialisation");
        process::exit(1);
    }

    let mut checksum: u64 = 0xcbf29ce484222325;
    let mut hits = 0usize;
    let mut first = String::new();
    for q in 0..queries {
        let text = match q % 3 {
            0 => format!("{} {}", words[rng.below(40)], words[rng.below(200)]),
            1 => format!("{} {} {}", words[rng.below(20)], words[rng.below(60)], words[rng.below(400)]),
            _ => format!("\"{} {}\"", words[rng.below(15)], words[rng.below(15)]),
        };
        let results = search(&index, &parse_query(&text), 10);
        hits += results.len();
        for (doc, score) in &results {
            checksum = (checksum ^ *doc as u64).wrapping_mul(0x100000001b3);
            checksum = (checksum ^ (score * 1e6) as u64).wrapping_mul(0x100000001b3);
        }
        if q == 0 {
            write!(first, "{:?} ->", text).unwrap();
            for (doc, score) in results.iter().take(3) {
                write!(first, " #{} ({:.3})", doc, score).unwrap();
            }
        }
    }
    let hex: String = digest.iter().take(8).map(|b| format!("{:02x}", b)).collect();
    println!(
        "textindex {} documents ({} B of text), {} terms, index {} B sha256 {}..., {} queries, {} hits, first {}, checksum {:016x}",
        documents,
        text_bytes,
        index.terms.len(),
        serialized.len(),
        hex,
        queries,
        hits,
        first,
        checksum
    );
}
