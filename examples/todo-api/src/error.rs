//! The service's errors as HTTP responses: a status and a JSON body that names the
//! problem. Every rejection of a request (bad JSON, a bad path or query, a refused write)
//! becomes one of these; only a failure of the database or the service itself is a 5xx.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use orm::{ModelMeta, NameError};
use serde_json::{json, Value};

use crate::models::models;

/// An error answer: its status and its JSON body, which always has `error` (a stable
/// code) and `message` (a sentence).
#[derive(Debug)]
pub struct ApiError {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Value,
}

impl ApiError {
    /// An answer with `error` = `code` and `message` = `message`.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: json!({ "error": code, "message": message.into() }),
        }
    }

    /// The same answer with `key` = `value` added to its body.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> ApiError {
        if let Value::Object(map) = &mut self.body {
            map.insert(key.to_string(), value.into());
        }
        self
    }

    /// 400: a query-string parameter that is not allowed or not understood, naming it.
    pub fn bad_query(parameter: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_query", message).with("parameter", parameter)
    }

    /// 404: no `model` with this id.
    pub fn not_found(model: &str, id: i64) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no {model} with id {id}"),
        )
    }

    /// 422: one entry per bad field, each with its code and message.
    pub fn invalid(fields: Vec<Value>) -> ApiError {
        let n = fields.len();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            format!("{n} invalid field(s)"),
        )
        .with("fields", fields)
    }

    /// 422 for one field.
    pub fn invalid_field(field: &str, code: &str, message: &str) -> ApiError {
        ApiError::invalid(vec![
            json!({ "field": field, "code": code, "message": message }),
        ])
    }
}

impl From<orm::ValidationError> for ApiError {
    /// 422 with one entry per bad field.
    fn from(invalid: orm::ValidationError) -> ApiError {
        ApiError::invalid(field_errors("", &invalid))
    }
}

impl From<orm::Error> for ApiError {
    /// The statuses the README lists: 404 no row, 422 validation, 409 a unique violation
    /// naming the field, 400 a bad name, 503 no connection free; anything else is a 500
    /// whose detail goes to the log, not to the client.
    fn from(e: orm::Error) -> ApiError {
        match e {
            orm::Error::NoMatch { model } => ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                format!("no such {model}"),
            ),
            orm::Error::Validation(invalid) => invalid.into(),
            orm::Error::UniqueViolation(info) => {
                let field = unique_field(&info);
                let message = match field {
                    Some((model, f)) => format!("a {} with this {f} already exists", model.name),
                    None => "a row like this already exists".to_string(),
                };
                let field = field.map(|(_, f)| f);
                ApiError::new(StatusCode::CONFLICT, "conflict", message).with("field", field)
            }
            orm::Error::Name(e) => name_error(e),
            e if e.is_retryable() => {
                tracing::warn!(error = %e, "retryable database error");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "retry",
                    "the database asked to run the request again (a deadlock or a busy database)",
                )
            }
            orm::Error::PoolTimeout { .. } => ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "no database connection became free in time; try again",
            ),
            other => {
                tracing::error!(error = %other, "database error");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the request failed on the server",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

/// The validation error's entries as JSON, each field name prefixed with `prefix`
/// (`items[2].` for the items of a new list).
pub fn field_errors(prefix: &str, invalid: &orm::ValidationError) -> Vec<Value> {
    invalid
        .errors()
        .iter()
        .map(|e| {
            json!({
                "field": format!("{prefix}{}", e.field),
                "code": e.code,
                "message": e.message,
            })
        })
        .collect()
}

/// 400 for a by-name filter, ordering or cursor orm refused; the body names the field
/// where the error has one.
pub fn name_error(e: NameError) -> ApiError {
    let field = match &e {
        NameError::UnknownField { field, .. } => Some(field.clone()),
        NameError::UnknownLookup { field, .. } | NameError::InvalidValue { field, .. } => {
            Some(field.to_string())
        }
        NameError::Keyset { field, .. } => Some(field.clone()),
        _ => None,
    };
    ApiError::new(StatusCode::BAD_REQUEST, "bad_query", e.to_string()).with("field", field)
}

/// The model and field a unique violation is about, as orm resolves it from what the
/// server named (the column, or orm's name for the constraint).
fn unique_field(info: &orm::ConstraintInfo) -> Option<(&'static ModelMeta, &'static str)> {
    models()
        .into_iter()
        .find_map(|model| match info.fields(model).as_slice() {
            [field] => Some((model, *field)),
            _ => None,
        })
}
