//! Integers as decimal text without the formatting machinery: the state's socket tuples
//! and the extractors' numeric fields write one for nearly every event.

/// The decimal digits of an integer, `-` first when negative, held on the stack.
pub struct Decimal {
    buf: [u8; 20],
    start: usize,
}

impl Decimal {
    /// The decimal text of `v`.
    pub fn new(v: i64) -> Self {
        let mut buf = [0u8; 20];
        let mut start = buf.len();
        let mut n = v.unsigned_abs();
        loop {
            start -= 1;
            buf[start] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        if v < 0 {
            start -= 1;
            buf[start] = b'-';
        }
        Decimal { buf, start }
    }

    /// The text as ASCII bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The text as a string.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and '-' are ever written.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::Decimal;

    #[test]
    fn matches_std_formatting() {
        for v in [0, 7, 10, 65535, -1, -42, i64::MAX, i64::MIN] {
            assert_eq!(Decimal::new(v).as_str(), v.to_string());
        }
    }
}
