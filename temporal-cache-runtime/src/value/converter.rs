//! Values kept the way Temporal keeps payloads: through the worker's `DataConverter`.
//!
//! With a converter set (see [`Storage::with_data_converter`]), a result is turned into a
//! Temporal `Payload` by the converter's payload converter, then encoded by its payload codec
//! (encryption, compression, whatever the user's codec does to history), and the encoded
//! payload is stored as protobuf. A hit runs the same steps backwards. Keys never depend on
//! this: they are hashed from the inputs, not from codec output.
//!
//! [`Storage::with_data_converter`]: crate::Storage::with_data_converter

use prost::Message;
use temporalio_common::data_converters::{
    ActivitySerializationContext, DataConverter, PayloadConversionError, SerializationContext,
    SerializationContextData,
};
use temporalio_common::protos::temporal::api::common::v1::Payload;

use super::BoxFuture;
use super::envelope::DecodeError;
use crate::outcome::OutcomeCodec;

/// The context the converter is told it works in: an activity's.
fn context() -> SerializationContextData {
    SerializationContextData::Activity(ActivitySerializationContext::new())
}

/// The encoded payload of `outcome`, as protobuf bytes: `None` if it may not be stored. The
/// payload converter runs here, where the outcome is; the codec runs in the returned future,
/// which owns what it needs.
pub(crate) fn to_bytes<R>(
    converter: &DataConverter,
    codec: OutcomeCodec<R>,
    outcome: &R,
) -> Option<BoxFuture<'static, Result<Vec<u8>, PayloadConversionError>>> {
    let data = context();
    let payload = {
        let context = SerializationContext::new(&data, converter.payload_converter());
        codec.write_payload(outcome, &context)?
    };
    let encoded = payload.map(|payload| converter.codec().encode(&data, vec![payload]));
    Some(Box::pin(async move {
        match <[Payload; 1]>::try_from(encoded?.await?) {
            Ok([payload]) => Ok(payload.encode_to_vec()),
            Err(_) => Err(PayloadConversionError::WrongEncoding),
        }
    }))
}

/// The outcome stored as the protobuf bytes of an encoded payload.
pub(crate) async fn from_bytes<R>(
    converter: &DataConverter,
    codec: OutcomeCodec<R>,
    bytes: &[u8],
) -> Result<R, DecodeError> {
    let payload = Payload::decode(bytes)
        .map_err(|error| DecodeError::Payload(format!("not a Temporal Payload: {error}")))?;
    let data = context();
    let decoded = converter
        .codec()
        .decode(&data, vec![payload])
        .await
        .map_err(|error| DecodeError::Payload(format!("the payload codec refused it: {error}")))?;
    let Ok([payload]) = <[Payload; 1]>::try_from(decoded) else {
        return Err(DecodeError::Payload(
            "the payload codec did not return one payload".to_owned(),
        ));
    };
    let context = SerializationContext::new(&data, converter.payload_converter());
    codec
        .read_payload(payload, &context)
        .map_err(|error| DecodeError::Payload(error.to_string()))
}
