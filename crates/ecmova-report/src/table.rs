//! Column access shared by every output: the [`Columns`] trait, implemented for the
//! simulator's [`Series`] and for [`Table`], a column-major table anyone can build.

use crate::ReportError;
use ecmova_scenario::series::Series;

/// Read access to named columns of equal length: what the outputs of this crate consume.
///
/// Implemented for [`Series`] (the recorded time series of a run) and [`Table`].
pub trait Columns {
    /// The column names, in order.
    fn column_names(&self) -> Vec<String>;
    /// The values of the column named `name`, if it exists.
    fn column_values(&self, name: &str) -> Option<Vec<f64>>;
    /// The number of rows.
    fn row_count(&self) -> usize;
}

impl Columns for Series {
    fn column_names(&self) -> Vec<String> {
        self.columns().to_vec()
    }
    fn column_values(&self, name: &str) -> Option<Vec<f64>> {
        self.column(name)
    }
    fn row_count(&self) -> usize {
        if self.columns().is_empty() {
            0
        } else {
            self.len()
        }
    }
}

/// A column-major table of named `f64` columns of equal length.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl Table {
    /// A table from `(name, values)` pairs. Fails, naming the column, when a name is empty or
    /// repeated or when the columns do not all have the length of the first.
    pub fn new(columns: Vec<(String, Vec<f64>)>) -> Result<Self, ReportError> {
        let mut table = Table::default();
        for (name, values) in columns {
            if name.is_empty() {
                return Err(ReportError::InvalidColumn {
                    column: name,
                    reason: "empty column name".into(),
                });
            }
            if table.names.contains(&name) {
                return Err(ReportError::InvalidColumn {
                    column: name,
                    reason: "repeated column name".into(),
                });
            }
            if let Some(first) = table.columns.first() {
                if first.len() != values.len() {
                    return Err(ReportError::InvalidColumn {
                        reason: format!(
                            "{} rows where column `{}` has {}",
                            values.len(),
                            table.names[0],
                            first.len()
                        ),
                        column: name,
                    });
                }
            }
            table.names.push(name);
            table.columns.push(values);
        }
        Ok(table)
    }

    /// A copy of any [`Columns`] source (for example a [`Series`]) as a table.
    pub fn from_columns(source: &(impl Columns + ?Sized)) -> Self {
        let names = source.column_names();
        let n = source.row_count();
        let columns = names
            .iter()
            .map(|name| {
                let mut v = source.column_values(name).unwrap_or_default();
                v.resize(n, f64::NAN);
                v
            })
            .collect();
        Table { names, columns }
    }

    /// The values of column `name`, borrowed.
    pub fn get(&self, name: &str) -> Option<&[f64]> {
        let j = self.names.iter().position(|c| c == name)?;
        Some(&self.columns[j])
    }

    /// The rows `range` of every column (clamped to the table).
    pub fn slice_rows(&self, range: std::ops::Range<usize>) -> Table {
        let n = self.row_count();
        let end = range.end.min(n);
        let start = range.start.min(end);
        Table {
            names: self.names.clone(),
            columns: self
                .columns
                .iter()
                .map(|c| c[start..end].to_vec())
                .collect(),
        }
    }
}

impl Columns for Table {
    fn column_names(&self) -> Vec<String> {
        self.names.clone()
    }
    fn column_values(&self, name: &str) -> Option<Vec<f64>> {
        self.get(name).map(<[f64]>::to_vec)
    }
    fn row_count(&self) -> usize {
        self.columns.first().map_or(0, Vec::len)
    }
}
