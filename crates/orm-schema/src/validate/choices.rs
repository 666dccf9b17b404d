//! The `choices` validator, shared by every value type: the value must equal one of the
//! declared literals.

use super::FieldError;
use crate::meta::{FieldMeta, Literal};

/// Code of the `choices` validator.
pub(crate) const CODE: &str = "choices";

/// Reports `choices` when the field declares choices and none satisfies `is_value`.
#[inline]
pub(crate) fn check(
    field: &FieldMeta,
    errors: &mut Vec<FieldError>,
    is_value: impl Fn(&Literal) -> bool,
) {
    let Some(choices) = field.validators.choices else {
        return;
    };
    if !choices.iter().any(is_value) {
        errors.push(FieldError::new(field, CODE, message(choices)));
    }
}

/// `value must be one of: "a", "b"`.
pub(crate) fn message(choices: &[Literal]) -> String {
    let listed: Vec<String> = choices.iter().map(ToString::to_string).collect();
    format!("value must be one of: {}", listed.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_lists_literals_as_declared() {
        let m = message(&[Literal::Str("a"), Literal::Str("b")]);
        assert_eq!(m, "value must be one of: \"a\", \"b\"");
        assert_eq!(
            message(&[Literal::Int(1), Literal::Float(2.5)]),
            "value must be one of: 1, 2.5"
        );
    }
}
