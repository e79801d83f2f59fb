//! A canonical, type-aware encoding of serde values, streamed into a blake3 hasher (see
//! [`BufferedHasher`]).
//!
//! Two inputs hash alike exactly when they are structurally equal: every value carries a tag for
//! its kind (so `1`, `1.0`, `"1"`, `[1]` and `(1,)` all differ), every variable-length part is
//! length-prefixed, and containers whose order means nothing (maps, and sets) are hashed as the
//! sorted digests of their entries, so insertion and iteration order cannot change the result.
//!
//! Names of types are left out on purpose (renaming a struct does not retire its cache entries);
//! names of fields and enum variants are kept, since they carry meaning.

use std::fmt;

use serde::ser::{self, Serialize};

use super::buffered::BufferedHasher;

/// Why a value could not be encoded: its `Serialize` implementation reported an error.
#[derive(Debug)]
pub(crate) struct EncodeError(String);

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EncodeError {}

impl ser::Error for EncodeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

mod tag {
    pub(super) const UNIT: u8 = 0x01;
    pub(super) const BOOL: u8 = 0x02;
    pub(super) const INT: u8 = 0x03;
    pub(super) const BIG_UINT: u8 = 0x04;
    pub(super) const FLOAT: u8 = 0x05;
    pub(super) const CHAR: u8 = 0x06;
    pub(super) const STR: u8 = 0x07;
    pub(super) const BYTES: u8 = 0x08;
    pub(super) const NONE: u8 = 0x09;
    pub(super) const SOME: u8 = 0x0a;
    pub(super) const UNIT_STRUCT: u8 = 0x0b;
    pub(super) const UNIT_VARIANT: u8 = 0x0c;
    pub(super) const NEWTYPE_STRUCT: u8 = 0x0d;
    pub(super) const NEWTYPE_VARIANT: u8 = 0x0e;
    pub(super) const SEQ: u8 = 0x0f;
    pub(super) const TUPLE: u8 = 0x10;
    pub(super) const TUPLE_STRUCT: u8 = 0x11;
    pub(super) const TUPLE_VARIANT: u8 = 0x12;
    pub(super) const MAP: u8 = 0x13;
    pub(super) const STRUCT: u8 = 0x14;
    pub(super) const STRUCT_VARIANT: u8 = 0x15;
    pub(super) const SET: u8 = 0x16;
    /// Closes a sequence whose length was not known up front; followed by the element count.
    pub(super) const END: u8 = 0xff;
}

/// Streams the canonical encoding of values into a blake3 hasher.
pub(crate) struct Encoder {
    hasher: BufferedHasher,
}

impl Encoder {
    pub(crate) fn new(hasher: BufferedHasher) -> Self {
        Self { hasher }
    }

    pub(crate) fn hasher_mut(&mut self) -> &mut BufferedHasher {
        &mut self.hasher
    }

    pub(crate) fn into_hasher(self) -> BufferedHasher {
        self.hasher
    }

    pub(crate) fn encode<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        value.serialize(self)
    }

    fn byte(&mut self, byte: u8) {
        self.hasher.update(&[byte]);
    }

    fn len(&mut self, len: usize) {
        self.hasher.update(&(len as u64).to_le_bytes());
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.len(bytes.len());
        self.hasher.update(bytes);
    }

    fn int(&mut self, value: i128) {
        self.byte(tag::INT);
        self.hasher.update(&value.to_le_bytes());
    }

    /// The digest of one value encoded on its own: the unit that unordered containers sort.
    fn digest_of<T: Serialize + ?Sized>(value: &T) -> Result<[u8; 32], EncodeError> {
        let mut encoder = Encoder::new(BufferedHasher::new(None));
        value.serialize(&mut encoder)?;
        Ok(*encoder.hasher.finalize().as_bytes())
    }

    fn unordered(&mut self, kind: u8, mut digests: Vec<[u8; 32]>) {
        digests.sort_unstable();
        self.byte(kind);
        self.len(digests.len());
        for digest in &digests {
            self.hasher.update(digest);
        }
    }
}

/// Whether a collection that serde hands to `collect_seq` is a set, whose order means nothing.
///
/// serde serializes sets and sequences the same way, so the only thing that tells them apart is
/// the collection's type. `type_name` is documented as best effort; if a future compiler spelled
/// it differently, sets would be hashed in iteration order: a possible miss, never a wrong hit.
fn is_set<I>() -> bool {
    let name = std::any::type_name::<I>();
    let outer = name
        .trim_start_matches('&')
        .trim_start_matches("mut ")
        .split('<')
        .next()
        .unwrap_or("");
    let base = outer.rsplit("::").next().unwrap_or(outer);
    base.ends_with("Set")
}

impl<'a> ser::Serializer for &'a mut Encoder {
    type Ok = ();
    type Error = EncodeError;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = Seq<'a>;
    type SerializeStructVariant = Seq<'a>;

    fn serialize_bool(self, v: bool) -> Result<(), EncodeError> {
        self.byte(tag::BOOL);
        self.byte(u8::from(v));
        Ok(())
    }

    fn serialize_i8(self, v: i8) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i16(self, v: i16) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i32(self, v: i32) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i64(self, v: i64) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<(), EncodeError> {
        self.int(v);
        Ok(())
    }

    fn serialize_u8(self, v: u8) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u16(self, v: u16) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u32(self, v: u32) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u64(self, v: u64) -> Result<(), EncodeError> {
        self.int(v.into());
        Ok(())
    }

    fn serialize_u128(self, v: u128) -> Result<(), EncodeError> {
        match i128::try_from(v) {
            Ok(v) => self.int(v),
            Err(_) => {
                self.byte(tag::BIG_UINT);
                self.hasher.update(&v.to_le_bytes());
            }
        }
        Ok(())
    }

    fn serialize_f32(self, v: f32) -> Result<(), EncodeError> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<(), EncodeError> {
        // By the exact bits: an activity can tell `0.0` from `-0.0` (`1.0 / x`, and Temporal's
        // JSON payloads keep the sign), so they are different inputs; so are NaNs of different
        // bits. Two inputs share a key only when the activity could not tell them apart.
        self.byte(tag::FLOAT);
        self.hasher.update(&v.to_bits().to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), EncodeError> {
        self.byte(tag::CHAR);
        self.hasher.update(&u32::from(v).to_le_bytes());
        Ok(())
    }

    fn serialize_str(self, v: &str) -> Result<(), EncodeError> {
        self.byte(tag::STR);
        self.bytes(v.as_bytes());
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), EncodeError> {
        self.byte(tag::BYTES);
        self.bytes(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), EncodeError> {
        self.byte(tag::NONE);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), EncodeError> {
        self.byte(tag::SOME);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), EncodeError> {
        self.byte(tag::UNIT);
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), EncodeError> {
        self.byte(tag::UNIT_STRUCT);
        Ok(())
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<(), EncodeError> {
        self.byte(tag::UNIT_VARIANT);
        self.bytes(variant.as_bytes());
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.byte(tag::NEWTYPE_STRUCT);
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.byte(tag::NEWTYPE_VARIANT);
        self.bytes(variant.as_bytes());
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::SEQ);
        Ok(Seq::new(self))
    }

    fn serialize_tuple(self, len: usize) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::TUPLE);
        self.len(len);
        Ok(Seq::new(self))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::TUPLE_STRUCT);
        self.len(len);
        Ok(Seq::new(self))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::TUPLE_VARIANT);
        self.bytes(variant.as_bytes());
        self.len(len);
        Ok(Seq::new(self))
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Map<'a>, EncodeError> {
        Ok(Map {
            encoder: self,
            entries: Vec::with_capacity(len.unwrap_or(0)),
            pending_key: None,
        })
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::STRUCT);
        Ok(Seq::new(self))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Seq<'a>, EncodeError> {
        self.byte(tag::STRUCT_VARIANT);
        self.bytes(variant.as_bytes());
        Ok(Seq::new(self))
    }

    fn collect_seq<I>(self, iter: I) -> Result<(), EncodeError>
    where
        I: IntoIterator,
        I::Item: Serialize,
    {
        if is_set::<I>() {
            let digests = iter
                .into_iter()
                .map(|item| Encoder::digest_of(&item))
                .collect::<Result<Vec<_>, _>>()?;
            self.unordered(tag::SET, digests);
            Ok(())
        } else {
            let mut seq = ser::Serializer::serialize_seq(self, None)?;
            for item in iter {
                ser::SerializeSeq::serialize_element(&mut seq, &item)?;
            }
            ser::SerializeSeq::end(seq)
        }
    }

    fn is_human_readable(&self) -> bool {
        // Types with two forms (addresses, timestamps, ...) pick the compact one; either would be
        // canonical, the compact one is cheaper to hash.
        false
    }
}

/// Sequences, tuples and structs: elements (and field names) in the order given, then a closing
/// count, so that no encoding is a prefix of another.
pub(crate) struct Seq<'a> {
    encoder: &'a mut Encoder,
    count: usize,
}

impl<'a> Seq<'a> {
    fn new(encoder: &'a mut Encoder) -> Self {
        Self { encoder, count: 0 }
    }

    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.count += 1;
        value.serialize(&mut *self.encoder)
    }

    fn field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.count += 1;
        self.encoder.bytes(name.as_bytes());
        value.serialize(&mut *self.encoder)
    }

    fn finish(self) -> Result<(), EncodeError> {
        self.encoder.byte(tag::END);
        self.encoder.len(self.count);
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        self.element(value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

impl ser::SerializeStruct for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.field(name, value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

impl ser::SerializeStructVariant for Seq<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), EncodeError> {
        self.field(name, value)
    }

    fn end(self) -> Result<(), EncodeError> {
        self.finish()
    }
}

/// Maps: each entry is hashed on its own and the sorted entry digests are hashed in turn.
pub(crate) struct Map<'a> {
    encoder: &'a mut Encoder,
    entries: Vec<[u8; 32]>,
    pending_key: Option<Encoder>,
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = EncodeError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), EncodeError> {
        let mut entry = Encoder::new(BufferedHasher::new(None));
        key.serialize(&mut entry)?;
        self.pending_key = Some(entry);
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), EncodeError> {
        let mut entry = self
            .pending_key
            .take()
            .ok_or_else(|| EncodeError("map value serialized before its key".to_owned()))?;
        value.serialize(&mut entry)?;
        self.entries.push(*entry.hasher.finalize().as_bytes());
        Ok(())
    }

    fn end(self) -> Result<(), EncodeError> {
        if self.pending_key.is_some() {
            return Err(EncodeError("map key serialized without a value".to_owned()));
        }
        self.encoder.unordered(tag::MAP, self.entries);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

    use serde::Serialize;

    use super::*;

    fn digest<T: Serialize + ?Sized>(value: &T) -> [u8; 32] {
        Encoder::digest_of(value).expect("encodable")
    }

    #[test]
    fn kinds_never_collide() {
        let all = [
            digest(&1u64),
            digest(&1.0f64),
            digest("1"),
            digest(&'1'),
            digest(&true),
            digest(&vec![1u64]),
            digest(&(1u64,)),
            digest(&[1u64]),
            digest(&Some(1u64)),
            digest(&Option::<u64>::None),
            digest(&()),
            digest(&Vec::<u64>::new()),
            digest(&BTreeMap::<u64, u64>::new()),
            digest(&HashSet::<u64>::new()),
        ];
        for (i, a) in all.iter().enumerate() {
            for (j, b) in all.iter().enumerate() {
                if i != j && !(i == 6 && j == 7 || i == 7 && j == 6) {
                    assert_ne!(a, b, "values {i} and {j} collide");
                }
            }
        }
        // A fixed-size array serializes as a tuple in serde, exactly like a tuple of the same
        // elements: they are the same value for caching purposes.
        assert_eq!(digest(&(1u64,)), digest(&[1u64]));
    }

    #[test]
    fn integers_hash_by_value_not_width() {
        assert_eq!(digest(&7u8), digest(&7i64));
        assert_eq!(digest(&7u128), digest(&7i32));
        assert_ne!(digest(&u128::MAX), digest(&-1i128));
        assert_ne!(digest(&7u8), digest(&8u8));
    }

    #[test]
    fn json_payloads_keep_the_sign_of_zero() {
        // So an activity can receive `-0.0`, and must not be served the result of `0.0`.
        let received: f64 =
            serde_json::from_str(&serde_json::to_string(&-0.0f64).unwrap()).unwrap();
        assert!(received == 0.0 && received.is_sign_negative());
    }

    #[test]
    fn floats_hash_by_their_bits() {
        assert_ne!(digest(&0.0f64), digest(&-0.0f64));
        assert_ne!(digest(&0.0f32), digest(&-0.0f32));
        assert_ne!(digest(&f64::NAN), digest(&-f64::NAN));
        assert_eq!(digest(&f64::NAN), digest(&f64::NAN));
        assert_eq!(digest(&1.5f32), digest(&1.5f64));
        assert_ne!(digest(&1.5f64), digest(&2.5f64));
    }

    #[test]
    fn maps_ignore_insertion_order() {
        let mut a = HashMap::new();
        let mut b = HashMap::new();
        for i in 0..200u32 {
            a.insert(i.to_string(), i);
        }
        for i in (0..200u32).rev() {
            b.insert(i.to_string(), i);
        }
        assert_eq!(digest(&a), digest(&b));
        let sorted: BTreeMap<_, _> = a.clone().into_iter().collect();
        assert_eq!(digest(&a), digest(&sorted));
        b.insert("extra".to_owned(), 0);
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn map_keys_keep_their_kind() {
        let ints: BTreeMap<u32, u32> = [(1, 1)].into();
        let strings: BTreeMap<String, u32> = [("1".to_owned(), 1)].into();
        let floats: BTreeMap<String, f64> = [("1".to_owned(), 1.0)].into();
        assert_ne!(digest(&ints), digest(&strings));
        assert_ne!(digest(&strings), digest(&floats));
    }

    #[test]
    fn map_entries_keep_key_and_value_together() {
        let a: BTreeMap<u32, u32> = [(1, 2), (3, 4)].into();
        let b: BTreeMap<u32, u32> = [(1, 4), (3, 2)].into();
        assert_ne!(digest(&a), digest(&b));
    }

    #[test]
    fn sets_ignore_iteration_order_but_stay_apart_from_sequences() {
        let words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"];
        let a: HashSet<&str> = words.iter().copied().collect();
        let b: HashSet<&str> = words.iter().rev().copied().collect();
        let sorted: BTreeSet<&str> = words.iter().copied().collect();
        assert_eq!(digest(&a), digest(&b));
        assert_eq!(digest(&a), digest(&sorted));
        let as_vec: Vec<&str> = sorted.iter().copied().collect();
        assert_ne!(digest(&sorted), digest(&as_vec));
        // A vector of sets is a sequence (order matters) of sets (order does not).
        let nested_a = vec![a.clone(), HashSet::new()];
        let nested_b = vec![b.clone(), HashSet::new()];
        let swapped = vec![HashSet::new(), b];
        assert_eq!(digest(&nested_a), digest(&nested_b));
        assert_ne!(digest(&nested_a), digest(&swapped));
    }

    #[test]
    fn sequences_keep_order_and_boundaries() {
        assert_ne!(digest(&vec![1u8, 2]), digest(&vec![2u8, 1]));
        assert_ne!(
            digest(&(vec![1u8], vec![2u8, 3])),
            digest(&(vec![1u8, 2], vec![3u8]))
        );
        assert_ne!(digest(&("ab", "c")), digest(&("a", "bc")));
        assert_ne!(
            digest(&vec![Vec::<u8>::new()]),
            digest(&Vec::<Vec<u8>>::new())
        );
    }

    #[derive(Serialize)]
    struct Point {
        x: i32,
        y: i32,
    }

    #[derive(Serialize)]
    struct Swapped {
        y: i32,
        x: i32,
    }

    #[derive(Serialize)]
    enum Shape {
        Circle(u32),
        Square(u32),
        Empty,
        Nothing,
    }

    #[test]
    fn structs_and_enums_hash_by_field_and_variant_names() {
        assert_ne!(digest(&Point { x: 1, y: 2 }), digest(&Point { x: 2, y: 1 }));
        assert_ne!(
            digest(&Point { x: 1, y: 2 }),
            digest(&Swapped { y: 1, x: 2 })
        );
        assert_ne!(digest(&Shape::Circle(1)), digest(&Shape::Square(1)));
        assert_ne!(digest(&Shape::Empty), digest(&Shape::Nothing));
        assert_eq!(digest(&Shape::Circle(3)), digest(&Shape::Circle(3)));
    }

    #[test]
    fn set_detection_looks_at_the_outer_type_only() {
        assert!(is_set::<&HashSet<u8>>());
        assert!(is_set::<&BTreeSet<Vec<u8>>>());
        assert!(!is_set::<&Vec<HashSet<u8>>>());
        assert!(!is_set::<&[u8]>());
        assert!(!is_set::<&HashMap<u8, HashSet<u8>>>());
    }

    mod properties {
        use std::collections::{BTreeMap, HashMap, HashSet};

        use proptest::prelude::*;
        use serde::Serialize;

        use super::digest;

        /// A value of any shape serde knows, to hash.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        enum Value {
            Unit,
            Bool(bool),
            Int(i64),
            Text(String),
            Bytes(#[serde(with = "serde_bytes_like")] Vec<u8>),
            Maybe(Option<Box<Value>>),
            List(Vec<Value>),
            Pair(Box<(Value, Value)>),
            Record { name: String, inner: Box<Value> },
            Map(BTreeMap<String, Value>),
        }

        mod serde_bytes_like {
            pub(super) fn serialize<S: serde::Serializer>(
                bytes: &[u8],
                serializer: S,
            ) -> Result<S::Ok, S::Error> {
                serializer.serialize_bytes(bytes)
            }
        }

        fn value() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Unit),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::Int),
                ".{0,8}".prop_map(Value::Text),
                prop::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
            ];
            leaf.prop_recursive(4, 32, 4, |inner| {
                prop_oneof![
                    prop::option::of(inner.clone().prop_map(Box::new)).prop_map(Value::Maybe),
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
                    (inner.clone(), inner.clone()).prop_map(|pair| Value::Pair(Box::new(pair))),
                    (".{0,4}", inner.clone()).prop_map(|(name, inner)| Value::Record {
                        name,
                        inner: Box::new(inner)
                    }),
                    prop::collection::btree_map(".{0,4}", inner, 0..4).prop_map(Value::Map),
                ]
            })
        }

        proptest! {
            #[test]
            fn equal_values_hash_alike_and_different_values_apart(a in value(), b in value()) {
                prop_assert_eq!(digest(&a), digest(&a.clone()));
                prop_assert_eq!(a == b, digest(&a) == digest(&b), "{:?} vs {:?}", a, b);
            }

            #[test]
            fn maps_and_sets_hash_alike_in_any_insertion_order(
                entries in prop::collection::hash_map(".{0,6}", any::<i32>(), 0..24)
                    .prop_map(|map| map.into_iter().collect::<Vec<_>>())
                    .prop_shuffle(),
                seed in any::<u64>(),
            ) {
                let forward: HashMap<String, i32> = entries.iter().cloned().collect();
                let mut reordered = entries.clone();
                let len = reordered.len().max(1);
                reordered.rotate_left(usize::try_from(seed).unwrap_or(0) % len);
                reordered.reverse();
                let backward: HashMap<String, i32> = reordered.into_iter().collect();
                let sorted: BTreeMap<String, i32> = entries.iter().cloned().collect();
                prop_assert_eq!(digest(&forward), digest(&backward));
                prop_assert_eq!(digest(&forward), digest(&sorted));

                let keys: HashSet<&String> = entries.iter().map(|(key, _)| key).collect();
                let keys_backward: HashSet<&String> = entries.iter().rev().map(|(key, _)| key).collect();
                prop_assert_eq!(digest(&keys), digest(&keys_backward));
            }

            #[test]
            fn floats_share_a_key_only_when_the_activity_sees_the_same_value(
                a in any::<f64>(),
                b in any::<f64>(),
            ) {
                prop_assert_eq!(digest(&a) == digest(&b), a.to_bits() == b.to_bits());
                prop_assert_ne!(digest(&a), digest(&-a));
            }

            #[test]
            fn kinds_stay_apart(n in any::<i64>(), text in ".{0,8}") {
                prop_assert_ne!(digest(&n), digest(&n.to_string()));
                prop_assert_ne!(digest(&n), digest(&(n as f64)));
                prop_assert_ne!(digest(&(n,)), digest(&vec![n]));
                prop_assert_ne!(digest(&Some(n)), digest(&n));
                prop_assert_ne!(digest(&text), digest(text.as_bytes()));
                prop_assert_ne!(digest(&vec![text.clone()]), digest(&[text.clone()].into_iter().collect::<HashSet<_>>()));
            }
        }
    }
}
