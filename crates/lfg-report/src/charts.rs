//! PNG and SVG charts (plotters, text drawn with the embedded DejaVu Sans).
//!
//! Each chart is first turned into a [`ChartSpec`] (owned, prepared data), then drawn twice by
//! the same generic code: once on a `BitMapBackend` (PNG) and once on an `SVGBackend`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use serde::Serialize;

use crate::ReportError;
use crate::input::{EpochPoint, SettingReport, SweepReport};
use crate::paper::paper_vs_ours;
use crate::stats::{Stats, stats};
use crate::tables::{
    cold_start_models, cold_start_table, fmt_time, fold_numbers, metric_title, primary_metric,
    signed4, slug,
};

/// Font family every chart uses (registered from the embedded TTF, see [`crate::font`]).
const FONT: &str = "sans-serif";

/// Tableau-10 palette: distinct, colour-blind friendly enough, prints well.
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];
const GRID_BOLD: RGBColor = RGBColor(215, 215, 215);
const PAPER_GREY: RGBColor = RGBColor(160, 160, 160);
const TEXT: RGBColor = RGBColor(33, 33, 33);
const BEST_RED: RGBColor = RGBColor(200, 30, 30);

/// One chart written by [`crate::render`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChartFile {
    /// File stem (unique within the report), e.g. `ml-100k-per-user-rmse-folds`.
    pub name: String,
    /// Setting the chart belongs to.
    pub setting: String,
    /// Chart title.
    pub title: String,
    /// One-sentence caption (how to read it).
    pub caption: String,
    /// Path of the PNG.
    pub png: PathBuf,
    /// Path of the SVG.
    pub svg: PathBuf,
    /// Image width in pixels.
    pub width: u32,
    /// Image height in pixels.
    pub height: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct ChartSpec {
    pub name: String,
    pub setting: String,
    pub title: String,
    pub caption: String,
    pub width: u32,
    pub height: u32,
    kind: ChartKind,
}

#[derive(Debug, Clone)]
struct BarSeries {
    label: String,
    color: RGBColor,
    /// One value per fold group (same order as `groups`, without the mean group).
    values: Vec<Option<f64>>,
    stats: Option<Stats>,
}

/// One model's cold-start curve: label, colour, (reveal count, fold stats) points.
type CurveSeries = (String, RGBColor, Vec<(u32, Stats)>);

#[derive(Debug, Clone)]
enum AxisKind {
    Linear,
    Log10,
    Categorical(Vec<String>),
}

/// A value axis (sweep parameter or metric), values already transformed (log10 / index).
#[derive(Debug, Clone)]
struct Axis {
    title: String,
    kind: AxisKind,
}

impl Axis {
    fn fmt(&self, x: f64) -> String {
        match &self.kind {
            AxisKind::Linear => fmt_num(x),
            AxisKind::Log10 => fmt_num(10f64.powf(x)),
            AxisKind::Categorical(c) => {
                let i = x.round();
                if (x - i).abs() > 1e-6 || i < 0.0 {
                    return String::new();
                }
                c.get(i as usize).cloned().unwrap_or_default()
            }
        }
    }
    fn ticks(&self, lo: f64, hi: f64) -> Vec<f64> {
        match &self.kind {
            AxisKind::Linear => nice_ticks(lo, hi, 4),
            AxisKind::Log10 => log_ticks(lo, hi),
            AxisKind::Categorical(c) => (0..c.len()).map(|i| i as f64).collect(),
        }
    }
}

#[derive(Debug, Clone)]
enum ChartKind {
    FoldBars {
        metric: String,
        groups: Vec<String>,
        series: Vec<BarSeries>,
    },
    PaperVsOurs {
        models: Vec<String>,
        paper: Vec<f64>,
        ours: Vec<Option<Stats>>,
    },
    Learning {
        folds: Vec<(u32, Vec<EpochPoint>)>,
    },
    SweepScatter {
        metric: String,
        lower_is_better: bool,
        /// Per parameter: its axis and the transformed x value of each trial (NaN = absent).
        params: Vec<(Axis, Vec<f64>)>,
        values: Vec<f64>,
    },
    Heatmap {
        lower_is_better: bool,
        x: Axis,
        y: Axis,
        /// (x index, y index) -> mean metric.
        cells: BTreeMap<(usize, usize), f64>,
    },
    Parallel {
        metric: String,
        lower_is_better: bool,
        params: Vec<(Axis, Vec<f64>)>,
        values: Vec<f64>,
    },
    ColdStart {
        series: Vec<CurveSeries>,
    },
    Timing {
        labels: Vec<String>,
        colors: Vec<RGBColor>,
        /// (panel title, per-model stats)
        panels: Vec<(String, Vec<Option<Stats>>)>,
    },
}

// ---------------------------------------------------------------------------------------------
// numbers and scales

/// A linear f64 axis with explicit tick positions (labels come from the mesh's formatter).
struct Ticked {
    inner: RangedCoordf64,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        Self {
            inner: (lo..hi).into(),
            ticks,
        }
    }
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;
    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

fn fmt_num(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.0e}");
        return s.replace("e-", "e\u{2212}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

fn nice_step(range: f64, n: usize) -> f64 {
    let raw = (range / n.max(1) as f64).max(1e-12);
    let mag = 10f64.powf(raw.log10().floor());
    let r = raw / mag;
    let m = if r < 1.5 {
        1.0
    } else if r < 3.0 {
        2.0
    } else if r < 7.0 {
        5.0
    } else {
        10.0
    };
    m * mag
}

fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let step = nice_step(hi - lo, n);
    let mut t = (lo / step).ceil() * step;
    let mut out = Vec::new();
    while t <= hi + step * 1e-9 && out.len() < 50 {
        // snap tiny float noise to 0 / the grid
        out.push((t / step).round() * step);
        t += step;
    }
    out
}

/// Ticks of a log10-transformed axis: 1-2-5 per decade when the axis spans few decades.
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mults: &[f64] = if hi - lo <= 2.5 {
        &[1.0, 2.0, 5.0]
    } else {
        &[1.0]
    };
    let mut out = Vec::new();
    let mut d = lo.floor() as i32 - 1;
    while (d as f64) <= hi.ceil() && out.len() < 60 {
        for m in mults {
            let v = (10f64.powi(d) * m).log10();
            if v >= lo - 1e-9 && v <= hi + 1e-9 {
                out.push(v);
            }
        }
        d += 1;
    }
    out
}

/// Pad `[lo, hi]` by `frac` of its span on each side (or a minimum when degenerate).
fn pad(lo: f64, hi: f64, frac: f64) -> (f64, f64) {
    let span = hi - lo;
    if span.abs() < 1e-12 {
        let d = (lo.abs() * 0.05).max(0.01);
        (lo - d, hi + d)
    } else {
        (lo - span * frac, hi + span * frac)
    }
}

fn y_decimals(lo: f64, hi: f64) -> usize {
    let step = nice_step(hi - lo, 12);
    (-step.log10().floor()).max(0.0) as usize
}

fn minmax(it: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    it.into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((a, b)) => Some((a.min(v), b.max(v))),
        })
}

/// Perceptual colour map (viridis, 5 anchors, linear interpolation); t in [0, 1].
fn viridis(t: f64) -> RGBColor {
    const A: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let x = t * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f64;
    let (a, b) = (A[i], A[i + 1]);
    let l = |p: f64, q: f64| (p + (q - p) * f).round().clamp(0.0, 255.0) as u8;
    RGBColor(l(a.0, b.0), l(a.1, b.1), l(a.2, b.2))
}

/// 0 for the best value, 1 for the worst.
fn badness(v: f64, lo: f64, hi: f64, lower_is_better: bool) -> f64 {
    if hi - lo < 1e-15 {
        return 0.0;
    }
    let t = (v - lo) / (hi - lo);
    if lower_is_better { t } else { 1.0 - t }
}

/// A vertical ±1 std whisker (line with caps), in data coordinates.
fn whisker(x: f64, lo: f64, hi: f64, half: f64, style: ShapeStyle) -> Vec<PathElement<(f64, f64)>> {
    vec![
        PathElement::new(vec![(x, lo), (x, hi)], style),
        PathElement::new(vec![(x - half, lo), (x + half, lo)], style),
        PathElement::new(vec![(x - half, hi), (x + half, hi)], style),
    ]
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn font(size: u32) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).color(&TEXT)
}

// ---------------------------------------------------------------------------------------------
// building specs

fn model_color(setting: &SettingReport, label: &str, extra: &[String]) -> RGBColor {
    let idx = setting
        .models
        .iter()
        .position(|m| m.label() == label)
        .or_else(|| {
            extra
                .iter()
                .position(|e| e == label)
                .map(|i| i + setting.models.len())
        })
        .unwrap_or(0);
    PALETTE[idx % PALETTE.len()]
}

/// All chart specs of a setting.
pub(crate) fn setting_specs(
    s: &SettingReport,
    width: u32,
    height: u32,
) -> Result<Vec<ChartSpec>, ReportError> {
    let mut out = Vec::new();
    let base = slug(&s.name);
    let spec = |name: &str, title: String, caption: &str, w: u32, h: u32, kind| ChartSpec {
        name: format!("{base}-{name}"),
        setting: s.name.clone(),
        title,
        caption: caption.to_string(),
        width: w,
        height: h,
        kind,
    };

    if let Some(metric) = primary_metric(s) {
        let folds = fold_numbers(s);
        let mut groups: Vec<String> = folds.iter().map(|f| format!("Fold {f}")).collect();
        groups.push("Mean ± std".into());
        let series = s
            .models
            .iter()
            .map(|m| BarSeries {
                label: m.label(),
                color: model_color(s, &m.label(), &[]),
                values: folds
                    .iter()
                    .map(|f| {
                        m.folds
                            .iter()
                            .find(|x| x.fold == *f)
                            .and_then(|x| x.metrics.get(&metric).copied())
                    })
                    .collect(),
                stats: stats(&m.metric_values(&metric)),
            })
            .filter(|b| b.stats.is_some())
            .collect::<Vec<_>>();
        if !series.is_empty() {
            out.push(spec(
                &format!("{}-folds", slug(&metric)),
                format!("{} per fold: {}", metric_title(&metric), s.name),
                "Bars: each model on each fold; last group: mean over folds with ±1 std whiskers. The y axis does not start at zero.",
                width,
                height,
                ChartKind::FoldBars {
                    metric: metric.clone(),
                    groups,
                    series,
                },
            ));
        }
    }

    if let Some((table, rows)) = paper_vs_ours(s)? {
        out.push(spec(
            "paper-vs-ours",
            format!("Paper Table {} vs ours: {}", table.number, s.name),
            "Grey: the paper's average RMSE; colour: ours (mean over folds, ±1 std whiskers). Label: ours − paper (negative = we do better).",
            width,
            height,
            ChartKind::PaperVsOurs {
                models: rows.iter().map(|r| r.model.clone()).collect(),
                paper: rows.iter().map(|r| r.paper_mean).collect(),
                ours: rows.iter().map(|r| stats(&r.ours_folds)).collect(),
            },
        ));
    }

    let mut curve_models: Vec<String> = Vec::new();
    for c in &s.learning_curves {
        if !curve_models.contains(&c.model) {
            curve_models.push(c.model.clone());
        }
    }
    for m in curve_models {
        let mut folds: Vec<(u32, Vec<EpochPoint>)> = s
            .learning_curves
            .iter()
            .filter(|c| c.model == m)
            .map(|c| {
                let mut p = c.points.clone();
                p.sort_by_key(|p| p.epoch);
                (c.fold, p)
            })
            .collect();
        folds.sort_by_key(|f| f.0);
        out.push(spec(
            &format!("learning-{}", slug(&m)),
            format!("Learning curves: {m} ({})", s.name),
            "Training loss and inner-validation RMSE per epoch, one line per fold.",
            width,
            height,
            ChartKind::Learning { folds },
        ));
    }

    for (i, sw) in s.sweeps.iter().enumerate() {
        let tag = if s.sweeps.len() > 1 {
            format!("sweep-{}-{}", slug(&sw.model), i + 1)
        } else {
            format!("sweep-{}", slug(&sw.model))
        };
        out.extend(sweep_specs(s, sw, &base, &tag, width, height));
    }

    if let Some((reveals, rows)) = cold_start_table(s) {
        let extra = cold_start_models(s);
        let series = rows
            .into_iter()
            .map(|(label, cells)| {
                let pts = reveals
                    .iter()
                    .zip(cells)
                    .filter_map(|(r, c)| c.map(|c| (*r, c)))
                    .collect();
                let color = model_color(s, &label, &extra);
                (label, color, pts)
            })
            .collect();
        out.push(spec(
            "cold-start",
            format!("Cold start: RMSE vs revealed ratings ({})", s.name),
            "Mean RMSE over folds against the number of ratings revealed per new user (log scale), ±1 std whiskers.",
            width,
            height,
            ChartKind::ColdStart { series },
        ));
    }

    if !s.models.is_empty() {
        let labels: Vec<String> = s.models.iter().map(|m| m.label()).collect();
        let colors = labels.iter().map(|l| model_color(s, l, &[])).collect();
        let mut panels = vec![
            (
                "Fit time per fold (s)".to_string(),
                s.models
                    .iter()
                    .map(|m| stats(&m.folds.iter().map(|f| f.fit_seconds).collect::<Vec<_>>()))
                    .collect::<Vec<_>>(),
            ),
            (
                "Predict time per fold (s)".to_string(),
                s.models
                    .iter()
                    .map(|m| {
                        stats(
                            &m.folds
                                .iter()
                                .map(|f| f.predict_seconds)
                                .collect::<Vec<_>>(),
                        )
                    })
                    .collect(),
            ),
        ];
        let serve: Vec<Option<Stats>> = s
            .models
            .iter()
            .map(|m| {
                stats(
                    &m.folds
                        .iter()
                        .filter_map(|f| f.serve_seconds_per_user.map(|x| x * 1e3))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        if serve.iter().any(Option::is_some) {
            panels.push(("Serve one new user (ms)".to_string(), serve));
        }
        let h = (150 + 38 * labels.len() as u32).max(height * 3 / 5);
        out.push(spec(
            "timing",
            format!("Cost per model: {}", s.name),
            "Mean over folds (log scale when times differ by more than 30x).",
            width,
            h,
            ChartKind::Timing {
                labels,
                colors,
                panels,
            },
        ));
    }
    Ok(out)
}

/// Axis and transformed values of one sweep parameter.
fn param_axis(name: &str, sw: &SweepReport) -> (Axis, Vec<f64>) {
    let vals: Vec<Option<&serde_json::Value>> =
        sw.trials.iter().map(|t| t.params.get(name)).collect();
    let nums: Option<Vec<f64>> = vals
        .iter()
        .flatten()
        .map(|v| v.as_f64())
        .collect::<Option<Vec<f64>>>();
    if let Some(nums) = nums.filter(|n| !n.is_empty()) {
        let (lo, hi) = minmax(nums.iter().copied()).unwrap_or((0.0, 1.0));
        let log = lo > 0.0 && hi / lo >= 20.0;
        let xs = vals
            .iter()
            .map(|v| match v.and_then(|v| v.as_f64()) {
                Some(x) if log => x.log10(),
                Some(x) => x,
                None => f64::NAN,
            })
            .collect();
        let kind = if log {
            AxisKind::Log10
        } else {
            AxisKind::Linear
        };
        return (
            Axis {
                title: name.to_string(),
                kind,
            },
            xs,
        );
    }
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cats: Vec<String> = vals.iter().flatten().map(|v| text(v)).collect();
    cats.sort();
    cats.dedup();
    let xs = vals
        .iter()
        .map(|v| {
            v.and_then(|v| cats.iter().position(|c| *c == text(v)))
                .map_or(f64::NAN, |i| i as f64)
        })
        .collect();
    (
        Axis {
            title: name.to_string(),
            kind: AxisKind::Categorical(cats),
        },
        xs,
    )
}

fn sweep_specs(
    s: &SettingReport,
    sw: &SweepReport,
    base: &str,
    tag: &str,
    width: u32,
    height: u32,
) -> Vec<ChartSpec> {
    let mut names: Vec<String> = sw
        .trials
        .iter()
        .flat_map(|t| t.params.keys().cloned())
        .collect();
    names.sort();
    names.dedup();
    let values: Vec<f64> = sw.trials.iter().map(|t| t.metric).collect();
    if names.is_empty() || values.iter().all(|v| !v.is_finite()) {
        return Vec::new();
    }
    let params: Vec<(Axis, Vec<f64>)> = names.iter().map(|n| param_axis(n, sw)).collect();
    let mut out = Vec::new();
    let cols = params.len().min(3) as u32;
    let rows = params.len().div_ceil(3) as u32;
    let dir = if sw.lower_is_better {
        "lower is better"
    } else {
        "higher is better"
    };
    let run = sw
        .run_id
        .as_ref()
        .map(|r| format!(" Sweep run {r}."))
        .unwrap_or_default();
    out.push(ChartSpec {
        name: format!("{base}-{tag}-scatter"),
        setting: s.name.clone(),
        title: format!(
            "Sweep of {}: {} vs each hyperparameter ({} trials)",
            sw.model,
            metric_title(&sw.metric),
            sw.trials.len()
        ),
        caption: format!("One point per trial; red: best trial ({dir}).{run}"),
        width: width.max(cols * 330),
        height: 100 + rows * 360,
        kind: ChartKind::SweepScatter {
            metric: sw.metric.clone(),
            lower_is_better: sw.lower_is_better,
            params: params.clone(),
            values: values.clone(),
        },
    });
    if params.len() == 2 {
        // a grid: both parameters take few distinct values and the trials cover most cells
        let grid_axis = |(axis, xs): &(Axis, Vec<f64>)| -> Option<(Axis, Vec<usize>)> {
            let mut d: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
            d.sort_by(f64::total_cmp);
            d.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
            if d.is_empty() || d.len() > 12 {
                return None;
            }
            let labels = d.iter().map(|x| axis.fmt(*x)).collect();
            let idx = xs
                .iter()
                .map(|x| {
                    d.iter()
                        .position(|v| (v - x).abs() < 1e-12)
                        .unwrap_or(usize::MAX)
                })
                .collect();
            Some((
                Axis {
                    title: axis.title.clone(),
                    kind: AxisKind::Categorical(labels),
                },
                idx,
            ))
        };
        if let (Some((xa, xi)), Some((ya, yi))) = (grid_axis(&params[0]), grid_axis(&params[1])) {
            let mut acc: BTreeMap<(usize, usize), (f64, usize)> = BTreeMap::new();
            for ((x, y), v) in xi.iter().zip(&yi).zip(&values) {
                if *x != usize::MAX && *y != usize::MAX && v.is_finite() {
                    let e = acc.entry((*x, *y)).or_insert((0.0, 0));
                    e.0 += v;
                    e.1 += 1;
                }
            }
            let n_cells = match (&xa.kind, &ya.kind) {
                (AxisKind::Categorical(a), AxisKind::Categorical(b)) => a.len() * b.len(),
                _ => usize::MAX,
            };
            if acc.len() * 2 >= n_cells {
                let cells = acc
                    .into_iter()
                    .map(|(k, (s, n))| (k, s / n as f64))
                    .collect();
                out.push(ChartSpec {
                    name: format!("{base}-{tag}-heatmap"),
                    setting: s.name.clone(),
                    title: format!("Sweep of {}: {} over the grid", sw.model, metric_title(&sw.metric)),
                    caption: format!(
                        "Cell: {} (mean over trials in the cell); darker = better ({dir}); red frame: best.{run}",
                        metric_title(&sw.metric)
                    ),
                    width,
                    height: height.max(480),
                    kind: ChartKind::Heatmap {
                        lower_is_better: sw.lower_is_better,
                        x: xa,
                        y: ya,
                        cells,
                    },
                });
            }
        }
    } else if params.len() > 2 {
        out.push(ChartSpec {
            name: format!("{base}-{tag}-parallel"),
            setting: s.name.clone(),
            title: format!("Sweep of {}: parallel coordinates", sw.model),
            caption: format!(
                "One line per trial through its hyperparameters and {}; darker = better ({dir}); red: best trial.{run}",
                metric_title(&sw.metric)
            ),
            width,
            height,
            kind: ChartKind::Parallel {
                metric: sw.metric.clone(),
                lower_is_better: sw.lower_is_better,
                params,
                values,
            },
        });
    }
    out
}

// ---------------------------------------------------------------------------------------------
// rendering

/// Render `spec` to `<dir>/<name>.png` and `<dir>/<name>.svg`.
pub(crate) fn render_spec(spec: &ChartSpec, dir: &Path) -> Result<ChartFile, ReportError> {
    let png = dir.join(format!("{}.png", spec.name));
    let svg = dir.join(format!("{}.svg", spec.name));
    let chart_err = |message: String| ReportError::Chart {
        chart: spec.name.clone(),
        message,
    };
    {
        let root = BitMapBackend::new(&png, (spec.width, spec.height)).into_drawing_area();
        draw(spec, &root).map_err(chart_err)?;
        root.present()
            .map_err(|e| chart_err(format!("writing {}: {e}", png.display())))?;
    }
    {
        let root = SVGBackend::new(&svg, (spec.width, spec.height)).into_drawing_area();
        draw(spec, &root).map_err(chart_err)?;
        root.present()
            .map_err(|e| chart_err(format!("writing {}: {e}", svg.display())))?;
    }
    Ok(ChartFile {
        name: spec.name.clone(),
        setting: spec.setting.clone(),
        title: spec.title.clone(),
        caption: spec.caption.clone(),
        png,
        svg,
        width: spec.width,
        height: spec.height,
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Swatch {
    Box,
    Line,
}

/// Height needed by a legend strip (rows of entries, centred).
fn legend_layout<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[(String, RGBColor)],
) -> Result<Vec<Vec<(i32, usize)>>, String> {
    let (w, _) = area.dim_in_pixel();
    let w = w as i32 - 20;
    let style = font(15);
    let mut rows: Vec<Vec<(i32, usize)>> = vec![Vec::new()];
    let mut x = 0;
    let mut widths = Vec::new();
    for (i, (label, _)) in entries.iter().enumerate() {
        let (tw, _) = area.estimate_text_size(label, &style).map_err(err)?;
        let item = 22 + tw as i32 + 24;
        if x + item > w && x > 0 {
            rows.push(Vec::new());
            widths.push(x);
            x = 0;
        }
        if let Some(r) = rows.last_mut() {
            r.push((x, i));
        }
        x += item;
    }
    widths.push(x);
    // centre each row
    for (r, rw) in rows.iter_mut().zip(widths) {
        let off = 10 + (w - rw).max(0) / 2;
        for e in r.iter_mut() {
            e.0 += off;
        }
    }
    Ok(rows)
}

const LEGEND_ROW: i32 = 24;

fn legend_height(rows: &[Vec<(i32, usize)>]) -> u32 {
    (rows.len() as i32 * LEGEND_ROW + 8) as u32
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    rows: &[Vec<(i32, usize)>],
    entries: &[(String, RGBColor)],
    swatch: Swatch,
) -> Result<(), String> {
    for (ri, row) in rows.iter().enumerate() {
        let y = 4 + ri as i32 * LEGEND_ROW;
        for (x, i) in row {
            let (label, color) = &entries[*i];
            match swatch {
                Swatch::Box => area
                    .draw(&Rectangle::new(
                        [(*x, y + 3), (*x + 16, y + 17)],
                        color.filled(),
                    ))
                    .map_err(err)?,
                Swatch::Line => area
                    .draw(&PathElement::new(
                        vec![(*x, y + 10), (*x + 16, y + 10)],
                        color.stroke_width(3),
                    ))
                    .map_err(err)?,
            }
            area.draw(&Text::new(
                label.clone(),
                (*x + 22, y + 10),
                font(15).pos(Pos::new(HPos::Left, VPos::Center)),
            ))
            .map_err(err)?;
        }
    }
    Ok(())
}

/// Fill, draw the title, and (optionally) a legend strip; returns the remaining plot area.
fn frame<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[(String, RGBColor)],
    swatch: Swatch,
) -> Result<DrawingArea<DB, Shift>, String> {
    root.fill(&WHITE).map_err(err)?;
    let body = root
        .margin(10, 0, 0, 0)
        .titled(title, font(22))
        .map_err(err)?;
    if legend.is_empty() {
        return Ok(body);
    }
    let rows = legend_layout(&body, legend)?;
    let (top, rest) = body.split_vertically(legend_height(&rows));
    draw_legend(&top, &rows, legend, swatch)?;
    Ok(rest)
}

fn draw<DB: DrawingBackend>(spec: &ChartSpec, root: &DrawingArea<DB, Shift>) -> Result<(), String> {
    match &spec.kind {
        ChartKind::FoldBars {
            metric,
            groups,
            series,
        } => draw_fold_bars(root, &spec.title, metric, groups, series),
        ChartKind::PaperVsOurs {
            models,
            paper,
            ours,
        } => draw_paper(root, &spec.title, models, paper, ours),
        ChartKind::Learning { folds } => draw_learning(root, &spec.title, folds),
        ChartKind::SweepScatter {
            metric,
            lower_is_better,
            params,
            values,
        } => draw_scatter(root, &spec.title, metric, *lower_is_better, params, values),
        ChartKind::Heatmap {
            lower_is_better,
            x,
            y,
            cells,
        } => draw_heatmap(root, &spec.title, *lower_is_better, x, y, cells),
        ChartKind::Parallel {
            metric,
            lower_is_better,
            params,
            values,
        } => draw_parallel(root, &spec.title, metric, *lower_is_better, params, values),
        ChartKind::ColdStart { series } => draw_cold_start(root, &spec.title, series),
        ChartKind::Timing {
            labels,
            colors,
            panels,
        } => draw_timing(root, &spec.title, labels, colors, panels),
    }
}

fn draw_fold_bars<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    metric: &str,
    groups: &[String],
    series: &[BarSeries],
) -> Result<(), String> {
    let legend: Vec<(String, RGBColor)> =
        series.iter().map(|s| (s.label.clone(), s.color)).collect();
    let area = frame(root, title, &legend, Swatch::Box)?;
    let all = series.iter().flat_map(|s| {
        let st = s.stats;
        s.values
            .iter()
            .flatten()
            .copied()
            .chain(st.map(|t| t.mean - t.std))
            .chain(st.map(|t| t.mean + t.std))
    });
    let (lo, hi) = minmax(all).ok_or("no values")?;
    let (ylo, yhi) = pad(lo, hi, 0.12);
    let ylo = if lo >= 0.0 { ylo.max(0.0) } else { ylo };
    let g = groups.len();
    let k = series.len().max(1);
    let bw = 0.8 / k as f64;
    let ticks: Vec<f64> = (0..g).map(|i| i as f64).collect();
    let dec = y_decimals(ylo, yhi);
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(Ticked::new(-0.5, g as f64 - 0.5, ticks), ylo..yhi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID_BOLD)
        .max_light_lines(0)
        .y_desc(metric_title(metric))
        .x_label_formatter(&|x| {
            let i = x.round();
            groups.get(i as usize).cloned().unwrap_or_default()
        })
        .y_label_formatter(&|y| format!("{y:.dec$}"))
        .label_style(font(14))
        .axis_desc_style(font(16))
        .draw()
        .map_err(err)?;
    // separator before the mean group
    let sep = g as f64 - 1.5;
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(sep, ylo), (sep, yhi)],
            GRID_BOLD.stroke_width(2),
        )))
        .map_err(err)?;
    for (si, s) in series.iter().enumerate() {
        let off = -0.4 + bw * si as f64;
        let mut bars: Vec<Rectangle<(f64, f64)>> = s
            .values
            .iter()
            .enumerate()
            .filter_map(|(gi, v)| {
                v.map(|v| {
                    let x0 = gi as f64 + off + bw * 0.08;
                    Rectangle::new([(x0, ylo), (x0 + bw * 0.84, v)], s.color.filled())
                })
            })
            .collect();
        if let Some(st) = s.stats {
            let x0 = (g - 1) as f64 + off + bw * 0.08;
            bars.push(Rectangle::new(
                [(x0, ylo), (x0 + bw * 0.84, st.mean)],
                s.color.filled(),
            ));
            chart.draw_series(bars).map_err(err)?;
            let xc = x0 + bw * 0.42;
            chart
                .draw_series(whisker(
                    xc,
                    st.mean - st.std,
                    st.mean + st.std,
                    bw * 0.18,
                    BLACK.stroke_width(2),
                ))
                .map_err(err)?;
        } else {
            chart.draw_series(bars).map_err(err)?;
        }
    }
    Ok(())
}

fn draw_paper<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    models: &[String],
    paper: &[f64],
    ours: &[Option<Stats>],
) -> Result<(), String> {
    let ours_color = PALETTE[0];
    let legend = vec![
        ("Paper (average)".to_string(), PAPER_GREY),
        ("Ours (mean ± std)".to_string(), ours_color),
    ];
    let area = frame(root, title, &legend, Swatch::Box)?;
    let vals = paper.iter().copied().chain(
        ours.iter()
            .flatten()
            .flat_map(|s| [s.mean - s.std, s.mean + s.std]),
    );
    let (lo, hi) = minmax(vals).ok_or("no values")?;
    let (ylo, yhi) = pad(lo, hi, 0.15);
    let yhi = yhi + (yhi - ylo) * 0.08; // room for the difference labels
    let ylo = ylo.max(0.0);
    let g = models.len();
    let ticks: Vec<f64> = (0..g).map(|i| i as f64).collect();
    let dec = y_decimals(ylo, yhi);
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(Ticked::new(-0.5, g as f64 - 0.5, ticks), ylo..yhi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID_BOLD)
        .max_light_lines(0)
        .y_desc("RMSE (lower is better)")
        .x_label_formatter(&|x| models.get(x.round() as usize).cloned().unwrap_or_default())
        .y_label_formatter(&|y| format!("{y:.dec$}"))
        .label_style(font(15))
        .axis_desc_style(font(16))
        .draw()
        .map_err(err)?;
    for (i, p) in paper.iter().enumerate() {
        let x = i as f64;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(x - 0.36, ylo), (x - 0.02, *p)],
                PAPER_GREY.filled(),
            )))
            .map_err(err)?;
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{p:.4}"),
                (x - 0.19, *p),
                font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
            )))
            .map_err(err)?;
        match ours.get(i).copied().flatten() {
            Some(st) => {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(x + 0.02, ylo), (x + 0.36, st.mean)],
                        ours_color.filled(),
                    )))
                    .map_err(err)?;
                chart
                    .draw_series(whisker(
                        x + 0.19,
                        st.mean - st.std,
                        st.mean + st.std,
                        0.04,
                        BLACK.stroke_width(2),
                    ))
                    .map_err(err)?;
                let d = st.mean - p;
                let color = if d <= 0.0 {
                    RGBColor(20, 120, 40)
                } else {
                    BEST_RED
                };
                let top = (st.mean + st.std).max(*p);
                chart
                    .draw_series(std::iter::once(Text::new(
                        format!("ours {:.4}  (Δ {})", st.mean, signed4(d)),
                        (x, top + (yhi - ylo) * 0.05),
                        font(15)
                            .color(&color)
                            .pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )))
                    .map_err(err)?;
            }
            None => {
                chart
                    .draw_series(std::iter::once(Text::new(
                        "not run".to_string(),
                        (x + 0.19, ylo + (yhi - ylo) * 0.05),
                        font(14).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    )))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

fn draw_learning<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    folds: &[(u32, Vec<EpochPoint>)],
) -> Result<(), String> {
    let legend: Vec<(String, RGBColor)> = folds
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (format!("Fold {f}"), PALETTE[i % PALETTE.len()]))
        .collect();
    let area = frame(root, title, &legend, Swatch::Line)?;
    type Get = fn(&EpochPoint) -> Option<f64>;
    let mut panels: Vec<(&str, Get)> = Vec::new();
    if folds
        .iter()
        .any(|(_, p)| p.iter().any(|e| e.train_loss.is_some()))
    {
        panels.push(("Training loss", |e| e.train_loss));
    }
    if folds
        .iter()
        .any(|(_, p)| p.iter().any(|e| e.valid_rmse.is_some()))
    {
        panels.push(("Validation RMSE", |e| e.valid_rmse));
    }
    if panels.is_empty() {
        return Ok(());
    }
    let areas = area.split_evenly((1, panels.len()));
    for ((desc, get), a) in panels.iter().zip(areas.iter()) {
        let pts: Vec<(f64, f64)> = folds
            .iter()
            .flat_map(|(_, p)| p.iter().filter_map(|e| get(e).map(|v| (e.epoch as f64, v))))
            .collect();
        let (x0, x1) = minmax(pts.iter().map(|p| p.0)).ok_or("no epochs")?;
        let (y0, y1) = minmax(pts.iter().map(|p| p.1)).ok_or("no values")?;
        let (y0, y1) = pad(y0, y1, 0.06);
        let x1 = if x1 <= x0 { x0 + 1.0 } else { x1 };
        let dec = y_decimals(y0, y1);
        let mut chart = ChartBuilder::on(a)
            .margin(12)
            .caption(*desc, font(17))
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(err)?;
        chart
            .configure_mesh()
            .bold_line_style(GRID_BOLD)
            .max_light_lines(0)
            .x_desc("Epoch")
            .y_desc(*desc)
            .x_label_formatter(&|x| fmt_num(*x))
            .y_label_formatter(&|y| format!("{y:.dec$}"))
            .label_style(font(13))
            .axis_desc_style(font(15))
            .draw()
            .map_err(err)?;
        for (i, (_, p)) in folds.iter().enumerate() {
            let color = PALETTE[i % PALETTE.len()];
            let line: Vec<(f64, f64)> = p
                .iter()
                .filter_map(|e| get(e).map(|v| (e.epoch as f64, v)))
                .collect();
            chart
                .draw_series(LineSeries::new(line.clone(), color.stroke_width(2)))
                .map_err(err)?;
            if line.len() <= 40 {
                chart
                    .draw_series(line.iter().map(|p| Circle::new(*p, 3, color.filled())))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

fn axis_range(axis: &Axis, xs: &[f64]) -> (f64, f64) {
    match &axis.kind {
        AxisKind::Categorical(c) => (-0.5, c.len().max(1) as f64 - 0.5),
        _ => {
            let (lo, hi) = minmax(xs.iter().copied()).unwrap_or((0.0, 1.0));
            pad(lo, hi, 0.08)
        }
    }
}

fn best_index(values: &[f64], lower_is_better: bool) -> Option<usize> {
    values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .min_by(|a, b| {
            let o = a.1.total_cmp(b.1);
            if lower_is_better { o } else { o.reverse() }
        })
        .map(|(i, _)| i)
}

fn draw_scatter<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    metric: &str,
    lower_is_better: bool,
    params: &[(Axis, Vec<f64>)],
    values: &[f64],
) -> Result<(), String> {
    let area = frame(root, title, &[], Swatch::Box)?;
    let cols = params.len().min(3);
    let rows = params.len().div_ceil(3);
    let areas = area.split_evenly((rows, cols));
    let (ylo, yhi) = minmax(values.iter().copied()).ok_or("no trial values")?;
    let (ylo, yhi) = pad(ylo, yhi, 0.08);
    let dec = y_decimals(ylo, yhi);
    let best = best_index(values, lower_is_better);
    let point_color = PALETTE[0].mix(0.65);
    for ((axis, xs), a) in params.iter().zip(areas.iter()) {
        let (x0, x1) = axis_range(axis, xs);
        let ticks = axis.ticks(x0, x1);
        let mut chart = ChartBuilder::on(a)
            .margin(14)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(Ticked::new(x0, x1, ticks), ylo..yhi)
            .map_err(err)?;
        let xdesc = match axis.kind {
            AxisKind::Log10 => format!("{} (log scale)", axis.title),
            _ => axis.title.clone(),
        };
        chart
            .configure_mesh()
            .bold_line_style(GRID_BOLD)
            .max_light_lines(0)
            .x_desc(xdesc)
            .y_desc(metric_title(metric))
            .x_label_formatter(&|x| axis.fmt(*x))
            .y_label_formatter(&|y| format!("{y:.dec$}"))
            .label_style(font(13))
            .axis_desc_style(font(15))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(
                xs.iter()
                    .zip(values)
                    .enumerate()
                    .filter(|(i, (x, v))| Some(*i) != best && x.is_finite() && v.is_finite())
                    .map(|(_, (x, v))| Circle::new((*x, *v), 5, point_color.filled())),
            )
            .map_err(err)?;
        if let Some(b) = best
            && xs[b].is_finite()
        {
            chart
                .draw_series(std::iter::once(Circle::new(
                    (xs[b], values[b]),
                    7,
                    BEST_RED.filled(),
                )))
                .map_err(err)?;
        }
    }
    Ok(())
}

fn draw_heatmap<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    lower_is_better: bool,
    x: &Axis,
    y: &Axis,
    cells: &BTreeMap<(usize, usize), f64>,
) -> Result<(), String> {
    let area = frame(root, title, &[], Swatch::Box)?;
    let n = |a: &Axis| match &a.kind {
        AxisKind::Categorical(c) => c.len(),
        _ => 1,
    };
    let (nx, ny) = (n(x), n(y));
    let (lo, hi) = minmax(cells.values().copied()).ok_or("no cells")?;
    let best = cells
        .iter()
        .min_by(|a, b| {
            let o = a.1.total_cmp(b.1);
            if lower_is_better { o } else { o.reverse() }
        })
        .map(|(k, _)| *k);
    let mut chart = ChartBuilder::on(&area)
        .margin(14)
        .x_label_area_size(50)
        .y_label_area_size(80)
        .build_cartesian_2d(
            Ticked::new(-0.5, nx as f64 - 0.5, (0..nx).map(|i| i as f64).collect()),
            Ticked::new(-0.5, ny as f64 - 0.5, (0..ny).map(|i| i as f64).collect()),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(x.title.clone())
        .y_desc(y.title.clone())
        .x_label_formatter(&|v| x.fmt(*v))
        .y_label_formatter(&|v| y.fmt(*v))
        .label_style(font(14))
        .axis_desc_style(font(16))
        .draw()
        .map_err(err)?;
    let dec = if hi - lo < 0.01 { 4 } else { 3 };
    for (&(i, j), &v) in cells {
        let t = badness(v, lo, hi, lower_is_better);
        let color = viridis(t);
        let (cx, cy) = (i as f64, j as f64);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(cx - 0.5, cy - 0.5), (cx + 0.5, cy + 0.5)],
                color.filled(),
            )))
            .map_err(err)?;
        let text_color = if t < 0.55 { WHITE } else { BLACK };
        chart
            .draw_series(std::iter::once(Text::new(
                format!("{v:.dec$}"),
                (cx, cy),
                font(14)
                    .color(&text_color)
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            )))
            .map_err(err)?;
    }
    if let Some((i, j)) = best {
        let (cx, cy) = (i as f64, j as f64);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(cx - 0.47, cy - 0.47), (cx + 0.47, cy + 0.47)],
                BEST_RED.stroke_width(4),
            )))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_parallel<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    metric: &str,
    lower_is_better: bool,
    params: &[(Axis, Vec<f64>)],
    values: &[f64],
) -> Result<(), String> {
    let area = frame(root, title, &[], Swatch::Box)?;
    let metric_axis = Axis {
        title: metric_title(metric),
        kind: AxisKind::Linear,
    };
    let mut axes: Vec<(&Axis, &[f64])> = params.iter().map(|(a, x)| (a, x.as_slice())).collect();
    axes.push((&metric_axis, values));
    let ranges: Vec<(f64, f64)> = axes
        .iter()
        .map(|(a, xs)| match &a.kind {
            AxisKind::Categorical(c) => (0.0, (c.len().max(2) - 1) as f64),
            _ => {
                let (lo, hi) = minmax(xs.iter().copied()).unwrap_or((0.0, 1.0));
                if hi - lo < 1e-12 {
                    (lo - 0.5, hi + 0.5)
                } else {
                    (lo, hi)
                }
            }
        })
        .collect();
    let norm = |k: usize, v: f64| (v - ranges[k].0) / (ranges[k].1 - ranges[k].0);
    let n = axes.len();
    let names: Vec<String> = axes.iter().map(|(a, _)| a.title.clone()).collect();
    let mut chart = ChartBuilder::on(&area)
        .margin(20)
        .margin_left(40)
        .margin_right(40)
        .x_label_area_size(40)
        .y_label_area_size(0)
        .build_cartesian_2d(
            Ticked::new(-0.25, n as f64 - 0.75, (0..n).map(|i| i as f64).collect()),
            -0.1..1.1,
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_y_axis()
        .x_label_formatter(&|x| names.get(x.round() as usize).cloned().unwrap_or_default())
        .label_style(font(15))
        .draw()
        .map_err(err)?;
    let (mlo, mhi) = minmax(values.iter().copied()).ok_or("no trial values")?;
    let best = best_index(values, lower_is_better);
    // worst first so that the best lines end on top
    let mut order: Vec<usize> = (0..values.len())
        .filter(|i| values[*i].is_finite())
        .collect();
    order.sort_by(|a, b| {
        badness(values[*b], mlo, mhi, lower_is_better).total_cmp(&badness(
            values[*a],
            mlo,
            mhi,
            lower_is_better,
        ))
    });
    for t in order {
        let pts: Vec<(f64, f64)> = axes
            .iter()
            .enumerate()
            .filter(|(_, (_, xs))| xs[t].is_finite())
            .map(|(k, (_, xs))| (k as f64, norm(k, xs[t])))
            .collect();
        let style = if Some(t) == best {
            BEST_RED.stroke_width(4)
        } else {
            let c = viridis(badness(values[t], mlo, mhi, lower_is_better) * 0.85);
            c.mix(0.8).stroke_width(2)
        };
        chart
            .draw_series(std::iter::once(PathElement::new(pts, style)))
            .map_err(err)?;
    }
    for (k, (a, _)) in axes.iter().enumerate() {
        let x = k as f64;
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, 1.0)],
                BLACK.stroke_width(2),
            )))
            .map_err(err)?;
        let (lo, hi) = ranges[k];
        let label = |v: f64| a.fmt(v);
        chart
            .draw_series([
                Text::new(
                    label(hi),
                    (x, 1.02),
                    font(13).pos(Pos::new(HPos::Center, VPos::Bottom)),
                ),
                Text::new(
                    label(lo),
                    (x, -0.02),
                    font(13).pos(Pos::new(HPos::Center, VPos::Top)),
                ),
            ])
            .map_err(err)?;
        if let AxisKind::Categorical(c) = &a.kind {
            for (ci, name) in c.iter().enumerate().skip(1).take(c.len().saturating_sub(2)) {
                chart
                    .draw_series(std::iter::once(Text::new(
                        name.clone(),
                        (x + 0.02, norm(k, ci as f64)),
                        font(12).pos(Pos::new(HPos::Left, VPos::Center)),
                    )))
                    .map_err(err)?;
            }
        }
    }
    Ok(())
}

fn draw_cold_start<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    series: &[CurveSeries],
) -> Result<(), String> {
    let legend: Vec<(String, RGBColor)> = series.iter().map(|(l, c, _)| (l.clone(), *c)).collect();
    let area = frame(root, title, &legend, Swatch::Line)?;
    let xs = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|(r, _)| (*r).max(1) as f64));
    let (x0, x1) = minmax(xs).ok_or("no points")?;
    let (lx0, lx1) = pad(x0.log10(), x1.log10(), 0.06);
    let ys = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().flat_map(|(_, s)| [s.mean - s.std, s.mean + s.std]));
    let (y0, y1) = minmax(ys).ok_or("no points")?;
    let (y0, y1) = pad(y0, y1, 0.08);
    let mut reveals: Vec<u32> = series
        .iter()
        .flat_map(|(_, _, p)| p.iter().map(|(r, _)| *r))
        .collect();
    reveals.sort_unstable();
    reveals.dedup();
    let ticks: Vec<f64> = reveals
        .iter()
        .map(|r| ((*r).max(1) as f64).log10())
        .collect();
    let dec = y_decimals(y0, y1);
    let mut chart = ChartBuilder::on(&area)
        .margin(14)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(Ticked::new(lx0, lx1, ticks), y0..y1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .bold_line_style(GRID_BOLD)
        .max_light_lines(0)
        .x_desc("Ratings revealed per new user (log scale)")
        .y_desc("RMSE (lower is better)")
        .x_label_formatter(&|x| format!("{}", 10f64.powf(*x).round()))
        .y_label_formatter(&|y| format!("{y:.dec$}"))
        .label_style(font(14))
        .axis_desc_style(font(16))
        .draw()
        .map_err(err)?;
    for (_, color, pts) in series {
        let line: Vec<(f64, f64)> = pts
            .iter()
            .map(|(r, s)| (((*r).max(1) as f64).log10(), s.mean))
            .collect();
        chart
            .draw_series(LineSeries::new(line.clone(), color.stroke_width(3)))
            .map_err(err)?;
        chart
            .draw_series(pts.iter().flat_map(|(r, s)| {
                whisker(
                    ((*r).max(1) as f64).log10(),
                    s.mean - s.std,
                    s.mean + s.std,
                    (lx1 - lx0) * 0.006,
                    color.stroke_width(2),
                )
            }))
            .map_err(err)?;
        chart
            .draw_series(line.iter().map(|p| Circle::new(*p, 5, color.filled())))
            .map_err(err)?;
    }
    Ok(())
}

fn draw_timing<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    labels: &[String],
    colors: &[RGBColor],
    panels: &[(String, Vec<Option<Stats>>)],
) -> Result<(), String> {
    let area = frame(root, title, &[], Swatch::Box)?;
    let label_w = labels
        .iter()
        .map(|l| area.estimate_text_size(l, &font(14)).map(|(w, _)| w))
        .collect::<Result<Vec<u32>, _>>()
        .map_err(err)?
        .into_iter()
        .max()
        .unwrap_or(40)
        + 16;
    let k = labels.len();
    let areas = area.split_evenly((1, panels.len().max(1)));
    for (pi, ((ptitle, st), a)) in panels.iter().zip(areas.iter()).enumerate() {
        let means: Vec<Option<f64>> = st.iter().map(|s| s.map(|s| s.mean)).collect();
        let (lo, hi) =
            minmax(means.iter().flatten().copied().filter(|v| *v > 0.0)).unwrap_or((1e-3, 1.0));
        let log = hi / lo > 30.0;
        let tf = |v: f64| if log { v.max(lo * 0.5).log10() } else { v };
        let (x0, x1) = if log {
            (
                (lo * 0.5).log10().floor(),
                hi.log10() + (hi.log10() - lo.log10()) * 0.25 + 0.2,
            )
        } else {
            (0.0, hi * 1.3)
        };
        let ticks = if log {
            log_ticks(x0, x1)
        } else {
            nice_ticks(x0, x1, 4)
        };
        let mut chart = ChartBuilder::on(a)
            .margin(12)
            .caption(ptitle, font(16))
            .x_label_area_size(45)
            .y_label_area_size(if pi == 0 { label_w } else { 10 })
            .build_cartesian_2d(
                Ticked::new(x0, x1, ticks),
                Ticked::new(-0.5, k as f64 - 0.5, (0..k).map(|i| i as f64).collect()),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .bold_line_style(GRID_BOLD)
            .max_light_lines(0)
            .x_desc(if log { "log scale" } else { "" })
            .x_label_formatter(&|x| {
                if log {
                    fmt_num(10f64.powf(*x))
                } else {
                    fmt_num(*x)
                }
            })
            .y_label_formatter(&|y| {
                if pi == 0 {
                    labels
                        .get(k.saturating_sub(1 + y.round() as usize))
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style(font(14))
            .axis_desc_style(font(13))
            .draw()
            .map_err(err)?;
        for (i, m) in means.iter().enumerate() {
            let y = (k - 1 - i) as f64;
            match m {
                Some(v) => {
                    chart
                        .draw_series(std::iter::once(Rectangle::new(
                            [(x0, y - 0.32), (tf(*v), y + 0.32)],
                            colors[i % colors.len().max(1)].filled(),
                        )))
                        .map_err(err)?;
                    chart
                        .draw_series(std::iter::once(Text::new(
                            format!(" {}", fmt_time(*v)),
                            (tf(*v), y),
                            font(13).pos(Pos::new(HPos::Left, VPos::Center)),
                        )))
                        .map_err(err)?;
                }
                None => {
                    chart
                        .draw_series(std::iter::once(Text::new(
                            "n/a".to_string(),
                            (x0, y),
                            font(13).pos(Pos::new(HPos::Left, VPos::Center)),
                        )))
                        .map_err(err)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_nice_and_cover_range() {
        let t = nice_ticks(0.903, 0.951, 6);
        assert!(t.len() >= 3 && t.len() <= 12, "{t:?}");
        assert!(t.iter().all(|v| (0.903..=0.951).contains(v)));
        let l = log_ticks(0.0, 1.7); // 1 .. 50
        let vals: Vec<i64> = l.iter().map(|x| 10f64.powf(*x).round() as i64).collect();
        assert_eq!(vals, [1, 2, 5, 10, 20, 50]);
    }

    #[test]
    fn number_labels() {
        assert_eq!(fmt_num(0.001), "0.001");
        assert_eq!(fmt_num(0.0001), "1e\u{2212}4");
        assert_eq!(fmt_num(64.0), "64");
        assert_eq!(fmt_num(0.25), "0.25");
    }

    #[test]
    fn colour_map_ends() {
        assert_eq!(viridis(0.0), RGBColor(68, 1, 84));
        assert_eq!(viridis(1.0), RGBColor(253, 231, 37));
        assert_eq!(badness(1.0, 1.0, 2.0, true), 0.0);
        assert_eq!(badness(1.0, 1.0, 2.0, false), 1.0);
    }
}
