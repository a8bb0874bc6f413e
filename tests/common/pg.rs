//! A fresh PostgreSQL database per test (set VIGIE_TEST_POSTGRES to point elsewhere).

fn admin_url() -> String {
    std::env::var("VIGIE_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// A database created for one test, dropped by [`PgDb::drop_db`].
pub struct PgDb {
    pub url: String,
    name: String,
}

impl PgDb {
    pub async fn new() -> PgDb {
        use sqlx::Connection;
        let name = format!(
            "vigie_test_{}_{}",
            std::process::id(),
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) % 1_000_000_000_000
        );
        let mut admin = sqlx::PgConnection::connect(&admin_url())
            .await
            .expect("PostgreSQL must run at 127.0.0.1:5432 (or set VIGIE_TEST_POSTGRES)");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .unwrap();
        let base = admin_url();
        let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
        PgDb { url, name }
    }

    pub async fn drop_db(self) {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&admin_url()).await.unwrap();
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&mut admin)
        .await;
    }
}
