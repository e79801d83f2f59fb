//! The `task_source` hash: blake3 over a canonical walk of the function's tokens.
//!
//! Only tokens count, so whitespace, formatting and ordinary comments do not change the hash;
//! any change to an identifier, literal, operator or bracket does. Token spacing is left out on
//! purpose: `a+=1` and `a += 1` are the same code.

use proc_macro2::{Delimiter, TokenStream, TokenTree};

pub(crate) fn hash(tokens: TokenStream) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"temporal-cache task_source v1");
    walk(tokens, &mut hasher);
    *hasher.finalize().as_bytes()
}

fn walk(tokens: TokenStream, hasher: &mut blake3::Hasher) {
    for token in tokens {
        match token {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => (b'(', b')'),
                    Delimiter::Brace => (b'{', b'}'),
                    Delimiter::Bracket => (b'[', b']'),
                    Delimiter::None => (b'<', b'>'),
                };
                hasher.update(&[b'g', open]);
                walk(group.stream(), hasher);
                hasher.update(&[close]);
            }
            TokenTree::Ident(ident) => text(hasher, b'i', &ident.to_string()),
            TokenTree::Punct(punct) => {
                let mut buffer = [0; 4];
                text(hasher, b'p', punct.as_char().encode_utf8(&mut buffer));
            }
            TokenTree::Literal(literal) => text(hasher, b'l', &literal.to_string()),
        }
    }
}

fn text(hasher: &mut blake3::Hasher, kind: u8, text: &str) {
    hasher.update(&[kind]);
    hasher.update(&(text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    #[test]
    fn formatting_does_not_matter_but_code_does() {
        let a = hash(quote! { fn f(x: u8) -> u8 { x + 1 } });
        let b: TokenStream = "fn f( x:u8 )->u8{\n    // a comment\n    x+1\n}"
            .parse()
            .unwrap();
        assert_eq!(a, hash(b));
        assert_ne!(a, hash(quote! { fn f(x: u8) -> u8 { x + 2 } }));
        assert_ne!(a, hash(quote! { fn f(x: u8) -> u8 { (x + 1) } }));
        assert_ne!(a, hash(quote! { fn f(y: u8) -> u8 { y + 1 } }));
    }
}
