//! The language server's framing (`Content-Length: N`, a blank line, N bytes of JSON), read so
//! that no input can stop the server: a length is checked against a limit before anything is
//! allocated, a header line is bounded, and after a frame it refuses (too large, no length, a
//! header line without end) the reader finds the next `Content-Length:` line and goes on.
//! Over any `BufRead`, so the fuzzer and the tests drive it without a process.

use std::io::{self, BufRead, Read};

/// The largest message read: a 64 MiB site (the CLI's limit) fits with room for JSON escapes.
pub const MAX_MESSAGE: usize = 160 << 20;
/// The longest header line read.
const MAX_HEADER_LINE: u64 = 8 << 10;
/// At most this many header lines in one frame.
const MAX_HEADERS: usize = 32;
const LENGTH: &str = "content-length:";

/// What one frame was.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A message's body (not yet known to be JSON).
    Body(Vec<u8>),
    /// A frame that was skipped, and why (for the client's log).
    Refused(String),
}

/// Reads frames from `R`.
pub struct FrameReader<R> {
    input: R,
    max: usize,
    /// The start of a header line found while skipping a refused frame.
    pending: Option<Vec<u8>>,
}

impl<R: BufRead> FrameReader<R> {
    pub fn new(input: R, max: usize) -> Self {
        FrameReader {
            input,
            max,
            pending: None,
        }
    }

    /// The next frame, or `None` at the end of the input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let mut length: Option<Result<usize, String>> = None;
        let mut lines = 0;
        loop {
            let Some(line) = self.header_line()? else {
                return Ok(None);
            };
            let Ok(line) = line else {
                return self.refuse("a header line longer than 8 KiB".into());
            };
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                if lines == 0 {
                    continue; // blank lines between frames
                }
                break;
            }
            lines += 1;
            if lines > MAX_HEADERS {
                return self.refuse("more than 32 header lines".into());
            }
            let named = text.get(..LENGTH.len());
            if named.is_some_and(|n| n.eq_ignore_ascii_case(LENGTH)) {
                let value = text[LENGTH.len()..].trim();
                length = Some(
                    value
                        .parse::<usize>()
                        .map_err(|_| format!("`Content-Length: {}` is not a length", clip(value))),
                );
            }
        }
        match length {
            None => self.refuse("a message without `Content-Length`".into()),
            Some(Err(why)) => self.refuse(why),
            Some(Ok(n)) if n > self.max => self.refuse(format!(
                "a message of {n} bytes; the limit is {} MiB",
                self.max >> 20
            )),
            Some(Ok(n)) => {
                let mut body = Vec::with_capacity(n.min(1 << 20));
                (&mut self.input).take(n as u64).read_to_end(&mut body)?;
                if body.len() < n {
                    return Ok(None); // the input ended inside the body
                }
                Ok(Some(Frame::Body(body)))
            }
        }
    }

    /// One header line (with its newline), `Err(())` when it is longer than the bound, or
    /// `None` at the end of the input.
    #[allow(clippy::type_complexity)]
    fn header_line(&mut self) -> io::Result<Option<Result<Vec<u8>, ()>>> {
        let mut line = self.pending.take().unwrap_or_default();
        (&mut self.input)
            .take(MAX_HEADER_LINE)
            .read_until(b'\n', &mut line)?;
        if line.is_empty() {
            return Ok(None);
        }
        if !line.ends_with(b"\n") && line.len() as u64 >= MAX_HEADER_LINE {
            return Ok(Some(Err(())));
        }
        Ok(Some(Ok(line)))
    }

    /// Refuses a frame: skips to the next line that starts with `Content-Length:`.
    fn refuse(&mut self, why: String) -> io::Result<Option<Frame>> {
        self.skip_to_next_header()?;
        Ok(Some(Frame::Refused(why)))
    }

    /// Discards input (a buffer at a time, nothing kept) up to the next `Content-Length:`,
    /// which becomes the start of the next frame. Frames follow each other without a newline,
    /// so it is looked for anywhere; one inside a body (a document that quotes a header) only
    /// costs another refusal and another skip.
    fn skip_to_next_header(&mut self) -> io::Result<()> {
        let needle = LENGTH.as_bytes();
        let mut matched = 0;
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(());
            }
            let mut used = buf.len();
            for (i, &b) in buf.iter().enumerate() {
                let b = b.to_ascii_lowercase();
                if b == needle[matched] {
                    matched += 1;
                } else {
                    matched = usize::from(b == needle[0]);
                }
                if matched == needle.len() {
                    used = i + 1;
                    break;
                }
            }
            self.input.consume(used);
            if matched == needle.len() {
                self.pending = Some(b"Content-Length:".to_vec());
                return Ok(());
            }
        }
    }
}

/// A value as a message may quote it: at most 40 characters.
fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], max: usize) -> Vec<Frame> {
        let mut r = FrameReader::new(input, max);
        let mut out = Vec::new();
        while let Some(f) = r.next_frame().unwrap() {
            out.push(f);
        }
        out
    }

    #[test]
    fn messages_and_refusals() {
        let input = b"X-Other: 1\r\n\r\n\
            Content-Length: 2\r\n\r\n{}\
            Content-Length: 18446744073709551615\r\n\r\n\
            Content-Length: 999\r\n\r\n{\"big\": true}\r\n\
            content-length: abc\r\n\r\n\
            Content-Length: 4\r\nContent-Type: x\r\n\r\nnull";
        let f = frames(input, 100);
        assert!(matches!(&f[0], Frame::Refused(w) if w.contains("without")));
        assert_eq!(f[1], Frame::Body(b"{}".to_vec()));
        assert!(matches!(&f[2], Frame::Refused(w) if w.contains("18446744073709551615")));
        assert!(matches!(&f[3], Frame::Refused(w) if w.contains("999 bytes")));
        assert!(matches!(&f[4], Frame::Refused(w) if w.contains("not a length")));
        assert_eq!(f[5], Frame::Body(b"null".to_vec()));
        assert_eq!(f.len(), 6);
    }

    #[test]
    fn a_header_line_that_is_not_ascii_is_read() {
        let input = "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ: 1\r\n\r\nContent-Length: 2\r\n\r\n{}".as_bytes();
        let f = frames(input, 100);
        assert!(matches!(&f[0], Frame::Refused(w) if w.contains("without")));
        assert_eq!(f[1], Frame::Body(b"{}".to_vec()));
    }

    #[test]
    fn a_header_line_without_end_is_bounded() {
        let mut input = vec![b'x'; 100_000];
        input.extend_from_slice(b"\nContent-Length: 2\r\n\r\n[]");
        let f = frames(&input, 100);
        assert!(matches!(&f[0], Frame::Refused(w) if w.contains("8 KiB")));
        assert_eq!(f.last(), Some(&Frame::Body(b"[]".to_vec())));
    }

    #[test]
    fn any_bytes_end_without_panic() {
        let mut seed = 7u64;
        for _ in 0..2000 {
            let len = (seed % 64) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    b"Content-Length: 0123456789\r\n{}x"[(seed >> 33) as usize % 30]
                })
                .collect();
            let _ = frames(&bytes, 16);
        }
    }
}
