//! Which of Redis Cluster's 16384 hash slots a key is in, computed here as the server does, so a
//! test can place keys on chosen nodes and check a client's routing without asking the cluster.

/// How many hash slots a Redis Cluster has; slots are `0..SLOT_COUNT`.
pub const SLOT_COUNT: u16 = 16384;

/// The hash slot of `key`: CRC16 (XMODEM) of its hash tag, or of the whole key if it has none,
/// modulo [`SLOT_COUNT`].
///
/// The hash tag is what lies between the key's first `{` and the first `}` after it, if that
/// is not empty: `{user}.name` and `{user}.mail` share a slot, while `a{}b{c}` is hashed whole.
///
/// ```
/// use temporal_cache_servers::key_slot;
///
/// assert_eq!(key_slot("foo"), 12182);
/// assert_eq!(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
/// ```
pub fn key_slot(key: impl AsRef<[u8]>) -> u16 {
    let key = key.as_ref();
    crc16(hash_tag(key).unwrap_or(key)) % SLOT_COUNT
}

/// The non-empty text between the first `{` and the first `}` after it.
fn hash_tag(key: &[u8]) -> Option<&[u8]> {
    let open = key.iter().position(|&byte| byte == b'{')?;
    let after_open = &key[open + 1..];
    let close = after_open.iter().position(|&byte| byte == b'}')?;
    (close > 0).then(|| &after_open[..close])
}

/// CRC16-XMODEM (polynomial 0x1021, initial value 0), Redis Cluster's key hash.
fn crc16(bytes: &[u8]) -> u16 {
    bytes.iter().fold(0, |crc, &byte| {
        (crc << 8) ^ CRC16_TABLE[usize::from((crc >> 8) as u8 ^ byte)]
    })
}

/// The CRC of each byte value, shifted into the high byte.
const CRC16_TABLE: [u16; 256] = {
    let mut table = [0; 256];
    let mut index = 0;
    while index < 256 {
        let mut crc = (index as u16) << 8;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000 == 0 {
                crc << 1
            } else {
                (crc << 1) ^ 0x1021
            };
            bit += 1;
        }
        table[index] = crc;
        index += 1;
    }
    table
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc16_is_xmodem() {
        // The check value of CRC-16/XMODEM, and the one in Redis's own crc16.c.
        assert_eq!(crc16(b"123456789"), 0x31C3);
        assert_eq!(crc16(b""), 0);
    }

    #[test]
    fn slots_of_known_keys() {
        // Values from redis-server's `CLUSTER KEYSLOT`.
        assert_eq!(key_slot("foo"), 12182);
        assert_eq!(key_slot("bar"), 5061);
        assert_eq!(key_slot(""), 0);
        assert_eq!(key_slot("a{}b{c}"), 7353);
    }

    #[test]
    fn the_hash_tag_is_the_first_braces_if_not_empty() {
        assert_eq!(hash_tag(b"{user}.name"), Some(&b"user"[..]));
        assert_eq!(hash_tag(b"a{b}c{d}"), Some(&b"b"[..]));
        assert_eq!(hash_tag(b"foo{{bar}}zap"), Some(&b"{bar"[..]));
        assert_eq!(hash_tag(b"}{x}"), Some(&b"x"[..]));
        assert_eq!(hash_tag(b"a{}b{c}"), None);
        assert_eq!(hash_tag(b"{"), None);
        assert_eq!(hash_tag(b"no tag"), None);
        assert_eq!(key_slot("a{b}c{d}"), key_slot("b"));
    }
}
