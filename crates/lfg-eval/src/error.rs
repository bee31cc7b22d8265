//! Typed errors of the evaluation crate.

/// Why a metric could not be computed. Every variant names the argument at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    /// Two parallel slices have different lengths.
    #[error("length mismatch: `{what}` has {found} values but `{reference}` has {expected}")]
    LengthMismatch {
        /// The argument with the unexpected length.
        what: &'static str,
        /// The argument it is compared with.
        reference: &'static str,
        /// Length of `reference`.
        expected: usize,
        /// Length of `what`.
        found: usize,
    },
    /// An argument that must hold at least one value is empty.
    #[error("`{what}` is empty: at least {min} value(s) are needed")]
    Empty {
        /// The empty argument.
        what: &'static str,
        /// How many values are needed.
        min: usize,
    },
    /// A value is NaN or infinite.
    #[error("`{what}[{index}]` is not finite ({value})")]
    NonFinite {
        /// The argument holding the value.
        what: &'static str,
        /// Position of the value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// An index (user or item) is outside the declared index space.
    #[error("`{what}[{index}]` = {value} is out of range (must be < {bound})")]
    OutOfRange {
        /// The argument holding the index.
        what: &'static str,
        /// Position of the index.
        index: usize,
        /// The index itself.
        value: u64,
        /// The exclusive upper bound.
        bound: u64,
    },
    /// A parameter has an invalid value.
    #[error("invalid parameter `{name}` = {value}: {reason}")]
    InvalidParameter {
        /// The parameter name (kebab-case, as in experiment files).
        name: &'static str,
        /// The offending value, formatted.
        value: String,
        /// What is allowed.
        reason: &'static str,
    },
}

pub(crate) fn check_len(
    what: &'static str,
    found: usize,
    reference: &'static str,
    expected: usize,
) -> Result<(), EvalError> {
    if found == expected {
        Ok(())
    } else {
        Err(EvalError::LengthMismatch {
            what,
            reference,
            expected,
            found,
        })
    }
}

pub(crate) fn check_finite_f32(what: &'static str, xs: &[f32]) -> Result<(), EvalError> {
    match xs.iter().position(|x| !x.is_finite()) {
        None => Ok(()),
        Some(index) => Err(EvalError::NonFinite {
            what,
            index,
            value: f64::from(xs[index]),
        }),
    }
}

pub(crate) fn check_below(what: &'static str, xs: &[u32], bound: usize) -> Result<(), EvalError> {
    match xs.iter().position(|&x| x as usize >= bound) {
        None => Ok(()),
        Some(index) => Err(EvalError::OutOfRange {
            what,
            index,
            value: u64::from(xs[index]),
            bound: bound as u64,
        }),
    }
}
