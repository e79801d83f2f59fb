//! The readable head of a key, `<prefix>:v2:<namespace>:<activity type>:{`: the names escaped so
//! that none of them can open or close a Redis hash tag, for the keys the builder finishes and
//! for the prefix that reaches every entry of one activity.

use std::cell::RefCell;
use std::sync::Arc;

use super::KEY_LAYOUT;

/// What the namespace part of a key reads for an entry every namespace shares. (Temporal
/// namespace names cannot be `*`, and the digest tells the two apart in any case.)
const SHARED_NAMESPACE: &str = "*";

/// The readable head every key of `activity_type` in `namespace` (`None`: the entries every
/// namespace shares) starts with, up to and including the `{` that opens the digest: so every
/// entry of the activity, whatever its inputs and `version`, and no other, starts with it.
pub(crate) fn activity_head(prefix: &str, namespace: Option<&str>, activity_type: &str) -> String {
    let shown_namespace = namespace.unwrap_or(SHARED_NAMESPACE);
    let mut head = String::with_capacity(
        prefix.len() + KEY_LAYOUT.len() + shown_namespace.len() + activity_type.len() + 6,
    );
    push_escaped(&mut head, prefix);
    for part in [":", KEY_LAYOUT, ":"] {
        head.push_str(part);
    }
    push_escaped(&mut head, shown_namespace);
    head.push(':');
    push_escaped(&mut head, activity_type);
    head.push_str(":{");
    head
}

/// [`activity_head`], shared: the head this thread made last when the names are the same. A
/// worker thread mostly runs calls of a few activities, and comparing three short names costs a
/// call less than escaping them again; sharing the head costs it no allocation either.
pub(super) fn key_head(prefix: &str, namespace: Option<&str>, activity_type: &str) -> Arc<str> {
    struct Last {
        prefix: String,
        namespace: Option<String>,
        activity_type: String,
        head: Arc<str>,
    }
    thread_local! {
        static LAST: RefCell<Option<Last>> = const { RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| {
        if let Some(last) = last
            && last.activity_type == activity_type
            && last.namespace.as_deref() == namespace
            && last.prefix == prefix
        {
            return Arc::clone(&last.head);
        }
        let head: Arc<str> = activity_head(prefix, namespace, activity_type).into();
        *last = Some(Last {
            prefix: prefix.to_owned(),
            namespace: namespace.map(str::to_owned),
            activity_type: activity_type.to_owned(),
            head: Arc::clone(&head),
        });
        head
    })
}

/// `name` as it appears in keys: see [`push_escaped`].
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn escaped(name: &str) -> String {
    let mut text = String::with_capacity(name.len());
    push_escaped(&mut text, name);
    text
}

/// Appends `name` with the characters that could start or end a Redis hash tag percent-escaped.
fn push_escaped(key: &mut String, name: &str) {
    if !name.bytes().any(|byte| matches!(byte, b'{' | b'}' | b'%')) {
        key.push_str(name);
        return;
    }
    for character in name.chars() {
        match character {
            '{' => key.push_str("%7B"),
            '}' => key.push_str("%7D"),
            '%' => key.push_str("%25"),
            other => key.push(other),
        }
    }
}
