//! The one table of the attribute's keys: each key's name, the syntax of its value and an example.
//!
//! Parsing reads a value with the syntax this table gives its key, validation words its errors
//! with the names and examples from here, and the "unknown argument" message lists the keys from
//! here. What was written is compared with the keys' names here only ([`Key::named`]); past
//! that point a key is a [`Key`].

use syn::Ident;

/// A key `#[cached_activity(...)]` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    Policy,
    Ttl,
    Exclude,
    Version,
    Backend,
    Namespaces,
    Lock,
    LockTtl,
    LockWait,
    Stale,
    OnError,
}

/// The syntax of a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// A string literal: `ttl = "1h"`.
    Str,
    /// `true` or `false`.
    Bool,
    /// Names in brackets: `exclude = [trace_id]`.
    Names,
    /// Any expression: `backend = &*BACKEND`.
    Expr,
}

/// What the table says about one key.
pub(crate) struct Entry {
    pub(crate) name: &'static str,
    pub(crate) syntax: Syntax,
    /// A value to show in messages, as in `ttl = "1h"`.
    pub(crate) example: &'static str,
}

impl Key {
    /// Every key, in the order the "unknown argument" message lists them.
    pub(crate) const ALL: [Self; 11] = [
        Self::Policy,
        Self::Ttl,
        Self::Exclude,
        Self::Version,
        Self::Backend,
        Self::Namespaces,
        Self::Lock,
        Self::LockTtl,
        Self::LockWait,
        Self::Stale,
        Self::OnError,
    ];

    /// The table itself.
    pub(crate) const fn entry(self) -> Entry {
        let (name, syntax, example) = match self {
            Self::Policy => ("policy", Syntax::Str, "\"inputs\""),
            Self::Ttl => ("ttl", Syntax::Str, "\"1h\""),
            Self::Exclude => ("exclude", Syntax::Names, "[trace_id]"),
            Self::Version => ("version", Syntax::Str, "\"2\""),
            Self::Backend => ("backend", Syntax::Expr, "&*BACKEND"),
            Self::Namespaces => ("namespaces", Syntax::Str, "\"shared\""),
            Self::Lock => ("lock", Syntax::Bool, "false"),
            Self::LockTtl => ("lock_ttl", Syntax::Str, "\"30s\""),
            Self::LockWait => ("lock_wait", Syntax::Str, "\"5m\""),
            Self::Stale => ("stale", Syntax::Str, "\"10m\""),
            Self::OnError => ("on_error", Syntax::Str, "\"stale\""),
        };
        Entry {
            name,
            syntax,
            example,
        }
    }

    pub(crate) const fn name(self) -> &'static str {
        self.entry().name
    }

    /// The key written as `ident`, if it is one.
    pub(crate) fn named(ident: &Ident) -> Option<Self> {
        Self::ALL.into_iter().find(|key| ident == key.name())
    }

    /// The keys for a message: "`policy`, `ttl`, ... and `lock_wait`".
    pub(crate) fn list() -> String {
        let names: Vec<String> = Self::ALL
            .iter()
            .map(|key| format!("`{}`", key.name()))
            .collect();
        match names.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::Span;

    use super::*;

    #[test]
    fn every_key_is_found_by_its_name_and_only_by_it() {
        for key in Key::ALL {
            let ident = Ident::new(key.name(), Span::call_site());
            assert_eq!(Key::named(&ident), Some(key));
        }
        assert_eq!(Key::named(&Ident::new("expiry", Span::call_site())), None);
    }

    #[test]
    fn the_list_reads_as_a_sentence() {
        assert_eq!(
            Key::list(),
            "`policy`, `ttl`, `exclude`, `version`, `backend`, `namespaces`, `lock`, `lock_ttl`, \
             `lock_wait`, `stale` and `on_error`"
        );
    }
}
