//! `findme ftp …`: the camera accounts of the FTP receiver (`findme watch --ftp`
//! runs it). Output shapes are a contract (README, "CLI contract").

use anyhow::Result;
use clap::Subcommand;
use findme_engine::{CameraAccount, Engine};
use serde::Serialize;

#[derive(Subcommand)]
pub enum FtpCommand {
    /// Camera accounts: one per camera body.
    #[command(subcommand)]
    Accounts(AccountsCommand),
}

#[derive(Subcommand)]
pub enum AccountsCommand {
    /// Make an account for a camera; prints its user name and generated password.
    Add {
        /// The account's name, also its user name and its folder in the library.
        name: CameraAccount,
        #[arg(long)]
        json: bool,
    },
    /// Every camera account with what it sent.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an account: the camera can no longer send (its photos stay).
    Remove { name: CameraAccount },
}

fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

pub async fn run(engine: &Engine, command: FtpCommand) -> Result<()> {
    match command {
        FtpCommand::Accounts(AccountsCommand::Add { name, json }) => {
            let account = engine.add_camera_account(name).await?;
            if json {
                return print_json(&account);
            }
            println!("user:     {}", account.user);
            println!("password: {}", account.password);
            Ok(())
        }
        FtpCommand::Accounts(AccountsCommand::List { json }) => {
            let accounts = engine.camera_accounts().await?;
            if json {
                return print_json(&accounts);
            }
            for a in &accounts {
                println!(
                    "{}  {}  received {}  failed {}{}",
                    a.user,
                    if a.connected { "connected" } else { "-" },
                    a.received,
                    a.failed,
                    a.last_error
                        .as_deref()
                        .map(|e| format!("  last failure: {e}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        FtpCommand::Accounts(AccountsCommand::Remove { name }) => {
            engine.remove_camera_account(name).await?;
            Ok(())
        }
    }
}
