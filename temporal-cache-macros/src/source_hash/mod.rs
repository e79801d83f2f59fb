//! The `task_source` hash: blake3 over a canonical walk of the function's tokens, taken after
//! the function's syntax is normalized.
//!
//! The README promises that reformatting does not change the hash, only code does. Tokens alone
//! already leave out whitespace and ordinary comments, but a formatter also changes tokens:
//! rustfmt adds a trailing comma when it splits a list over lines, wraps a long match arm in
//! braces and takes them off again, adds `;` after a final `return`. [`normalize`] undoes every
//! such choice on a copy of the syntax tree, doc comments are left out of the walk, and only then
//! are the tokens hashed. Any change to an identifier, literal, operator or bracket that means
//! something still changes the hash. Token spacing is left out on purpose: `a+=1` and `a += 1`
//! are the same code.

mod normalize;
#[cfg(test)]
mod rustfmt_test;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Block, Signature};

/// Names the hash's scheme; a change to what the hash covers changes it, so that old and new
/// hashes never collide. v2: normalized for formatters, doc comments left out.
const DOMAIN: &[u8] = b"temporal-cache task_source v2";

/// The hash of a function's signature and body.
pub(crate) fn hash(sig: &Signature, block: &Block) -> [u8; 32] {
    let (mut sig, mut block) = (sig.clone(), block.clone());
    normalize::normalize(&mut sig, &mut block);
    let mut tokens = sig.into_token_stream();
    block.to_tokens(&mut tokens);
    hash_tokens(tokens)
}

fn hash_tokens(tokens: TokenStream) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    hasher.update(DOMAIN);
    walk(tokens, &mut hasher);
    *hasher.finalize().as_bytes()
}

fn walk(tokens: TokenStream, hasher: &mut blake3::Hasher) {
    let tokens: Vec<TokenTree> = tokens.into_iter().collect();
    let mut index = 0;
    while let Some(token) = tokens.get(index) {
        index += 1;
        if let Some(skip) = doc_attribute_len(&tokens[index - 1..]) {
            index += skip - 1;
            continue;
        }
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

/// How many tokens a doc comment at the start of `tokens` takes: `#[doc = "..."]` or
/// `#![doc = "..."]`, which is what `///` and `//!` are. Doc comments are not code. They are
/// left out here rather than in the syntax tree because here one rule reaches every place an
/// attribute can stand, the token trees of macro calls included.
fn doc_attribute_len(tokens: &[TokenTree]) -> Option<usize> {
    let is_punct = |token: Option<&TokenTree>, char| matches!(token, Some(TokenTree::Punct(punct)) if punct.as_char() == char);
    if !is_punct(tokens.first(), '#') {
        return None;
    }
    let bracket = if is_punct(tokens.get(1), '!') { 2 } else { 1 };
    let Some(TokenTree::Group(group)) = tokens.get(bracket) else {
        return None;
    };
    let mut inside = group.stream().into_iter();
    let is_doc = group.delimiter() == Delimiter::Bracket
        && matches!(inside.next(), Some(TokenTree::Ident(ident)) if ident == "doc")
        && is_punct(inside.next().as_ref(), '=');
    is_doc.then_some(bracket + 1)
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
    fn whitespace_and_comments_do_not_matter_but_code_does() {
        let a = hash_tokens(quote! { fn f(x: u8) -> u8 { x + 1 } });
        let b: TokenStream = "fn f( x:u8 )->u8{\n    // a comment\n    x+1\n}"
            .parse()
            .unwrap();
        assert_eq!(a, hash_tokens(b));
        assert_ne!(a, hash_tokens(quote! { fn f(x: u8) -> u8 { x + 2 } }));
        assert_ne!(a, hash_tokens(quote! { fn f(x: u8) -> u8 { (x + 1) } }));
        assert_ne!(a, hash_tokens(quote! { fn f(y: u8) -> u8 { y + 1 } }));
    }

    #[test]
    fn doc_comments_do_not_matter_but_other_attributes_do() {
        let plain: TokenStream = "fn f() { fn g() {} m! { x } }".parse().unwrap();
        let documented: TokenStream =
            "fn f() { /// Says why.\n fn g() { //! Inside.\n } m! { /** In a macro. */ x } }"
                .parse()
                .unwrap();
        assert_eq!(hash_tokens(plain.clone()), hash_tokens(documented));
        let hidden: TokenStream = "fn f() { #[doc(hidden)] fn g() {} m! { x } }"
            .parse()
            .unwrap();
        assert_ne!(hash_tokens(plain.clone()), hash_tokens(hidden));
        let inline: TokenStream = "fn f() { #[inline] fn g() {} m! { x } }".parse().unwrap();
        assert_ne!(hash_tokens(plain), hash_tokens(inline));
    }

    /// A hash pinned literally: a change to the walk, the domain or the normalization shows up
    /// here first. Changing it changes every `task_source` key, so bump `DOMAIN` with it.
    #[test]
    fn the_hash_of_a_known_function_is_pinned() {
        let function: syn::ItemFn = syn::parse_quote! {
            async fn fetch(_ctx: ActivityContext, id: u64) -> Result<u64, ActivityError> { Ok(id) }
        };
        let hex: String = hash(&function.sig, &function.block)
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        assert_eq!(
            hex,
            "853691a32b6b70209dce9389f78ce9cd3ded889c6e518e860fd671083f677664"
        );
    }
}
