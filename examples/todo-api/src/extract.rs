//! axum's extractors, with their rejections turned into [`ApiError`]s: a JSON body, an id
//! in the path, the query string's pairs. axum rejects with plain text; an API client
//! gets JSON naming the problem instead, with axum's status (400 malformed JSON, 422 a
//! wrong type or a missing field, 413 a body over the limit, 415 no JSON content type).

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON request body of type `T`.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(body_error(rejection)),
        }
    }
}

/// The error answer for a body axum's `Json` refused, keeping axum's status.
fn body_error(rejection: JsonRejection) -> ApiError {
    let code = match &rejection {
        JsonRejection::JsonDataError(_) => "bad_field",
        JsonRejection::JsonSyntaxError(_) => "malformed_json",
        JsonRejection::MissingJsonContentType(_) => "not_json",
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        _ => "bad_body",
    };
    ApiError::new(rejection.status(), code, rejection.body_text())
}

/// The numeric id of a route's `{id}`; anything else is a 400 naming it.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "bad_path", r.body_text()))?;
        raw.parse().map(Id).map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_path",
                format!("the id must be a number, not {raw:?}"),
            )
            .with("parameter", "id")
        })
    }
}

/// The query string's `name=value` pairs, in order (a name may repeat).
#[derive(Debug, Clone, Default)]
pub struct QueryPairs(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let Query(pairs) = Query::<Vec<(String, String)>>::from_request_parts(parts, state)
            .await
            .map_err(|r| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", r.body_text()))?;
        Ok(QueryPairs(pairs))
    }
}
