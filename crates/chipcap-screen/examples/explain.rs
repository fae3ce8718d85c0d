//! Print the score explanation of two names as JSON.
//!
//! ```text
//! cargo run -p chipcap-screen --example explain -- "Harrowfield Bearings Limited" "HARROWFIELD BEARINGS LTD."
//! ```

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
        return Err("usage: explain NAME1 NAME2".into());
    };
    let e = chipcap_screen::score(a, b, &chipcap_screen::MatchConfig::default());
    println!("{}", serde_json::to_string_pretty(&e)?);
    if args.iter().any(|x| x == "--forms") {
        println!(
            "{}",
            serde_json::to_string_pretty(&chipcap_screen::NameForm::new(a))?
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&chipcap_screen::NameForm::new(b))?
        );
    }
    Ok(())
}
