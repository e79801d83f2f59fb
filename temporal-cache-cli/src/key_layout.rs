//! Reading a cache key back into its parts (namespace, activity type, entry or lease), and the
//! prefixes the commands scan, all derived from the backend's own `activity_prefix`, so the tool
//! follows the runtime's key layout (`<prefix>:v2:<namespace>:<activity type>:{<digest>}`)
//! rather than restating it.

use serde::Serialize;
use temporal_cache_runtime::RedisCacheBackend;

/// What the namespace part of a key reads for entries every namespace shares.
pub(crate) const SHARED_NAMESPACE: &str = "*";

/// What ends the key of a running call's lease, after its entry's key.
const LEASE_SUFFIX: &str = ":lease";

/// The heads of the keys of one backend.
#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    /// `<prefix>:`: every key the cache writes starts with it.
    prefix_head: String,
    /// `<prefix>:v2:`: every key of the current layout starts with it.
    layout_head: String,
}

/// The parts of one key of the current layout.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub(crate) struct KeyScope {
    /// The Temporal namespace, or `*` for entries all namespaces share.
    pub(crate) namespace: String,
    /// The registered activity type.
    pub(crate) activity_type: String,
}

/// What one key is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum KeyKind {
    /// A stored result.
    Entry(KeyScope),
    /// The lease of a call running now.
    Lease(KeyScope),
    /// Under the prefix, but not of this layout (another layout version, or not the cache's).
    Other,
}

impl KeyLayout {
    /// The layout of `backend`'s keys (its prefix escaped as its keys escape it).
    pub(crate) fn of(backend: &RedisCacheBackend) -> Self {
        // `<prefix>:v2:` + `` + `:` + `` + `:{`
        let probe = backend.activity_prefix(Some(""), "");
        let layout_head = probe
            .strip_suffix("::{")
            .expect("an activity prefix ends with `:<namespace>:<activity type>:{`")
            .to_owned();
        let version_start = layout_head[..layout_head.len() - 1]
            .rfind(':')
            .expect("the layout head is `<prefix>:<version>:`")
            + 1;
        Self {
            prefix_head: layout_head[..version_start].to_owned(),
            layout_head,
        }
    }

    /// What every key under the prefix starts with, of any layout.
    pub(crate) fn prefix_head(&self) -> &str {
        &self.prefix_head
    }

    /// What every key of `namespace` starts with (`None`: the entries all namespaces share).
    pub(crate) fn namespace_head(backend: &RedisCacheBackend, namespace: Option<&str>) -> String {
        let mut head = backend.activity_prefix(namespace, "");
        // `<prefix>:v2:<namespace>:` + `` + `:{`
        head.truncate(head.len() - ":{".len());
        head
    }

    /// What `key` is.
    pub(crate) fn kind(&self, key: &str) -> KeyKind {
        let Some(rest) = key.strip_prefix(&self.layout_head) else {
            return KeyKind::Other;
        };
        let (rest, lease) = match rest.strip_suffix(LEASE_SUFFIX) {
            Some(entry) => (entry, true),
            None => (rest, false),
        };
        // Names escape their braces, so the first `{` opens the digest.
        let Some((names, digest)) = rest.split_once('{') else {
            return KeyKind::Other;
        };
        let Some((namespace, activity_type)) = names
            .strip_suffix(':')
            .and_then(|names| names.split_once(':'))
        else {
            return KeyKind::Other;
        };
        let well_formed = digest
            .strip_suffix('}')
            .is_some_and(|hex| !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()));
        if !well_formed {
            return KeyKind::Other;
        }
        let scope = KeyScope {
            namespace: unescaped(namespace),
            activity_type: unescaped(activity_type),
        };
        if lease {
            KeyKind::Lease(scope)
        } else {
            KeyKind::Entry(scope)
        }
    }
}

/// A name as it was given, from its escaped form in a key.
fn unescaped(name: &str) -> String {
    name.replace("%7B", "{")
        .replace("%7D", "}")
        .replace("%25", "%")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(prefix: &str) -> KeyLayout {
        KeyLayout::of(
            &RedisCacheBackend::new("redis://127.0.0.1:1")
                .unwrap()
                .with_prefix(prefix),
        )
    }

    const DIGEST: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn reads_entries_and_leases_back_into_their_scope() {
        let layout = layout("temporal-cache");
        assert_eq!(layout.prefix_head(), "temporal-cache:");
        let scope = KeyScope {
            namespace: "default".to_owned(),
            activity_type: "Users::fetch".to_owned(),
        };
        let key = format!("temporal-cache:v2:default:Users::fetch:{{{DIGEST}}}");
        assert_eq!(layout.kind(&key), KeyKind::Entry(scope.clone()));
        assert_eq!(layout.kind(&format!("{key}:lease")), KeyKind::Lease(scope));
        assert_eq!(
            layout.kind("temporal-cache:v1:Users::fetch:{ab}"),
            KeyKind::Other
        );
        assert_eq!(
            layout.kind("temporal-cache:v2:default:x:{zz}"),
            KeyKind::Other
        );
    }

    #[test]
    fn follows_the_runtime_escaping_of_names() {
        let layout = layout("a{b}:c");
        assert_eq!(layout.prefix_head(), "a%7Bb%7D:c:");
        let backend = RedisCacheBackend::new("redis://127.0.0.1:1")
            .unwrap()
            .with_prefix("a{b}:c");
        assert_eq!(
            KeyLayout::namespace_head(&backend, Some("n{1}")),
            "a%7Bb%7D:c:v2:n%7B1%7D:"
        );
        assert_eq!(
            KeyLayout::namespace_head(&backend, None),
            "a%7Bb%7D:c:v2:*:"
        );
        let head = backend.activity_prefix(Some("n%"), "T{x}");
        assert_eq!(
            layout.kind(&format!("{head}{DIGEST}}}")),
            KeyKind::Entry(KeyScope {
                namespace: "n%".to_owned(),
                activity_type: "T{x}".to_owned(),
            })
        );
        let shared = backend.activity_prefix(None, "T");
        assert!(matches!(
            layout.kind(&format!("{shared}{DIGEST}}}")),
            KeyKind::Entry(scope) if scope.namespace == SHARED_NAMESPACE
        ));
    }
}
