//! The outputs people look at: plots (SVG and PNG) and Parquet time series of an ecmova run.
//!
//! - [`write_parquet`] / [`read_parquet`]: one Float64 column per series column, same names.
//! - [`pressure_waveforms`], [`flows`], [`pv_loops`], [`saturation_map`], [`write_all_plots`]:
//!   figures written as `NAME.svg` and `NAME.png`. Each figure is first planned as a
//!   [`PlotSpec`] (plain data, see [`spec`]) and then drawn; columns that are absent are skipped,
//!   never an error (only `time_s` is required for time plots).
//! - [`Progress`]: a progress bar on standard error for long runs.
//!
//! Every input accepted by the [`Columns`] trait works: the simulator's
//! [`ecmova_scenario::series::Series`] or a [`Table`]. No function panics, including on an empty
//! series, and no output holds a NaN or an infinity.
//!
//! PNG text is rasterised with Noto Sans Regular (Apache-2.0) embedded from the `ttf-noto-sans`
//! crate: no system font is ever needed. SVG text names the `sans-serif` family.
#![deny(missing_docs)]

mod error;
mod parquet_io;
mod plots;
mod progress;
pub mod render;
pub mod spec;
mod table;

pub use error::ReportError;
pub use parquet_io::{read_parquet, write_parquet, ROW_GROUP_ROWS};
pub use plots::{
    flows, pressure_waveforms, pv_loops, saturation_map, trends, write_all_plots, Plotted,
};
pub use progress::{Progress, MIN_WALL_S};
pub use render::DEFAULT_SIZE;
pub use spec::{axis_range, PhaseData, PlotSpec};
pub use table::{Columns, Table};
