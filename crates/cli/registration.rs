//! `findme events registration E …`: guests registering themselves on the
//! event server's page, the link, its QR code and the printable card.

use std::path::PathBuf;

use anyhow::{Context, Result};
use findme_engine::{CardSize, Engine, EventId, RegistrationChangeDto, RegistrationDto};

/// The arguments of `findme events registration`.
#[derive(clap::Args)]
pub struct RegistrationArgs {
    pub id: EventId,
    /// Let guests register themselves.
    #[arg(long, conflicts_with = "close")]
    open: bool,
    /// Stop taking registrations (registered guests stay).
    #[arg(long)]
    close: bool,
    /// The event code guests type on the page ("" removes it).
    #[arg(long)]
    code: Option<String>,
    /// The short text on the guests' page (at most 500 characters).
    #[arg(long)]
    intro: Option<String>,
    /// Days the guests' data is kept after the event closes (0-365).
    #[arg(long)]
    retention_days: Option<u32>,
    /// Write the registration link's QR code to this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    qr: Option<PathBuf>,
    /// Save the printable card (a6 or a4) in the data folder and print its path.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    card: Option<CardSize>,
    #[arg(long)]
    json: bool,
}

impl RegistrationArgs {
    fn change(&self) -> Option<RegistrationChangeDto> {
        let change = RegistrationChangeDto {
            open: (self.open || self.close).then_some(self.open),
            code: self.code.clone(),
            intro: self.intro.clone(),
            retention_days: self.retention_days,
        };
        (change != RegistrationChangeDto::default()).then_some(change)
    }
}

pub async fn run(engine: &Engine, args: RegistrationArgs) -> Result<()> {
    let registration = match args.change() {
        Some(change) => engine.set_registration(&args.id, change).await?,
        None => engine.registration(&args.id).await?,
    };
    if let Some(path) = &args.qr {
        std::fs::write(path, &registration.qr_svg)
            .with_context(|| format!("cannot write the QR code to {}", path.display()))?;
    }
    let card = match args.card {
        Some(size) => Some(engine.save_registration_card(&args.id, size).await?),
        None => None,
    };
    if args.json {
        // stdout stays the registration's JSON; the card's path goes beside it.
        if let Some(card) = &card {
            eprintln!("card ({}): {}", card.size, card.path);
        }
        println!("{}", serde_json::to_string_pretty(&registration)?);
        return Ok(());
    }
    print(&registration);
    if let Some(path) = &args.qr {
        println!("QR code: {}", path.display());
    }
    if let Some(card) = card {
        println!("card ({}): {}", card.size, card.path);
    }
    Ok(())
}

fn print(r: &RegistrationDto) {
    let state = if r.open { "open" } else { "closed" };
    println!("registration: {state}");
    println!("link: {}", r.url);
    println!("registered: {}", r.registered);
    println!("code: {}", r.code.as_deref().unwrap_or("none"));
    if !r.intro.is_empty() {
        println!("text: {}", r.intro);
    }
    let matcher = match r.matcher.as_str() {
        "rekognition" => "AWS Rekognition",
        _ => "on this computer",
    };
    println!("faces matched: {matcher}");
    println!("kept {} days after the event", r.retention_days);
}

fn parse_size(name: &str) -> Result<CardSize, String> {
    CardSize::parse(name).ok_or_else(|| format!("unknown card size {name:?}: use a6 or a4"))
}
