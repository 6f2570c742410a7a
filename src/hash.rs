//! SHA-256 in the two shapes flinkgen needs: of one file's bytes, and of a sequence of parts
//! (config files, a submission, a project's inputs) where no two sequences may collide.

use sha2::{Digest, Sha256};

/// Lowercase hex of the SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// A hash over parts, each prefixed by its length, so `["ab", "c"]` and `["a", "bc"]` differ.
#[derive(Default)]
pub struct Parts(Sha256);

impl Parts {
    pub fn add(&mut self, part: impl AsRef<[u8]>) -> &mut Self {
        let part = part.as_ref();
        self.0.update((part.len() as u64).to_be_bytes());
        self.0.update(part);
        self
    }
    /// The first `bytes` bytes of the digest, as hex.
    pub fn hex(self, bytes: usize) -> String {
        hex(&self.0.finalize()[..bytes])
    }
}

fn hex(bytes: &[u8]) -> String {
    // By hand: a formatted string per byte was a measurable share of hashing every output.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}
