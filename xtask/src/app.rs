//! `--app NAME`: whose models a `schema` or `migrate` command works on. `examples` (the
//! default) is the repository's example models (`orm_suite::models`); `todo-api` is the
//! example service's (`examples/todo-api`), with its own migrations directory and its
//! default database.

use orm::ModelMeta;

/// The model sets `--app` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum App {
    /// The repository's example models.
    Examples,
    /// The todo-api service's models.
    TodoApi,
}

impl App {
    /// The app of `--app NAME`.
    pub fn parse(name: &str) -> Result<App, String> {
        match name {
            "examples" => Ok(App::Examples),
            "todo-api" => Ok(App::TodoApi),
            other => Err(format!("unknown app `{other}` (known: examples, todo-api)")),
        }
    }

    /// Its models.
    pub fn models(self) -> Vec<&'static ModelMeta> {
        match self {
            App::Examples => orm_suite::models::all_models(),
            App::TodoApi => todo_api::models::models(),
        }
    }

    /// Its migrations directory when `--dir` is not given.
    pub fn default_dir(self) -> String {
        match self {
            App::Examples => "migrations".to_string(),
            App::TodoApi => todo_api::MIGRATIONS_DIR.to_string(),
        }
    }

    /// Its database URL when neither `--database-url` nor `DATABASE_URL` is given.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            App::Examples => None,
            App::TodoApi => Some(todo_api::DEFAULT_DATABASE_URL),
        }
    }

    /// `--database-url`, else `$DATABASE_URL`, else the app's default.
    pub fn url(self, given: Option<String>) -> Result<String, String> {
        given
            .or_else(|| std::env::var("DATABASE_URL").ok())
            .or_else(|| self.default_url().map(String::from))
            .ok_or_else(|| "no --database-url given and DATABASE_URL is not set".to_string())
    }
}

/// Takes `--app NAME` out of `args`; the rest in order.
pub fn take_app(args: &[String]) -> Result<(App, Vec<String>), String> {
    let mut app = App::Examples;
    let mut rest = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if arg == "--app" {
            app = App::parse(it.next().ok_or("--app needs a name")?)?;
        } else {
            rest.push(arg.clone());
        }
    }
    Ok((app, rest))
}
