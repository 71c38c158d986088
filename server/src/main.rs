//! The `jotpass` binary: see [`jotpass_server::cli`].

#[tokio::main]
async fn main() -> std::process::ExitCode {
    jotpass_server::cli::run(std::env::args_os()).await
}
