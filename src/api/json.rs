//! One way to read JSON for the rules that look at customizations, whatever holds them.
//!
//! [`Json`] and [`JsonObject`] are the read-only questions validation, the conflict key and
//! the emulator's indexes ask of a document. They are answered by `serde_json::Value` (what
//! the editor, the CLI and single creates hold) and by [`Doc`], a flat list of nodes that
//! borrows its strings from the text it was parsed from. A `Doc` costs one allocation per
//! document instead of one per string, array and object, which is what lets the import's
//! validation pass and the emulator's bulk create read millions of lines quickly. Both are
//! read by the same generic code, so there is still one set of rules.
//!
//! A `Doc` is parsed by `serde_json` itself (a seed that records what the parser reports),
//! so it accepts exactly the texts `serde_json::from_str` accepts and fails with the same
//! errors. An object that repeats a key answers [`JsonObject::get`] with the last value, as a
//! `Value` does.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// A JSON value that can be read without owning it.
pub trait Json<'a>: Copy + 'a {
    /// The object view of this kind of value.
    type Object: JsonObject<'a, Value = Self>;
    /// The elements of an array, in order.
    type Elements: Iterator<Item = Self>;

    fn is_null(self) -> bool;
    fn as_bool(self) -> Option<bool>;
    fn as_str(self) -> Option<&'a str>;
    /// The number as an `i64`, when it is an integer that fits (as `Value::as_i64`).
    fn as_i64(self) -> Option<i64>;
    fn as_number(self) -> Option<Number>;
    fn as_object(self) -> Option<Self::Object>;
    fn as_array(self) -> Option<Self::Elements>;

    fn is_string(self) -> bool {
        self.as_str().is_some()
    }
    fn is_number(self) -> bool {
        self.as_number().is_some()
    }
}

/// A JSON object that can be read without owning it.
pub trait JsonObject<'a>: Copy + 'a {
    type Value: Json<'a, Object = Self>;
    type Entries: Iterator<Item = (&'a str, Self::Value)>;

    /// The value of `key`; the last one when the text repeats the key.
    fn get(self, key: &str) -> Option<Self::Value>;
    /// The entries in the order written (a repeated key appears each time it was written).
    fn entries(self) -> Self::Entries;
    fn is_empty(self) -> bool;

    /// The values of `keys`, found in one pass over the entries (for a key written twice,
    /// the last, as [`JsonObject::get`]): cheaper than a `get` per key when several fields
    /// of one object are read.
    #[inline]
    fn pick<const N: usize>(self, keys: &[&str; N]) -> [Option<Self::Value>; N] {
        let mut out = [None; N];
        for (k, v) in self.entries() {
            if let Some(i) = keys.iter().position(|key| *key == k) {
                out[i] = Some(v);
            }
        }
        out
    }
}

impl<'a> Json<'a> for &'a Value {
    type Object = &'a Map<String, Value>;
    type Elements = std::slice::Iter<'a, Value>;

    fn is_null(self) -> bool {
        Value::is_null(self)
    }
    fn as_bool(self) -> Option<bool> {
        Value::as_bool(self)
    }
    fn as_str(self) -> Option<&'a str> {
        Value::as_str(self)
    }
    fn as_i64(self) -> Option<i64> {
        Value::as_i64(self)
    }
    fn as_number(self) -> Option<Number> {
        match self {
            Value::Number(n) => Some(n.clone()),
            _ => None,
        }
    }
    fn is_number(self) -> bool {
        Value::is_number(self)
    }
    fn as_object(self) -> Option<&'a Map<String, Value>> {
        Value::as_object(self)
    }
    fn as_array(self) -> Option<std::slice::Iter<'a, Value>> {
        Value::as_array(self).map(|a| a.iter())
    }
}

/// `m.get(key)`, by a linear scan when the object is small. `serde_json`'s ordered map hashes
/// every key it looks up with SipHash, which costs more than comparing a handful of short
/// keys; validation and the import look up a dozen fields of every line.
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    if m.len() <= 16 {
        m.iter().find(|(k, _)| k.as_str() == key).map(|(_, v)| v)
    } else {
        m.get(key)
    }
}

/// `(k, v)` of a map entry as `(&str, &Value)`.
type EntryFn<'a> = fn((&'a String, &'a Value)) -> (&'a str, &'a Value);

impl<'a> JsonObject<'a> for &'a Map<String, Value> {
    type Value = &'a Value;
    type Entries = std::iter::Map<serde_json::map::Iter<'a>, EntryFn<'a>>;

    fn get(self, key: &str) -> Option<&'a Value> {
        field(self, key)
    }
    fn entries(self) -> Self::Entries {
        let f: EntryFn<'a> = |(k, v)| (k.as_str(), v);
        self.iter().map(f)
    }
    fn is_empty(self) -> bool {
        Map::is_empty(self)
    }
}

/// A copy of any readable value as a `serde_json::Value` (a repeated key keeps its first
/// place and its last value, as parsing into a `Value` does).
pub fn to_value<'a, J: Json<'a>>(v: J) -> Value {
    if let Some(o) = v.as_object() {
        return Value::Object(to_map(o));
    }
    if let Some(items) = v.as_array() {
        return Value::Array(items.map(to_value).collect());
    }
    if let Some(s) = v.as_str() {
        return Value::String(s.to_string());
    }
    if let Some(b) = v.as_bool() {
        return Value::Bool(b);
    }
    match v.as_number() {
        Some(n) => Value::Number(n),
        None => Value::Null,
    }
}

/// [`to_value`] of an object.
pub fn to_map<'a, O: JsonObject<'a>>(o: O) -> Map<String, Value> {
    let mut m = Map::new();
    for (k, v) in o.entries() {
        m.insert(k.to_string(), to_value(v));
    }
    m
}

/// One node of a [`Doc`]. Containers record where their subtree ends, so a reader can step
/// over them; an object's children alternate key, value.
#[derive(Debug, Clone)]
enum Node<'s> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// Borrowed from the text unless it held escapes.
    Str(Cow<'s, str>),
    Array {
        end: u32,
    },
    Object {
        end: u32,
    },
}

/// A parsed JSON document whose strings borrow from its text.
#[derive(Debug, Clone)]
pub struct Doc<'s> {
    nodes: Vec<Node<'s>>,
}

impl<'s> Doc<'s> {
    /// Parses one JSON value, with `serde_json`'s grammar, limits and errors.
    pub fn parse(text: &'s str) -> Result<Doc<'s>, serde_json::Error> {
        Doc::parse_into(text, Vec::new())
    }

    /// Like [`Doc::parse`], taking its node list from `spare` (see [`Doc::recycle`]), so
    /// a loop over many documents allocates once instead of once per document.
    pub fn parse_reusing(text: &'s str, spare: &mut Spare) -> Result<Doc<'s>, serde_json::Error> {
        // An empty `Vec<Node<'static>>` is a `Vec<Node<'s>>` (`Node` is covariant).
        Doc::parse_into(text, std::mem::take(&mut spare.0))
    }

    /// The fast reader first; whatever it does not take (anything invalid, and the rare
    /// valid forms it leaves alone) is read by `serde_json`, which also words the errors.
    fn parse_into(text: &'s str, mut nodes: Vec<Node<'s>>) -> Result<Doc<'s>, serde_json::Error> {
        nodes.reserve(text.len() / 8 + 4);
        if fast::read(text, &mut nodes).is_some() {
            return Ok(Doc { nodes });
        }
        nodes.clear();
        let mut de = serde_json::Deserializer::from_str(text);
        Builder { nodes: &mut nodes }.deserialize(&mut de)?;
        de.end()?;
        Ok(Doc { nodes })
    }

    /// Gives the node list's memory back to `spare` for the next [`Doc::parse_reusing`].
    pub fn recycle(self, spare: &mut Spare) {
        let mut nodes = self.nodes;
        nodes.clear();
        // Collecting an emptied vector into a vector of a same-sized type keeps its
        // allocation; only the lifetime changes.
        spare.0 = nodes.into_iter().map(|_| Node::Null).collect();
    }

    /// The document's value.
    pub fn root(&self) -> DocValue<'_> {
        DocValue {
            nodes: &self.nodes,
            i: 0,
        }
    }
}

/// Memory kept between documents: see [`Doc::parse_reusing`].
#[derive(Debug, Default)]
pub struct Spare(Vec<Node<'static>>);

/// A value inside a [`Doc`].
#[derive(Clone, Copy)]
pub struct DocValue<'a> {
    nodes: &'a [Node<'a>],
    i: usize,
}

/// An object inside a [`Doc`].
#[derive(Clone, Copy)]
pub struct DocObject<'a> {
    nodes: &'a [Node<'a>],
    i: usize,
}

impl fmt::Debug for DocValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", to_value(*self))
    }
}

impl fmt::Debug for DocObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", Value::Object(to_map(*self)))
    }
}

/// The index just past the subtree that starts at `i`.
fn skip(nodes: &[Node<'_>], i: usize) -> usize {
    match nodes.get(i) {
        Some(Node::Array { end } | Node::Object { end }) => *end as usize,
        _ => i + 1,
    }
}

impl<'a> DocValue<'a> {
    fn node(&self) -> Option<&'a Node<'a>> {
        self.nodes.get(self.i)
    }
}

impl<'a> Json<'a> for DocValue<'a> {
    type Object = DocObject<'a>;
    type Elements = DocElements<'a>;

    fn is_null(self) -> bool {
        matches!(self.node(), Some(Node::Null))
    }
    fn as_bool(self) -> Option<bool> {
        match self.node() {
            Some(Node::Bool(b)) => Some(*b),
            _ => None,
        }
    }
    fn as_str(self) -> Option<&'a str> {
        match self.node() {
            Some(Node::Str(s)) => Some(s),
            _ => None,
        }
    }
    fn as_i64(self) -> Option<i64> {
        match self.node() {
            Some(Node::I64(n)) => Some(*n),
            Some(Node::U64(n)) => i64::try_from(*n).ok(),
            _ => None,
        }
    }
    fn as_number(self) -> Option<Number> {
        match self.node() {
            Some(Node::I64(n)) => Some(Number::from(*n)),
            Some(Node::U64(n)) => Some(Number::from(*n)),
            Some(Node::F64(n)) => Number::from_f64(*n),
            _ => None,
        }
    }
    fn as_object(self) -> Option<DocObject<'a>> {
        match self.node() {
            Some(Node::Object { .. }) => Some(DocObject {
                nodes: self.nodes,
                i: self.i,
            }),
            _ => None,
        }
    }
    fn as_array(self) -> Option<DocElements<'a>> {
        match self.node() {
            Some(Node::Array { end }) => Some(DocElements {
                nodes: self.nodes,
                next: self.i + 1,
                end: *end as usize,
            }),
            _ => None,
        }
    }
}

/// The elements of an array in a [`Doc`].
#[derive(Clone)]
pub struct DocElements<'a> {
    nodes: &'a [Node<'a>],
    next: usize,
    end: usize,
}

impl<'a> Iterator for DocElements<'a> {
    type Item = DocValue<'a>;

    fn next(&mut self) -> Option<DocValue<'a>> {
        if self.next >= self.end {
            return None;
        }
        let v = DocValue {
            nodes: self.nodes,
            i: self.next,
        };
        self.next = skip(self.nodes, self.next);
        Some(v)
    }
}

/// The entries of an object in a [`Doc`].
#[derive(Clone)]
pub struct DocEntries<'a> {
    nodes: &'a [Node<'a>],
    next: usize,
    end: usize,
}

impl<'a> Iterator for DocEntries<'a> {
    type Item = (&'a str, DocValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next + 1 >= self.end {
            return None;
        }
        let key = match self.nodes.get(self.next) {
            Some(Node::Str(k)) => k.as_ref(),
            _ => return None,
        };
        let v = DocValue {
            nodes: self.nodes,
            i: self.next + 1,
        };
        self.next = skip(self.nodes, self.next + 1);
        Some((key, v))
    }
}

impl<'a> JsonObject<'a> for DocObject<'a> {
    type Value = DocValue<'a>;
    type Entries = DocEntries<'a>;

    fn get(self, key: &str) -> Option<DocValue<'a>> {
        let mut found = None;
        for (k, v) in self.entries() {
            if k == key {
                found = Some(v);
            }
        }
        found
    }
    fn entries(self) -> DocEntries<'a> {
        let end = match self.nodes.get(self.i) {
            Some(Node::Object { end }) => *end as usize,
            _ => self.i,
        };
        DocEntries {
            nodes: self.nodes,
            next: self.i + 1,
            end,
        }
    }
    fn is_empty(self) -> bool {
        // No entries: the subtree is the object's node alone.
        !matches!(self.nodes.get(self.i), Some(Node::Object { end }) if *end as usize > self.i + 1)
    }
}

/// A reader for the common case, several times faster than going through serde's visitor:
/// objects, arrays, strings (escapes included), `true`/`false`/`null` and integers that fit.
/// It never accepts what `serde_json` rejects: on anything it is unsure of (a syntax
/// error, a float, an integer out of range, `-0`, a lone surrogate, deep nesting) it gives
/// up, and [`Doc::parse`] hands the text to `serde_json`. Floats are left to `serde_json`
/// so that every number is read to exactly the same value on both paths.
mod fast {
    use super::Node;
    use std::borrow::Cow;

    /// Deeper documents go to `serde_json`, which has its own limit (127 levels).
    const MAX_DEPTH: u32 = 64;

    struct Reader<'s, 'n> {
        text: &'s str,
        b: &'s [u8],
        i: usize,
        nodes: &'n mut Vec<Node<'s>>,
        depth: u32,
    }

    /// Reads one value and the whitespace around it; `None` when it gives up.
    pub(super) fn read<'s>(text: &'s str, nodes: &mut Vec<Node<'s>>) -> Option<()> {
        let mut r = Reader {
            text,
            b: text.as_bytes(),
            i: 0,
            nodes,
            depth: 0,
        };
        r.ws();
        r.value()?;
        r.ws();
        (r.i == r.b.len()).then_some(())
    }

    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);

    /// The high bit of each byte of `w` that is `"`, `\` or a control character (below
    /// 0x20), and perhaps of bytes after the first such byte: the lowest flag is exact.
    #[inline(always)]
    fn specials(w: u64) -> u64 {
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let zero = |x: u64| x.wrapping_sub(ONES) & !x;
        (zero(quote) | zero(backslash) | (w.wrapping_sub(ONES * 0x20) & !w)) & HIGHS
    }

    /// Where the run of string bytes that need no attention, from `i`, ends: the index of
    /// the first `"`, `\` or control character, or the end of `b`. Eight bytes at a time.
    #[inline(always)]
    pub(super) fn plain_run(b: &[u8], mut i: usize) -> usize {
        while let Some(chunk) = b.get(i..i + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let flags = specials(u64::from_le_bytes(word));
            if flags != 0 {
                return i + (flags.trailing_zeros() / 8) as usize;
            }
            i += 8;
        }
        while let Some(&c) = b.get(i) {
            if c == b'"' || c == b'\\' || c < 0x20 {
                break;
            }
            i += 1;
        }
        i
    }

    // The small steps are inlined into the few places that take them: a line of a bulk
    // create is some seventy values, and a call per step costs more than the step.
    impl<'s> Reader<'s, '_> {
        #[inline(always)]
        fn ws(&mut self) {
            while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.i) {
                self.i += 1;
            }
        }

        #[inline(always)]
        fn eat(&mut self, c: u8) -> Option<()> {
            (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
        }

        fn value(&mut self) -> Option<()> {
            match *self.b.get(self.i)? {
                b'{' => self.object(),
                b'[' => self.array(),
                b'"' => {
                    let s = self.string()?;
                    self.nodes.push(Node::Str(s));
                    Some(())
                }
                b't' => self.literal(b"true", Node::Bool(true)),
                b'f' => self.literal(b"false", Node::Bool(false)),
                b'n' => self.literal(b"null", Node::Null),
                b'-' | b'0'..=b'9' => self.number(),
                _ => None,
            }
        }

        fn literal(&mut self, word: &[u8], node: Node<'s>) -> Option<()> {
            if self.b.get(self.i..self.i + word.len())? != word {
                return None;
            }
            self.i += word.len();
            self.nodes.push(node);
            Some(())
        }

        /// Integers only: `-?(0|[1-9][0-9]*)` that fit `u64` (or `i64` when negative and
        /// not zero, which `serde_json` reads as the float `-0.0`).
        fn number(&mut self) -> Option<()> {
            let negative = self.eat(b'-').is_some();
            let start = self.i;
            let mut n: u64 = 0;
            while let Some(&c @ b'0'..=b'9') = self.b.get(self.i) {
                n = n.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
                self.i += 1;
            }
            let digits = self.i - start;
            if digits == 0 || (digits > 1 && self.b.get(start) == Some(&b'0')) {
                return None;
            }
            if let Some(b'.' | b'e' | b'E') = self.b.get(self.i) {
                return None;
            }
            let node = if negative {
                if n == 0 || n > i64::MAX as u64 + 1 {
                    return None;
                }
                Node::I64((n as i64).wrapping_neg())
            } else {
                Node::U64(n)
            };
            self.nodes.push(node);
            Some(())
        }

        /// A string starting at its `"`: borrowed from the text unless it holds escapes.
        /// Slices are cut next to ASCII bytes only, so they are always on char boundaries.
        #[inline(always)]
        fn string(&mut self) -> Option<Cow<'s, str>> {
            self.i += 1;
            let start = self.i;
            self.i = plain_run(self.b, self.i);
            if self.b.get(self.i) == Some(&b'"') {
                let s = self.text.get(start..self.i)?;
                self.i += 1;
                return Some(Cow::Borrowed(s));
            }
            self.escaped_string(start)
        }

        /// The rest of a string that starts at `start` and has, at `i`, something other
        /// than its closing quote: an escape, or an error.
        #[cold]
        #[inline(never)]
        fn escaped_string(&mut self, start: usize) -> Option<Cow<'s, str>> {
            if self.b.get(self.i) != Some(&b'\\') {
                return None;
            }
            let mut out = String::from(self.text.get(start..self.i)?);
            loop {
                match *self.b.get(self.i)? {
                    b'"' => {
                        self.i += 1;
                        return Some(Cow::Owned(out));
                    }
                    b'\\' => {
                        self.i += 1;
                        let c = match *self.b.get(self.i)? {
                            b'"' => '"',
                            b'\\' => '\\',
                            b'/' => '/',
                            b'b' => '\u{8}',
                            b'f' => '\u{c}',
                            b'n' => '\n',
                            b'r' => '\r',
                            b't' => '\t',
                            b'u' => {
                                let c = self.unicode_escape()?;
                                out.push(c);
                                continue;
                            }
                            _ => return None,
                        };
                        self.i += 1;
                        out.push(c);
                    }
                    0..=0x1f => return None,
                    _ => {
                        let from = self.i;
                        self.i = plain_run(self.b, self.i);
                        out.push_str(self.text.get(from..self.i)?);
                    }
                }
            }
        }

        /// `uXXXX` after a backslash, `i` on the `u` (a surrogate pair as two escapes).
        fn unicode_escape(&mut self) -> Option<char> {
            let high = self.hex4()?;
            if (0xDC00..0xE000).contains(&high) {
                return None;
            }
            if !(0xD800..0xDC00).contains(&high) {
                return char::from_u32(high);
            }
            if self.b.get(self.i..self.i + 2)? != b"\\u" {
                return None;
            }
            self.i += 1;
            let low = self.hex4()?;
            if !(0xDC00..0xE000).contains(&low) {
                return None;
            }
            char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        }

        /// The four hex digits after the `u` that `i` is on.
        fn hex4(&mut self) -> Option<u32> {
            let digits = self.b.get(self.i + 1..self.i + 5)?;
            let mut n = 0u32;
            for &d in digits {
                n = n * 16 + char::from(d).to_digit(16)?;
            }
            self.i += 5;
            Some(n)
        }

        fn enter(&mut self) -> Option<()> {
            self.depth += 1;
            (self.depth <= MAX_DEPTH).then_some(())
        }

        fn close(&mut self, at: usize) {
            super::close(self.nodes, at);
            self.depth -= 1;
        }

        /// After a value in a container: `,` (more to come) or the closing byte.
        #[inline(always)]
        fn next_or_close(&mut self, close: u8) -> Option<bool> {
            self.ws();
            match *self.b.get(self.i)? {
                b',' => {
                    self.i += 1;
                    self.ws();
                    Some(true)
                }
                c if c == close => {
                    self.i += 1;
                    Some(false)
                }
                _ => None,
            }
        }

        fn array(&mut self) -> Option<()> {
            self.enter()?;
            let at = self.nodes.len();
            self.nodes.push(Node::Array { end: 0 });
            self.i += 1;
            self.ws();
            if self.eat(b']').is_none() {
                loop {
                    self.value()?;
                    if !self.next_or_close(b']')? {
                        break;
                    }
                }
            }
            self.close(at);
            Some(())
        }

        fn object(&mut self) -> Option<()> {
            self.enter()?;
            let at = self.nodes.len();
            self.nodes.push(Node::Object { end: 0 });
            self.i += 1;
            self.ws();
            if self.eat(b'}').is_none() {
                loop {
                    if self.b.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?;
                    self.nodes.push(Node::Str(key));
                    self.ws();
                    self.eat(b':')?;
                    self.ws();
                    self.value()?;
                    if !self.next_or_close(b'}')? {
                        break;
                    }
                }
            }
            self.close(at);
            Some(())
        }
    }
}

/// Records each value `serde_json` reports as one or more nodes.
struct Builder<'n, 's> {
    nodes: &'n mut Vec<Node<'s>>,
}

/// Records where the container that starts at `at` ends: here, at the end of `nodes` (a
/// document has far fewer than 2^32 nodes: a line is at most a few MiB).
fn close(nodes: &mut [Node<'_>], at: usize) {
    let end = u32::try_from(nodes.len()).unwrap_or(u32::MAX);
    if let Some(Node::Array { end: e } | Node::Object { end: e }) = nodes.get_mut(at) {
        *e = end;
    }
}

impl<'de> DeserializeSeed<'de> for Builder<'_, 'de> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Builder<'_, 'de> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.nodes.push(Node::Null);
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.nodes.push(Node::Bool(v));
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.nodes.push(Node::I64(v));
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.nodes.push(Node::U64(v));
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.nodes.push(Node::F64(v));
        Ok(())
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<(), E> {
        self.nodes.push(Node::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.nodes.push(Node::Str(Cow::Owned(v.to_string())));
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.nodes.push(Node::Str(Cow::Owned(v)));
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Array { end: 0 });
        while seq
            .next_element_seed(Builder {
                nodes: &mut *self.nodes,
            })?
            .is_some()
        {}
        close(self.nodes, at);
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let at = self.nodes.len();
        self.nodes.push(Node::Object { end: 0 });
        while map
            .next_key_seed(Builder {
                nodes: &mut *self.nodes,
            })?
            .is_some()
        {
            map.next_value_seed(Builder {
                nodes: &mut *self.nodes,
            })?;
        }
        close(self.nodes, at);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(text: &str) -> Value {
        let doc = Doc::parse(text).expect("parses");
        to_value(doc.root())
    }

    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            r#"{"a":1,"b":[true,false,null,-2,3.5,18446744073709551615],"c":{"d":"e\"\u00e9\n","f":{}},"g":[]}"#,
            r#"[{"x":[[1],[2,[3]]]},"s",{}]"#,
            r#"  "just a string"  "#,
            "12",
            "-0.0",
            "1e400",
        ] {
            let expected: Result<Value, _> = serde_json::from_str(text);
            match expected {
                Ok(v) => assert_eq!(round_trip(text), v, "{text}"),
                Err(e) => assert_eq!(
                    Doc::parse(text).expect_err("fails too").to_string(),
                    e.to_string()
                ),
            }
        }
    }

    #[test]
    fn fails_where_serde_json_fails_with_its_message() {
        for text in [
            "",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{"a" 1}"#,
            r#"[1,2"#,
            r#"{"a":"\x"}"#,
            "nul",
            &"[".repeat(200),
        ] {
            let expected = serde_json::from_str::<Value>(text).expect_err("invalid");
            let got = Doc::parse(text).expect_err("invalid");
            assert_eq!(got.to_string(), expected.to_string(), "{text:?}");
            assert_eq!(got.column(), expected.column());
        }
    }

    #[test]
    fn objects_answer_like_a_value() {
        let text = r#"{"k":1,"s":"x","k":2,"o":{},"p":{"q":null}}"#;
        let doc = Doc::parse(text).expect("parses");
        let o = doc.root().as_object().expect("object");
        assert_eq!(o.get("k").and_then(Json::as_i64), Some(2));
        assert_eq!(o.get("s").and_then(Json::as_str), Some("x"));
        assert!(o.get("missing").is_none());
        assert!(o.get("o").and_then(Json::as_object).expect("o").is_empty());
        let p = o.get("p").and_then(Json::as_object).expect("p");
        assert!(!p.is_empty());
        assert!(p.get("q").expect("q").is_null());
        let keys: Vec<&str> = o.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["k", "s", "k", "o", "p"]);
        let v: Value = serde_json::from_str(text).expect("parses");
        assert_eq!(to_value(doc.root()), v);
    }

    #[test]
    fn pick_takes_the_last_of_a_repeated_key_in_one_pass() {
        let text = r#"{"a":1,"b":null,"a":2,"c":[3]}"#;
        let doc = Doc::parse(text).expect("parses");
        let o = doc.root().as_object().expect("object");
        let [a, b, c, d] = o.pick(&["a", "b", "c", "d"]);
        assert_eq!(a.and_then(Json::as_i64), Some(2));
        assert!(b.is_some_and(Json::is_null));
        assert_eq!(c.and_then(Json::as_array).map(Iterator::count), Some(1));
        assert!(d.is_none());
        // A `Value` answers the same.
        let v: Value = serde_json::from_str(text).expect("json");
        let m = v.as_object().expect("object");
        let [a, b, d] = m.pick(&["a", "b", "d"]);
        assert_eq!(a.and_then(Json::as_i64), Some(2));
        assert!(b.is_some_and(Json::is_null));
        assert!(d.is_none());
    }

    #[test]
    fn strings_borrow_unless_escaped() {
        let text = r#"["plain","esc\u0041ped"]"#;
        let doc = Doc::parse(text).expect("parses");
        let items: Vec<&str> = doc
            .root()
            .as_array()
            .expect("array")
            .filter_map(Json::as_str)
            .collect();
        assert_eq!(items, ["plain", "escAped"]);
        let plain = items[0].as_ptr() as usize;
        let range = text.as_ptr() as usize..text.as_ptr() as usize + text.len();
        assert!(range.contains(&plain));
    }

    /// The fast reader must never take a text `serde_json` rejects, and must read what it
    /// takes to the same value; `Doc::parse` as a whole must agree with `serde_json` on
    /// every text, errors included. Checked on many mutations of valid documents.
    #[test]
    fn the_fast_reader_agrees_with_serde_json() {
        use rand::rngs::SmallRng;
        use rand::{Rng, SeedableRng};

        let corpus = [
            r#"{"model":"basket","target_type":"item","target_identity":"/p/1","tags":["a","b"],"pin_definitions":[{"position":1,"pin_type":"item","pin_identity":"/p/2","active_to":"2030-01-01T00:00:00Z"},{"position":0,"is_block_pin":true}]}"#,
            r#"{"a":[1,-2,0,1.5,-0,1e3,18446744073709551615,-9223372036854775808,18446744073709551616],"b":{"c":null,"d":true,"e":false}}"#,
            r#"["\u00e9\n\"\\\/\b\f\r\t","\ud83d\ude00","x\u0041y",{},[],[[]],{"":""}]"#,
            r#"  {"k" : [ 1 , { "n" : "v" } ] , "k" : 2 }  "#,
        ];
        let alphabet: Vec<char> = "{}[]\",:-+.0123456789eEtrufalsn \t\n\r\\/bu\u{1}\u{7f}é😀dD8A"
            .chars()
            .collect();
        let mut rng = SmallRng::seed_from_u64(7);
        let mut taken = 0;
        for round in 0..30_000 {
            let mut chars: Vec<char> = corpus[round % corpus.len()].chars().collect();
            for _ in 0..rng.random_range(0..4) {
                let at = rng.random_range(0..=chars.len());
                let c = alphabet[rng.random_range(0..alphabet.len())];
                match rng.random_range(0..3) {
                    0 if at < chars.len() => chars[at] = c,
                    1 if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.insert(at, c),
                }
            }
            let text: String = chars.into_iter().collect();
            let expected = serde_json::from_str::<Value>(&text);
            let mut nodes = Vec::new();
            if fast::read(&text, &mut nodes).is_some() {
                taken += 1;
                let v = expected
                    .as_ref()
                    .expect("the fast reader took what serde_json rejects");
                assert_eq!(&to_value(Doc { nodes }.root()), v, "{text}");
            }
            match (Doc::parse(&text), expected) {
                (Ok(d), Ok(v)) => assert_eq!(to_value(d.root()), v, "{text}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{text}"),
                (a, b) => panic!("{text}: {:?} vs {:?}", a.map(|_| ()), b.map(|_| ())),
            }
        }
        // The fast path is the common one.
        assert!(taken > 3_000, "{taken}");
    }

    #[test]
    fn plain_runs_stop_at_the_first_byte_that_matters() {
        for text in [
            "",
            "abc",
            "abcdefgh",
            "abcdefghijklmnop\"",
            "ab\\cdefghij\"",
            "\u{1f}",
            "é😀ü\"x",
            "0123456789abcdef\u{7f}\u{80}\"",
            "abcdefg\tz",
            "\"",
            "aaaaaaaaaaaaaaaaaaaaaaa\\",
        ] {
            let b = text.as_bytes();
            for from in 0..=b.len() {
                let expected = (from..b.len())
                    .find(|&i| b[i] == b'"' || b[i] == b'\\' || b[i] < 0x20)
                    .unwrap_or(b.len());
                assert_eq!(fast::plain_run(b, from), expected, "{text:?} from {from}");
            }
        }
    }

    #[test]
    fn a_spare_buffer_is_reused() {
        let mut spare = Spare::default();
        let a = Doc::parse_reusing(r#"{"a":[1,2,3],"b":"x"}"#, &mut spare).expect("parses");
        let cap = a.nodes.capacity();
        let ptr = a.nodes.as_ptr() as usize;
        a.recycle(&mut spare);
        assert_eq!(spare.0.capacity(), cap);
        let text = String::from(r#"{"c":true}"#);
        let b = Doc::parse_reusing(&text, &mut spare).expect("parses");
        assert_eq!(b.nodes.as_ptr() as usize, ptr);
        assert_eq!(to_value(b.root()), json!({"c": true}));
        assert!(Doc::parse_reusing("{", &mut spare).is_err());
    }

    #[test]
    fn numbers_keep_their_kind() {
        let doc = Doc::parse("[1,-1,1.0,9223372036854775808]").expect("parses");
        let n: Vec<Option<i64>> = doc
            .root()
            .as_array()
            .expect("array")
            .map(Json::as_i64)
            .collect();
        assert_eq!(n, [Some(1), Some(-1), None, None]);
        let v = json!([1, -1, 1.0, 9223372036854775808u64]);
        assert_eq!(to_value(doc.root()), v);
    }
}
