//! Parquet time series: one required Float64 (`DOUBLE`) column per series column, same names,
//! Snappy-compressed, PLAIN-encoded, in row groups of at most [`ROW_GROUP_ROWS`] rows.

use crate::table::{Columns, Table};
use crate::ReportError;
use parquet::basic::{Compression, Repetition, Type as PhysicalType};
use parquet::column::reader::ColumnReader;
use parquet::data_type::DoubleType;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Rows per Parquet row group (131 072: about 2 min of a 1 ms series per group).
pub const ROW_GROUP_ROWS: usize = 1 << 17;

/// Writes `series` to the Parquet file `path` (created or truncated): one required Float64
/// column per series column, with the same name, in the same order; every value bit for bit,
/// but a negative zero, which is written 0 (as in the CSV).
///
/// Fails, naming the column and row, on a NaN or infinite value (outputs are NaN-free), and on an
/// empty or repeated column name. An empty series gives a valid file with the schema and no rows.
pub fn write_parquet(
    path: impl AsRef<Path>,
    series: &(impl Columns + ?Sized),
) -> Result<(), ReportError> {
    let path = path.as_ref();
    let table = Table::new(
        series
            .column_names()
            .into_iter()
            .map(|name| {
                let values = series.column_values(&name).unwrap_or_default();
                (name, values)
            })
            .collect(),
    )?;
    let names = table.column_names();
    for name in &names {
        let values = table.get(name).unwrap_or_default();
        if let Some((row, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(ReportError::NonFinite {
                column: name.clone(),
                row,
                value,
            });
        }
    }
    let pq = |source| ReportError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let fields = names
        .iter()
        .map(|name| {
            Type::primitive_type_builder(name, PhysicalType::DOUBLE)
                .with_repetition(Repetition::REQUIRED)
                .build()
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(pq)?;
    let schema = Type::group_type_builder("ecmova_series")
        .with_fields(fields)
        .build()
        .map_err(pq)?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_dictionary_enabled(false)
        .set_max_row_group_size(ROW_GROUP_ROWS)
        .set_created_by(format!("ecmova {}", env!("CARGO_PKG_VERSION")))
        .set_key_value_metadata(Some(vec![KeyValue::new(
            "ecmova.units".to_string(),
            "in column names: _s, _mmhg, _ml, _ml_s, _percent".to_string(),
        )]))
        .build();
    let file = File::create(path).map_err(|e| ReportError::io(path, e))?;
    let mut writer =
        SerializedFileWriter::new(file, Arc::new(schema), Arc::new(props)).map_err(pq)?;
    let rows = table.row_count();
    let mut start = 0;
    while start < rows {
        let end = (start + ROW_GROUP_ROWS).min(rows);
        let mut group = writer.next_row_group().map_err(pq)?;
        for name in &names {
            let values = table.get(name).unwrap_or_default();
            let Some(mut column) = group.next_column().map_err(pq)? else {
                return Err(ReportError::InvalidColumn {
                    column: name.clone(),
                    reason: "the Parquet writer has no column for it".into(),
                });
            };
            // A negative zero is written 0, as in the CSV (`+ 0.0` changes no other value).
            let batch: Vec<f64> = values[start..end].iter().map(|v| v + 0.0).collect();
            column
                .typed::<DoubleType>()
                .write_batch(&batch, None, None)
                .map_err(pq)?;
            column.close().map_err(pq)?;
        }
        group.close().map_err(pq)?;
        start = end;
    }
    // Writes the footer and flushes the buffered writer.
    writer.into_inner().map_err(pq)?;
    Ok(())
}

/// Reads a Parquet file written by [`write_parquet`] (or any file whose columns are all
/// required Float64 columns at the top level) back into a [`Table`].
pub fn read_parquet(path: impl AsRef<Path>) -> Result<Table, ReportError> {
    let path = path.as_ref();
    let pq = |source| ReportError::Parquet {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(|e| ReportError::io(path, e))?;
    let reader = SerializedFileReader::new(file).map_err(pq)?;
    let schema = reader.metadata().file_metadata().schema_descr_ptr();
    let mut columns: Vec<(String, Vec<f64>)> = Vec::with_capacity(schema.num_columns());
    for j in 0..schema.num_columns() {
        let descr = schema.column(j);
        let name = descr.path().string();
        if descr.physical_type() != PhysicalType::DOUBLE
            || descr.max_def_level() != 0
            || descr.max_rep_level() != 0
        {
            return Err(ReportError::UnsupportedColumn {
                path: path.to_path_buf(),
                column: name,
            });
        }
        columns.push((name, Vec::new()));
    }
    for g in 0..reader.num_row_groups() {
        let group = reader.get_row_group(g).map_err(pq)?;
        let rows = usize::try_from(group.metadata().num_rows()).unwrap_or(0);
        for (j, (name, values)) in columns.iter_mut().enumerate() {
            let ColumnReader::DoubleColumnReader(mut column) =
                group.get_column_reader(j).map_err(pq)?
            else {
                return Err(ReportError::UnsupportedColumn {
                    path: path.to_path_buf(),
                    column: name.clone(),
                });
            };
            let target = values.len() + rows;
            while values.len() < target {
                let (records, _, _) = column
                    .read_records(target - values.len(), None, None, values)
                    .map_err(pq)?;
                if records == 0 {
                    break;
                }
            }
        }
    }
    Table::new(columns)
}
