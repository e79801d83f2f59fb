//! Reading `#[cached_activity(key = value, ...)]`: syntax only.
//!
//! Each value is read with the syntax its key's table entry gives, and nothing more: whether a
//! string means anything (a policy, a duration) and whether the arguments fit together is
//! [`super::validate`]'s job. A mistake in one argument does not hide the others: parsing goes on
//! after it, so that one build reports every mistake.

use proc_macro2::{Delimiter, Group, Span, TokenStream, TokenTree};
// Speculative parsing is "discouraged" because an error found on a fork can be worse than one
// found in place; here each argument's error is taken from its own fork and reported as it is.
use syn::parse::discouraged::Speculative;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::{Expr, Ident, LitBool, LitStr, Token};

use super::key::{Key, Syntax};

/// One `key = value` as written.
pub(crate) struct Arg {
    pub(crate) key: Key,
    /// The key as written, for the errors about the argument as a whole.
    pub(crate) ident: Ident,
    pub(crate) value: Value,
}

/// A value, in the syntax of its key.
pub(crate) enum Value {
    Str(LitStr),
    Bool(LitBool),
    Names(Punctuated<Ident, Token![,]>),
    Expr(Box<Expr>),
}

/// Reads the attribute's tokens: each argument in order, or the error that kept it from being read.
pub(crate) fn parse(tokens: TokenStream) -> Vec<syn::Result<Arg>> {
    let read = |input: ParseStream<'_>| {
        let mut args = Vec::new();
        while !input.is_empty() {
            // Each argument is read on a fork: a half-read argument must not leave the stream in
            // between two tokens, nor mark tokens of a nested group as unexpected.
            let fork = input.fork();
            let arg = parse_arg(&fork);
            if arg.is_ok() {
                input.advance_to(&fork);
            } else {
                skip_argument(input);
            }
            args.push(arg);
            if input.is_empty() {
                break;
            }
            if let Err(error) = input.parse::<Token![,]>() {
                args.push(Err(error));
                skip_argument(input);
                // The comma that ends the skipped tokens, if any.
                let _ = input.parse::<Option<Token![,]>>();
            }
        }
        Ok(args)
    };
    read.parse2(tokens).unwrap_or_else(|error| vec![Err(error)])
}

fn parse_arg(input: ParseStream<'_>) -> syn::Result<Arg> {
    let ident: Ident = input.parse().map_err(|error| {
        syn::Error::new(
            error.span(),
            format!(
                "expected an argument such as `ttl = \"1h\"`; the arguments are {}",
                Key::list()
            ),
        )
    })?;
    let Some(key) = Key::named(&ident) else {
        return Err(syn::Error::new(
            ident.span(),
            format!(
                "unknown argument `{ident}`; #[cached_activity] takes {}, as in \
                 #[cached_activity(policy = \"inputs\", ttl = \"1h\")]",
                Key::list()
            ),
        ));
    };
    input
        .parse::<Token![=]>()
        .map_err(|error| syn::Error::new(error.span(), format!("expected `=` after `{ident}`")))?;
    let value = parse_value(input, key)?;
    Ok(Arg { key, ident, value })
}

fn parse_value(input: ParseStream<'_>, key: Key) -> syn::Result<Value> {
    let entry = key.entry();
    let (name, example) = (entry.name, entry.example);
    let expected = |span: Span, what: &str| {
        syn::Error::new(
            span,
            format!("`{name}` takes {what}, as in `{name} = {example}`"),
        )
    };
    match entry.syntax {
        Syntax::Str => input
            .parse()
            .map(Value::Str)
            .map_err(|error| expected(error.span(), "a string literal")),
        Syntax::Bool => input.parse().map(Value::Bool).map_err(|error| {
            syn::Error::new(error.span(), format!("`{name}` takes `true` or `false`"))
        }),
        Syntax::Names => {
            let what = "the names of inputs in brackets";
            // Read as a token tree, and its contents on their own: an error inside the brackets
            // then leaves the rest of the attribute readable.
            let group: Group = input
                .parse()
                .map_err(|error| expected(error.span(), what))?;
            if group.delimiter() != Delimiter::Bracket {
                return Err(expected(group.span(), what));
            }
            Punctuated::parse_terminated
                .parse2(group.stream())
                .map(Value::Names)
                .map_err(|error| expected(error.span(), what))
        }
        // An expression that starts but goes wrong keeps syn's own error, which says where.
        Syntax::Expr if input.is_empty() || input.peek(Token![,]) => {
            Err(expected(input.span(), "an expression"))
        }
        Syntax::Expr => input.parse().map(|expr| Value::Expr(Box::new(expr))),
    }
}

/// Skips an argument that could not be read, up to the comma that ends it. A value that reads
/// as an expression (that of an unknown key, or a number where a string belongs) is skipped as
/// one, so that commas inside it (`f::<A, B>()`) do not end it early; anything else is skipped up
/// to the next comma outside brackets.
fn skip_argument(input: ParseStream<'_>) {
    let fork = input.fork();
    let as_expression = fork.parse::<Ident>().is_ok()
        && fork.parse::<Token![=]>().is_ok()
        && fork.parse::<Expr>().is_ok()
        && (fork.is_empty() || fork.peek(Token![,]));
    if as_expression {
        input.advance_to(&fork);
        return;
    }
    let _ = input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((tree, next)) = rest.token_tree() {
            if matches!(&tree, TokenTree::Punct(punct) if punct.as_char() == ',') {
                break;
            }
            rest = next;
        }
        Ok(((), rest))
    });
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;

    fn messages(tokens: TokenStream) -> Vec<String> {
        parse(tokens)
            .into_iter()
            .filter_map(|arg| arg.err())
            .map(|error| error.to_string())
            .collect()
    }

    #[test]
    fn reads_each_value_with_its_keys_syntax() {
        let args = parse(quote! {
            policy = "inputs", ttl = "1h", exclude = [a, b], version = "2",
            backend = &*BACKEND, namespaces = "shared", lock = false, lock_ttl = "30s",
            lock_wait = "5m", stale = "10m", on_error = "stale",
        });
        let keys: Vec<Key> = args
            .iter()
            .map(|arg| arg.as_ref().ok().unwrap().key)
            .collect();
        assert_eq!(keys, Key::ALL);
        assert!(matches!(&args[2], Ok(Arg { value: Value::Names(names), .. }) if names.len() == 2));
        assert!(matches!(
            &args[4],
            Ok(Arg {
                value: Value::Expr(_),
                ..
            })
        ));
        assert!(matches!(&args[6], Ok(Arg { value: Value::Bool(lit), .. }) if !lit.value));
    }

    #[test]
    fn every_example_in_the_table_parses() {
        for key in Key::ALL {
            let entry = key.entry();
            let tokens: TokenStream = format!("{} = {}", entry.name, entry.example)
                .parse()
                .unwrap();
            assert!(parse(tokens)[0].is_ok(), "{}", entry.name);
        }
    }

    #[test]
    fn a_bad_argument_does_not_hide_the_next_ones() {
        assert_eq!(
            messages(quote!(
                ttl = 3600,
                colour = foo::<A, B>(),
                lock = "yes",
                version = ""
            )),
            [
                "`ttl` takes a string literal, as in `ttl = \"1h\"`",
                "unknown argument `colour`; #[cached_activity] takes `policy`, `ttl`, `exclude`, \
                 `version`, `backend`, `namespaces`, `lock`, `lock_ttl`, `lock_wait`, `stale` and \
                 `on_error`, as in #[cached_activity(policy = \"inputs\", ttl = \"1h\")]",
                "`lock` takes `true` or `false`",
            ]
        );
        assert_eq!(
            messages(quote!(ttl "1h", exclude = (a), policy = "inputs" "x")),
            [
                "expected `=` after `ttl`",
                "`exclude` takes the names of inputs in brackets, as in `exclude = [trace_id]`",
                "expected `,`",
            ]
        );
        assert_eq!(
            messages(quote!(backend = , "ttl" = "1h")),
            [
                "`backend` takes an expression, as in `backend = &*BACKEND`",
                "expected an argument such as `ttl = \"1h\"`; the arguments are `policy`, `ttl`, \
                 `exclude`, `version`, `backend`, `namespaces`, `lock`, `lock_ttl`, `lock_wait`, \
                 `stale` and `on_error`",
            ]
        );
    }

    #[test]
    fn an_empty_attribute_has_no_arguments() {
        assert!(parse(TokenStream::new()).is_empty());
    }
}
