//! Properties of `Url::parse` over URL-like strings (the parser runs for every request
//! built from a string, so it is written byte by byte; these keep it honest).

use h2o_core::{ErrorKind, Url};
use proptest::prelude::*;

/// Strings mostly made of the bytes that matter to the split, plus a few that must be
/// rejected (space, DEL, non-ASCII).
fn url_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        8 => "[a-zA-Z0-9._-]{1,6}",
        2 => Just(":".to_string()),
        2 => "[0-9]{1,6}",
        2 => Just("/".to_string()),
        1 => Just("?".to_string()),
        1 => Just("#".to_string()),
        1 => Just("@".to_string()),
        1 => Just("[::1]".to_string()),
        1 => Just("[".to_string()),
        1 => Just("]".to_string()),
        1 => "[ \u{7f}\u{e9}%+]",
    ];
    (
        prop_oneof![Just("http://"), Just("HTTPS://"), Just("ftp://"), Just("")],
        prop::collection::vec(piece, 0..8),
    )
        .prop_map(|(scheme, pieces)| format!("{scheme}{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// Never panics; every failure is `InvalidUrl`; a parsed URL prints to a string that
    /// parses back to the same URL, with a lower-case host inside its authority and a path
    /// that starts with `/` and holds no fragment.
    #[test]
    fn parse_round_trips(input in url_like()) {
        match Url::parse(&input) {
            Err(e) => prop_assert_eq!(e.kind(), ErrorKind::InvalidUrl),
            Ok(u) => {
                let again = Url::parse(&u.to_string()).unwrap();
                prop_assert_eq!(&again, &u);
                prop_assert!(u.path().starts_with('/'));
                prop_assert!(!u.path().contains('#'));
                prop_assert!(!u.authority().contains('@'));
                prop_assert!(!u.host().bytes().any(|b| b.is_ascii_uppercase()));
                let bracketed = format!("[{}]", u.host());
                let host_in = if u.host().contains(':') { &bracketed } else { u.host() };
                prop_assert!(u.authority().starts_with(host_in));
                prop_assert!(u.port() != 0);
                let explicit = u.port() != u.scheme().default_port();
                prop_assert_eq!(u.authority().ends_with(&format!(":{}", u.port())), explicit);
            }
        }
    }
}
