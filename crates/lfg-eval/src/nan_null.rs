//! Serde helper: an `f64` that may be undefined (NaN) is written as `null` and `null` reads
//! back as NaN, so result structs round-trip through JSON (which has no NaN).

use serde::{Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    if x.is_nan() {
        s.serialize_none()
    } else {
        s.serialize_some(x)
    }
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}
