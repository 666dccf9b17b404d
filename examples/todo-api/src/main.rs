//! `cargo run -p todo-api`: the to-do service on `DATABASE_URL` (default
//! `sqlite://todo.db`), listening on `BIND` (default `127.0.0.1:3000`). The schema must
//! be migrated first: `cargo xtask migrate apply --app todo-api`. `RUST_LOG` sets the log
//! filter (default `todo_api=info`; `orm::sql=debug` shows every statement).

use std::process::ExitCode;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("todo_api=info")),
        )
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> Result<(), Box<dyn std::error::Error>> {
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| todo_api::DEFAULT_DATABASE_URL.into());
    let bind = std::env::var("BIND").unwrap_or_else(|_| todo_api::DEFAULT_BIND.into());
    let db = todo_api::connect(&url).await?;
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    println!(
        "todo-api on http://{} ({}, {})",
        listener.local_addr()?,
        db.backend(),
        orm::url::masked(&url)
    );
    axum::serve(listener, todo_api::app(db))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
