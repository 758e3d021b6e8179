//! RFC 7541 §5.1 integer representation.

use bytes::{BufMut, BytesMut};

use super::DecoderError;

/// Largest integer the decoder accepts (anything larger is [`DecoderError::IntegerOverflow`]).
/// Every legitimate value (indices, lengths, table sizes) fits comfortably.
pub(crate) const MAX_INT: u64 = u32::MAX as u64;

/// Encodes `value` with an N-bit prefix; `first` carries the representation's flag bits
/// (the low `prefix_bits` bits of `first` must be zero).
#[inline]
pub(crate) fn encode(value: usize, prefix_bits: u8, first: u8, dst: &mut BytesMut) {
    let mask = (1usize << prefix_bits) - 1;
    if value < mask {
        dst.put_u8(first | value as u8);
        return;
    }
    dst.put_u8(first | mask as u8);
    let mut rest = value - mask;
    while rest >= 128 {
        dst.put_u8((rest & 0x7f) as u8 | 0x80);
        rest >>= 7;
    }
    dst.put_u8(rest as u8);
}

/// Decodes an integer with an N-bit prefix starting at `data[*pos]`, advancing `pos`.
#[inline]
pub(crate) fn decode(data: &[u8], pos: &mut usize, prefix_bits: u8) -> Result<usize, DecoderError> {
    let mask = ((1u16 << prefix_bits) - 1) as u8;
    let first = *data.get(*pos).ok_or(DecoderError::Truncated)?;
    *pos += 1;
    let v = first & mask;
    if v < mask {
        return Ok(v as usize);
    }
    let mut value = u64::from(mask);
    let mut shift = 0u32;
    loop {
        let b = *data.get(*pos).ok_or(DecoderError::Truncated)?;
        *pos += 1;
        value += u64::from(b & 0x7f) << shift;
        if value > MAX_INT {
            return Err(DecoderError::IntegerOverflow);
        }
        if b & 0x80 == 0 {
            return usize::try_from(value).map_err(|_| DecoderError::IntegerOverflow);
        }
        shift += 7;
        if shift > 28 {
            // More continuation bytes than any value <= MAX_INT needs (also rejects
            // endless zero padding such as 0x80 0x80 0x80 ...).
            return Err(DecoderError::IntegerOverflow);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: usize, n: u8) -> Vec<u8> {
        let mut b = BytesMut::new();
        encode(v, n, 0, &mut b);
        b.to_vec()
    }

    #[test]
    fn rfc_c1_examples() {
        // C.1.1: 10 with a 5-bit prefix.
        assert_eq!(enc(10, 5), [0x0a]);
        // C.1.2: 1337 with a 5-bit prefix.
        assert_eq!(enc(1337, 5), [0x1f, 0x9a, 0x0a]);
        // C.1.3: 42 at an octet boundary.
        assert_eq!(enc(42, 8), [0x2a]);
        let mut p = 0;
        assert_eq!(decode(&[0x1f, 0x9a, 0x0a], &mut p, 5), Ok(1337));
        assert_eq!(p, 3);
    }

    #[test]
    fn round_trip_and_limits() {
        for n in 1..=8u8 {
            for v in [
                0usize,
                1,
                14,
                15,
                16,
                30,
                31,
                127,
                128,
                255,
                256,
                1 << 14,
                1 << 21,
                u32::MAX as usize,
            ] {
                let b = enc(v, n);
                let mut p = 0;
                assert_eq!(decode(&b, &mut p, n), Ok(v), "v={v} n={n}");
                assert_eq!(p, b.len());
            }
        }
        let mut p = 0;
        assert_eq!(
            decode(&[0x1f, 0xff, 0xff, 0xff, 0xff, 0x7f], &mut p, 5),
            Err(DecoderError::IntegerOverflow)
        );
        let mut p = 0;
        assert_eq!(
            decode(&[0x1f, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00], &mut p, 5),
            Err(DecoderError::IntegerOverflow)
        );
        let mut p = 0;
        assert_eq!(
            decode(&[0x1f, 0x9a], &mut p, 5),
            Err(DecoderError::Truncated)
        );
        let mut p = 0;
        assert_eq!(decode(&[], &mut p, 5), Err(DecoderError::Truncated));
    }
}
