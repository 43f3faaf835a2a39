//! Splits a byte stream into NDJSON lines with bounded memory.
//!
//! - `\n` ends a line; a `\r` right before it is dropped, so CRLF files read like LF files.
//! - A UTF-8 byte order mark at the very start of the stream is dropped.
//! - A line longer than [`MAX_LINE_BYTES`] (terminator excluded) is not kept in memory: the
//!   reader skips to its end and reports only its length.
//! - The last line may lack its `\n`.
//!
//! Line numbers are 1-based and count every line, blank ones included, so they match what an
//! editor shows. Offsets are byte offsets in the stream, so a line can be read again later.

use std::io::{self, BufRead, BufReader, Read, Write};

/// The longest line that is parsed; longer lines are rejected with their length.
pub const MAX_LINE_BYTES: usize = 1 << 20;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What a line holds once its terminator (and a leading BOM) is gone.
#[derive(Debug, PartialEq, Eq)]
pub enum Content<'a> {
    Text(&'a [u8]),
    /// Longer than [`MAX_LINE_BYTES`]: its length without terminator.
    TooLong(u64),
}

/// One line of the stream.
#[derive(Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based.
    pub number: u64,
    /// Byte offset of the line's first byte.
    pub offset: u64,
    /// Bytes the line takes in the stream, terminator included.
    pub raw_len: u64,
    pub content: Content<'a>,
}

impl Line<'_> {
    /// Whether the line holds nothing but spaces and tabs (and so has no outcome).
    pub fn is_blank(&self) -> bool {
        match self.content {
            Content::Text(t) => is_blank(t),
            Content::TooLong(_) => false,
        }
    }
}

/// Spaces, tabs and carriage returns only (a JSON parser would see no value).
pub fn is_blank(t: &[u8]) -> bool {
    t.iter().all(|b| matches!(b, b' ' | b'\t' | b'\r'))
}

/// Strips the terminator (`\n` or `\r\n`) from a raw line as stored in the file, and the BOM
/// when the line starts the stream. Used to read a line back by its offset.
pub fn strip_raw(raw: &[u8], at_start: bool) -> &[u8] {
    &raw[strip_range(raw, at_start)]
}

/// Where [`strip_raw`]'s result lies in `raw`.
pub fn strip_range(raw: &[u8], at_start: bool) -> std::ops::Range<usize> {
    let mut end = raw.len();
    if raw[..end].ends_with(b"\n") {
        end -= 1;
    }
    if raw[..end].ends_with(b"\r") {
        end -= 1;
    }
    let start = if at_start && raw[..end].starts_with(BOM) {
        BOM.len()
    } else {
        0
    };
    start..end
}

/// A reader that copies every byte it reads into a writer (used to keep stdin in a file
/// so it can be read a second time).
pub struct Tee<R, W> {
    inner: R,
    copy: W,
}

impl<R, W> Tee<R, W> {
    pub fn new(inner: R, copy: W) -> Self {
        Tee { inner, copy }
    }

    pub fn into_parts(self) -> (R, W) {
        (self.inner, self.copy)
    }
}

impl<R: Read, W: Write> Read for Tee<R, W> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.copy.write_all(&buf[..n])?;
        Ok(n)
    }
}

/// The line splitter. Lines that fit in the buffer are handed out without a copy.
pub struct LineReader<R> {
    inner: BufReader<R>,
    /// Assembles a line that spans buffer refills.
    buf: Vec<u8>,
    /// Bytes of the last line still to be consumed from `inner`.
    pending: usize,
    number: u64,
    offset: u64,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        Self::with_capacity(256 * 1024, inner)
    }

    pub fn with_capacity(capacity: usize, inner: R) -> Self {
        LineReader {
            inner: BufReader::with_capacity(capacity, inner),
            buf: Vec::new(),
            pending: 0,
            number: 0,
            offset: 0,
        }
    }

    /// Bytes handed out so far (the offset of the next line).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    pub fn into_inner(self) -> R {
        self.inner.into_inner()
    }

    /// The next line, or `None` at the end of the stream.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        if self.pending > 0 {
            self.inner.consume(self.pending);
            self.pending = 0;
        }
        let start = self.offset;
        let at_start = start == 0;
        let avail = self.inner.fill_buf()?;
        if avail.is_empty() {
            return Ok(None);
        }
        // Fast path: the whole line is in the buffer.
        if let Some(i) = memchr::memchr(b'\n', avail) {
            self.pending = i + 1;
            self.number += 1;
            self.offset += (i + 1) as u64;
            let text = strip_raw(&self.inner.buffer()[..=i], at_start);
            return Ok(Some(Line {
                number: self.number,
                offset: start,
                raw_len: (i + 1) as u64,
                content: if text.len() > MAX_LINE_BYTES {
                    Content::TooLong(text.len() as u64)
                } else {
                    Content::Text(text)
                },
            }));
        }
        // Slow path: assemble the line, keeping at most MAX_LINE_BYTES plus room for the
        // BOM and the `\r\n`; past that only its length is counted.
        let keep = MAX_LINE_BYTES + BOM.len() + 2;
        self.buf.clear();
        let mut raw_len: u64 = 0;
        let mut overflow = false;
        let mut terminated = false;
        // The last byte before the `\n` (or before the end), for the `\r` check.
        let mut last: u8 = 0;
        loop {
            let avail = self.inner.fill_buf()?;
            if avail.is_empty() {
                break;
            }
            let (n, found) = match memchr::memchr(b'\n', avail) {
                Some(i) => (i + 1, true),
                None => (avail.len(), false),
            };
            let content = if found { &avail[..n - 1] } else { &avail[..n] };
            if let Some(&b) = content.last() {
                last = b;
            }
            if !overflow {
                if self.buf.len() + n > keep {
                    overflow = true;
                    self.buf.clear();
                } else {
                    self.buf.extend_from_slice(&avail[..n]);
                }
            }
            raw_len += n as u64;
            self.inner.consume(n);
            if found {
                terminated = true;
                break;
            }
        }
        self.number += 1;
        self.offset += raw_len;
        let content = if overflow {
            let len = raw_len - u64::from(terminated) - u64::from(last == b'\r');
            Content::TooLong(len)
        } else {
            let text = strip_raw(&self.buf, at_start);
            if text.len() > MAX_LINE_BYTES {
                Content::TooLong(text.len() as u64)
            } else {
                Content::Text(text)
            }
        };
        Ok(Some(Line {
            number: self.number,
            offset: start,
            raw_len,
            content,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (number, offset, raw length, text or the length of a line too long).
    type Got = (u64, u64, u64, Result<Vec<u8>, u64>);

    fn lines(input: &[u8], capacity: usize) -> Vec<Got> {
        let mut r = LineReader::with_capacity(capacity, input);
        let mut out = Vec::new();
        while let Some(l) = r.next_line().expect("read") {
            let c = match l.content {
                Content::Text(t) => Ok(t.to_vec()),
                Content::TooLong(n) => Err(n),
            };
            out.push((l.number, l.offset, l.raw_len, c));
        }
        out
    }

    fn texts(input: &[u8], capacity: usize) -> Vec<Result<Vec<u8>, u64>> {
        lines(input, capacity).into_iter().map(|l| l.3).collect()
    }

    #[test]
    fn lf_crlf_bom_and_missing_final_newline() {
        for cap in [1, 2, 3, 5, 64, 4096] {
            let got = lines(b"\xEF\xBB\xBF{\"a\":1}\r\n\r\n  \n{}", cap);
            assert_eq!(
                got,
                vec![
                    (1, 0, 12, Ok(b"{\"a\":1}".to_vec())),
                    (2, 12, 2, Ok(Vec::new())),
                    (3, 14, 3, Ok(b"  ".to_vec())),
                    (4, 17, 2, Ok(b"{}".to_vec())),
                ],
                "capacity {cap}"
            );
        }
    }

    #[test]
    fn bom_only_counts_at_the_start() {
        let got = texts(b"a\n\xEF\xBB\xBFb\n", 4096);
        assert_eq!(got[1], Ok(b"\xEF\xBB\xBFb".to_vec()));
    }

    #[test]
    fn empty_input_has_no_lines() {
        assert!(lines(b"", 16).is_empty());
        assert_eq!(lines(b"\n", 16), vec![(1, 0, 1, Ok(Vec::new()))]);
    }

    #[test]
    fn long_lines_are_measured_not_kept() {
        let mut input = vec![b'x'; MAX_LINE_BYTES + 10];
        input.extend_from_slice(b"\r\n");
        let mut fits = vec![b'y'; MAX_LINE_BYTES];
        fits.push(b'\n');
        input.extend_from_slice(&fits);
        input.extend_from_slice(&vec![b'z'; MAX_LINE_BYTES + 1]);
        for cap in [7, 8192, 4 * MAX_LINE_BYTES] {
            let got = texts(&input, cap);
            assert_eq!(got.len(), 3, "capacity {cap}");
            assert_eq!(got[0], Err(MAX_LINE_BYTES as u64 + 10), "capacity {cap}");
            assert_eq!(
                got[1].as_ref().map(Vec::len),
                Ok(MAX_LINE_BYTES),
                "capacity {cap}"
            );
            assert_eq!(got[2], Err(MAX_LINE_BYTES as u64 + 1), "capacity {cap}");
        }
    }

    #[test]
    fn offsets_read_back_the_same_line() {
        let input = b"\xEF\xBB\xBF{\"a\":1}\r\n\n{\"b\":2}\n{\"c\":3}";
        for (n, off, len, text) in lines(input, 5) {
            let raw = &input[off as usize..(off + len) as usize];
            assert_eq!(Ok(strip_raw(raw, off == 0).to_vec()), text, "line {n}");
        }
    }

    #[test]
    fn blank_lines() {
        assert!(is_blank(b""));
        assert!(is_blank(b" \t "));
        assert!(!is_blank(b" {} "));
    }

    #[test]
    fn tee_copies_what_is_read() {
        let mut copy = Vec::new();
        {
            let mut r = LineReader::with_capacity(3, Tee::new(&b"one\ntwo"[..], &mut copy));
            while r.next_line().expect("read").is_some() {}
        }
        assert_eq!(copy, b"one\ntwo");
    }
}
