//! `ecmova`: the command-line glue over the ecmova libraries.
//!
//! Every subcommand lives in its own module and owns its argument struct; this file only
//! dispatches. Errors are `anyhow` here, at the binary edge, and are printed with their
//! whole cause chain before a non-zero exit. A closed standard output (`| head -1`) ends the
//! program quietly with exit code 0 (see `output.rs`).

mod clinical;
mod cohort;
mod output;
mod presets;
mod serve;
mod simulate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// ecmova: a veno-arterial ECMO simulator and clinical decision support toolkit.
///
/// Research and teaching tool; not a certified medical device.
#[derive(Debug, Parser)]
#[command(name = "ecmova", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario file and write its summary and time series.
    Simulate(simulate::SimulateArgs),
    /// Compute a published prognosis score for a patient file.
    #[command(subcommand)]
    Score(clinical::ScoreCommand),
    /// Full VA-ECMO assessment of a patient file.
    Assess(clinical::AssessArgs),
    /// Run a virtual cohort (every patient × sweep point) to Parquet, or merge its shards.
    Cohort(cohort::CohortArgs),
    /// List the built-in patient presets with a one-line description each.
    Presets(presets::PresetsArgs),
    /// Serve the web simulator (bedside monitor, ECMO console, assessment) and the JSON API.
    Serve(serve::ServeArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Simulate(args) => simulate::run_simulate(args),
        Command::Score(cmd) => clinical::run_score(cmd),
        Command::Assess(args) => clinical::run_assess(args),
        Command::Serve(args) => serve::run_serve(args),
        Command::Cohort(args) => cohort::run_cohort_command(args),
        Command::Presets(args) => presets::run_presets(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        // The reader of standard output went away (`ecmova ... | head -1`): not an error of
        // ours, and nobody is left to read a message. Exit quietly with success.
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            note!("error: {}", output::error_message(&err));
            ExitCode::FAILURE
        }
    }
}
